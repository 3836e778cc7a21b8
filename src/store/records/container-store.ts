/**
 * Reading and changing the container records under containers.lock:
 * R/overlay-containers/containers.json, and volatile-containers.json next to
 * it, where newer upstream versions keep containers created with --volatile.
 * containers-storage 1.43 and podman 4.3 read and write only containers.json
 * (a volatile container there has the flag "Volatile"), so ovlayer writes new
 * containers there too, and keeps a record it read from
 * volatile-containers.json in that file. Both files are read and written
 * under the one lock.
 */
import { OvError, sysError } from "../../errors.ts";
import { atomicWriteFile } from "../files/atomic.ts";
import { formatContainersJson, parseContainersJson, type ContainerRecord } from "./containers-json.ts";
import { loadRecords, updateRecords, type JsonFileSpec } from "./json-file.ts";
import { withReadLockIfPresent } from "../files/lockfile.ts";
import type { StorePaths } from "../paths.ts";

const codec = { parse: parseContainersJson, format: formatContainersJson };

export function containersFile(paths: StorePaths): JsonFileSpec<ContainerRecord> {
  return { file: paths.containersJson, lock: paths.containersLock, codec };
}

function volatileFile(paths: StorePaths): JsonFileSpec<ContainerRecord> {
  return { file: paths.volatileContainersJson, lock: paths.containersLock, codec };
}

/** The records of volatile-containers.json; the caller holds the lock. @throws {OvError} corrupt on an ID in both files. */
function loadVolatile(paths: StorePaths, main: readonly ContainerRecord[]): ContainerRecord[] {
  const vol = loadRecords(volatileFile(paths));
  for (const v of vol) {
    if (main.some((m) => m.id === v.id)) {
      throw new OvError("corrupt", `${paths.volatileContainersJson}: container ${JSON.stringify(v.id)} is also in ${paths.containersJson}`);
    }
  }
  return vol;
}

/** Every container record, under the read lock (no lock when the store has none yet). */
export function readContainers(paths: StorePaths): ContainerRecord[] {
  return withReadLockIfPresent(paths.containersLock, () => {
    const main = loadRecords(containersFile(paths));
    return [...main, ...loadVolatile(paths, main)];
  });
}

export interface ContainerTxn {
  records: ContainerRecord[];
  /** Writes both files atomically, with a fresh last-writer token. */
  save(): void;
}

/** Runs `fn` with the container records loaded under the write lock. */
export function updateContainers<T>(paths: StorePaths, fn: (txn: ContainerTxn) => T | Promise<T>): Promise<T> {
  return updateRecords(containersFile(paths), async (inner) => {
    const vol = loadVolatile(paths, inner.records);
    const inVolatileFile = new Set(vol.map((r) => r.id));
    const txn: ContainerTxn = {
      records: [...inner.records, ...vol],
      save() {
        inner.records = txn.records.filter((r) => !inVolatileFile.has(r.id));
        inner.save();
        if (inVolatileFile.size === 0) return;
        try {
          atomicWriteFile(paths.volatileContainersJson, formatContainersJson(txn.records.filter((r) => inVolatileFile.has(r.id))), { mode: 0o600 });
        } catch (e) {
          throw sysError(`Cannot write ${paths.volatileContainersJson}`, e);
        }
      },
    };
    return await fn(txn);
  });
}
