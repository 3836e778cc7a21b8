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
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { OvError, describeCause, errCode, fsError } from "../errors.ts";
import { atomicWriteFile } from "./atomic.ts";
import { formatLayersJson, parseLayersJson, type LayerRecord } from "./layers-json.ts";
import { LockFile, withReadLockIfPresent } from "./lockfile.ts";
import type { StorePaths } from "./paths.ts";

export function loadLayers(paths: StorePaths): LayerRecord[] {
  let text: string;
  try {
    text = readFileSync(paths.layersJson, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw new OvError("sys", `Cannot read ${paths.layersJson}: ${describeCause(e)}`, { cause: e });
  }
  return parseLayersJson(text, paths.layersJson);
}

/** Reads layers.json under the read lock. */
export function readLayers(paths: StorePaths): LayerRecord[] {
  return withReadLockIfPresent(paths.layersLock, () => loadLayers(paths));
}

/**
 * Runs `fn` with layers.json loaded under the read lock, held until `fn`'s
 * promise settles, so no other tool deletes or changes a layer while it is
 * read or mounted (containers-storage holds its layer store lock the same way).
 * A store without a lock file is read without locking (reads never create
 * files) unless `createLock` is set: mount and unmount create it, as they
 * create the rest of the run state.
 */
export async function withLayersRead<T>(paths: StorePaths, fn: (records: LayerRecord[]) => T | Promise<T>, opts: { createLock?: boolean } = {}): Promise<T> {
  if (!opts.createLock && !existsSync(paths.layersLock)) return await fn(loadLayers(paths));
  const lock = new LockFile(paths.layersLock);
  lock.lock("read");
  try {
    return await fn(loadLayers(paths));
  } finally {
    lock.unlock();
  }
}

/** Creates the directories every writer needs (R/overlay, R/overlay/l, R/overlay-layers). */
export function ensureStoreDirs(paths: StorePaths, legacyLinks: boolean): void {
  try {
    mkdirSync(paths.graphRoot, { recursive: true, mode: 0o700 });
    mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    if (legacyLinks) mkdirSync(paths.linkDir, { recursive: true, mode: 0o755 });
    mkdirSync(paths.layersDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw fsError(`Cannot create the store directories under ${paths.graphRoot}`, e);
  }
}

export interface LayerTxn {
  records: LayerRecord[];
  /** Writes `records` to layers.json atomically, with a fresh last-writer token. */
  save(): void;
  lock: LockFile;
}

/** Runs `fn` with layers.json loaded under the write lock (held until `fn`'s promise settles). */
export async function updateLayers<T>(paths: StorePaths, fn: (txn: LayerTxn) => T | Promise<T>): Promise<T> {
  mkdirSync(paths.layersDir, { recursive: true, mode: 0o700 });
  const lock = new LockFile(paths.layersLock);
  lock.lock("write");
  try {
    const txn: LayerTxn = {
      records: loadLayers(paths),
      lock,
      save() {
        lock.recordWrite();
        try {
          atomicWriteFile(paths.layersJson, formatLayersJson(txn.records), { mode: 0o600 });
        } catch (e) {
          throw fsError(`Cannot write ${paths.layersJson}`, e);
        }
      },
    };
    return await fn(txn);
  } finally {
    lock.unlock();
  }
}
