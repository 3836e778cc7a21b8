/**
 * Mount counts in RR/overlay-layers/mountpoints.json, under mountpoints.lock.
 * Shared with containers-storage: a layer mounted twice (by any tool) has
 * count 2 and stays mounted until both have unmounted.
 */
import { readRecords, updateRecords, type JsonFileSpec, type RecordTxn } from "./json-file.ts";
import { formatMountpoints, parseMountpoints, type MountRecord } from "./mountpoints.ts";
import type { StorePaths } from "../paths.ts";

export function mountpointsFile(paths: StorePaths): JsonFileSpec<MountRecord> {
  return { file: paths.mountpointsJson, lock: paths.mountpointsLock, codec: { parse: parseMountpoints, format: formatMountpoints } };
}

/** The current counts, read under the read lock (no lock when the run root has none yet). */
export function readMountCounts(paths: StorePaths): MountRecord[] {
  return readRecords(mountpointsFile(paths));
}

export type MountTxn = RecordTxn<MountRecord>;

/** Runs `fn` with mountpoints.json loaded under the write lock. */
export function updateMountCounts<T>(paths: StorePaths, fn: (txn: MountTxn) => T | Promise<T>): Promise<T> {
  return updateRecords(mountpointsFile(paths), fn);
}
