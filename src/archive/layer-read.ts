/**
 * Reading a layer's content while the layers.json read lock is held, so no
 * other tool deletes or changes the layer underneath (containers-storage
 * holds its layer store lock the same way). A store without a lock file is
 * read without locking: reads never create files.
 */
import { existsSync } from "node:fs";
import { loadLayers } from "../store/layer-store.ts";
import type { LayerRecord } from "../store/layers-json.ts";
import { LockFile } from "../store/lockfile.ts";
import type { StorePaths } from "../store/paths.ts";

export async function withLayersReadLocked<T>(paths: StorePaths, fn: (records: LayerRecord[]) => T | Promise<T>): Promise<T> {
  if (!existsSync(paths.layersLock)) return await fn(loadLayers(paths));
  const lock = new LockFile(paths.layersLock);
  lock.lock("read");
  try {
    return await fn(loadLayers(paths));
  } finally {
    lock.unlock();
  }
}
