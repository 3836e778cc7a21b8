/**
 * Reading and changing layers.json under layers.lock.
 *
 * `readLayers()` and `withLayersRead()` take the read lock (and take nothing
 * when the store has no lock file yet: reads never create files).
 * `updateLayers()` takes the write lock, loads the records, lets the caller
 * change them and save as often as it needs (each save records a fresh
 * last-writer token first, as upstream does, so a crash after the write still
 * tells peers to reload), then unlocks.
 */
import { sysError } from "../../errors.ts";
import { loadRecords, readRecords, updateRecords, withRecordsRead, type JsonFileSpec, type RecordTxn } from "./json-file.ts";
import { formatLayersJson, parseLayersJson, type LayerRecord } from "./layers-json.ts";
import type { StorePaths } from "../paths.ts";
import { checkStoreDirs, notADirError } from "../files/safe-open.ts";
import { mergeById, otherLayerSources, tagRecords } from "../store-set.ts";
import { mkdirAll } from "../files/mkdir-all.ts";

export function layersFile(paths: StorePaths): JsonFileSpec<LayerRecord> {
  return { file: paths.layersJson, lock: paths.layersLock, codec: { parse: parseLayersJson, format: formatLayersJson } };
}

export function loadLayers(paths: StorePaths): LayerRecord[] {
  return loadRecords(layersFile(paths));
}

/**
 * Reads layers.json under the read lock, then the other stores' (store-set.ts),
 * each under its own read lock: the graph root's records first, a read-only
 * store's marked read-only.
 */
export function readLayers(paths: StorePaths): LayerRecord[] {
  return mergeById(readRecords(layersFile(paths)), readOtherLayers(paths));
}

/** The layers of the split image store and the additional stores (not the graph root's), each read under its read lock. */
export function readOtherLayers(paths: StorePaths): LayerRecord[] {
  if (!paths.multiStore) return [];
  const all: LayerRecord[] = [];
  for (const src of otherLayerSources(paths)) {
    all.push(...tagRecords(readRecords({ ...layersFile(src.paths), readOnly: src.readOnly }), src));
  }
  return all;
}

/**
 * Runs `fn` with layers.json loaded under the read lock, held until `fn`'s
 * promise settles, so no other tool deletes or changes a layer while it is
 * read or mounted (containers-storage holds its layer store lock the same way).
 * The other stores' records are added (read under their own read locks,
 * released before `fn` runs: their files are never changed by us).
 * A store without a lock file is read without locking (reads never create
 * files) unless `createLock` is set: mount and unmount create it, as they
 * create the rest of the run state.
 */
export function withLayersRead<T>(paths: StorePaths, fn: (records: LayerRecord[]) => T | Promise<T>, opts: { createLock?: boolean } = {}): Promise<T> {
  return withRecordsRead(layersFile(paths), (records) => fn(mergeById(records, readOtherLayers(paths))), opts);
}

/**
 * Refuses to write to a store whose R/overlay, R/overlay/l or R/overlay-layers
 * is a symlink (or a file): a writer would follow it out of the store.
 * @throws {OvError} corrupt naming the path.
 */
export function refuseSymlinkedStore(paths: StorePaths, action: string): void {
  storeDirsChecked(paths, action);
}

/** refuseSymlinkedStore's check; returns the store dirs that do not exist yet. */
function storeDirsChecked(paths: StorePaths, action: string): string[] {
  const { bad, missing } = checkStoreDirs(paths.graphRoot, [paths.home, paths.linkDir, paths.layersDir]);
  if (bad) throw notADirError(action, bad.path, bad.what);
  return missing;
}

/**
 * Creates the directories every writer needs (R/overlay, R/overlay/l, R/overlay-layers);
 * when they all exist (the common case) that is 3 lstat and no mkdir.
 */
export function ensureStoreDirs(paths: StorePaths, legacyLinks: boolean): void {
  const missing = storeDirsChecked(paths, "write to the store");
  const need = missing.filter((d) => legacyLinks || d !== paths.linkDir);
  if (!need.length) return;
  try {
    mkdirAll(paths.graphRoot, 0o700);
    mkdirAll(paths.home, 0o700);
    if (legacyLinks) mkdirAll(paths.linkDir, 0o755);
    mkdirAll(paths.layersDir, 0o700);
  } catch (e) {
    throw sysError(`Cannot create the store directories under ${paths.graphRoot}`, e);
  }
}

export type LayerTxn = RecordTxn<LayerRecord>;

/** Runs `fn` with layers.json loaded under the write lock (held until `fn`'s promise settles). */
export function updateLayers<T>(paths: StorePaths, fn: (txn: LayerTxn) => T | Promise<T>): Promise<T> {
  return updateRecords(layersFile(paths), (txn) => {
    refuseSymlinkedStore(paths, "change the store");
    return fn(txn);
  });
}
