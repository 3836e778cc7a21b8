/**
 * Reading and changing the container records under containers.lock:
 * R/overlay-containers/containers.json, and volatile-containers.json next to
 * it for containers created with --volatile (flag "Volatile"), as upstream
 * splits them. Both files are read and written under the one lock.
 */
import { existsSync } from "node:fs";
import { OvError, fsError } from "../errors.ts";
import { atomicWriteFile } from "./atomic.ts";
import { formatContainersJson, isVolatile, parseContainersJson, type ContainerRecord } from "./containers-json.ts";
import { loadRecords, updateRecords, type JsonFileSpec } from "./json-file.ts";
import { withReadLockIfPresent } from "./lockfile.ts";
import type { StorePaths } from "./paths.ts";

const codec = { parse: parseContainersJson, format: formatContainersJson };

export function containersFile(paths: StorePaths): JsonFileSpec<ContainerRecord> {
  return { file: paths.containersJson, lock: paths.containersLock, codec };
}

function volatileFile(paths: StorePaths): JsonFileSpec<ContainerRecord> {
  return { file: paths.volatileContainersJson, lock: paths.containersLock, codec };
}

/** Both files' records; the caller holds the lock. @throws {OvError} corrupt on an ID in both files. */
function merge(paths: StorePaths, main: ContainerRecord[]): ContainerRecord[] {
  const vol = loadRecords(volatileFile(paths));
  for (const v of vol) {
    if (main.some((m) => m.id === v.id)) {
      throw new OvError("corrupt", `${paths.volatileContainersJson}: container ${JSON.stringify(v.id)} is also in ${paths.containersJson}`);
    }
  }
  return [...main, ...vol];
}

/** Every container record, under the read lock (no lock when the store has none yet). */
export function readContainers(paths: StorePaths): ContainerRecord[] {
  return withReadLockIfPresent(paths.containersLock, () => merge(paths, loadRecords(containersFile(paths))));
}

export interface ContainerTxn {
  records: ContainerRecord[];
  /** Writes both files atomically, with a fresh last-writer token. */
  save(): void;
}

/** Runs `fn` with the container records loaded under the write lock. */
export function updateContainers<T>(paths: StorePaths, fn: (txn: ContainerTxn) => T | Promise<T>): Promise<T> {
  return updateRecords(containersFile(paths), async (inner) => {
    const txn: ContainerTxn = {
      records: merge(paths, inner.records),
      save() {
        inner.records = txn.records.filter((r) => !isVolatile(r));
        inner.save();
        const vol = txn.records.filter(isVolatile);
        if (vol.length === 0 && !existsSync(paths.volatileContainersJson)) return;
        try {
          atomicWriteFile(paths.volatileContainersJson, formatContainersJson(vol), { mode: 0o600 });
        } catch (e) {
          throw fsError(`Cannot write ${paths.volatileContainersJson}`, e);
        }
      },
    };
    return await fn(txn);
  });
}
