/**
 * Mount counts in RR/overlay-layers/mountpoints.json, under mountpoints.lock.
 * Shared with containers-storage: a layer mounted twice (by any tool) has
 * count 2 and stays mounted until both have unmounted.
 */
import { readFileSync } from "node:fs";
import { OvError, describeCause, errCode, fsError } from "../errors.ts";
import { atomicWriteFile } from "./atomic.ts";
import { LockFile, withReadLockIfPresent } from "./lockfile.ts";
import { formatMountpoints, parseMountpoints, type MountRecord } from "./mountpoints.ts";
import type { StorePaths } from "./paths.ts";

function load(paths: StorePaths): MountRecord[] {
  let text: string;
  try {
    text = readFileSync(paths.mountpointsJson, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw new OvError("sys", `Cannot read ${paths.mountpointsJson}: ${describeCause(e)}`, { cause: e });
  }
  return parseMountpoints(text, paths.mountpointsJson);
}

/** The current counts, read under the read lock (no lock when the run root has none yet). */
export function readMountCounts(paths: StorePaths): MountRecord[] {
  return withReadLockIfPresent(paths.mountpointsLock, () => load(paths));
}

export interface MountTxn {
  records: MountRecord[];
  save(): void;
}

/** Runs `fn` with mountpoints.json loaded under the write lock. */
export async function updateMountCounts<T>(paths: StorePaths, fn: (txn: MountTxn) => T | Promise<T>): Promise<T> {
  const lock = new LockFile(paths.mountpointsLock);
  lock.lock("write");
  try {
    const txn: MountTxn = {
      records: load(paths),
      save() {
        lock.recordWrite();
        try {
          atomicWriteFile(paths.mountpointsJson, formatMountpoints(txn.records), { mode: 0o600 });
        } catch (e) {
          throw fsError(`Cannot write ${paths.mountpointsJson}`, e);
        }
      },
    };
    return await fn(txn);
  } finally {
    lock.unlock();
  }
}
