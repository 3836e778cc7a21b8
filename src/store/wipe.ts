/**
 * Wiping the layer store (the layer part of `wipe`): every layer record and
 * its files (store/lifecycle/delete.ts), newest first as containers-storage does, then
 * every directory left in R/overlay that no record owned (the overlay
 * driver's own entries, `l`, `staging`, `tempdirs`..., stay).
 *
 * All records are flagged incomplete and saved before anything is removed,
 * so an interrupted wipe leaves layers that `repair` (and containers-storage)
 * finish deleting, never a record without its directory unflagged.
 */
import { INCOMPLETE_FLAG, setFlag, type LayerRecord } from "./records/layers-json.ts";
import { updateLayers } from "./records/layer-store.ts";
import { removeLayer } from "./layers/layout.ts";
import { removeLeftoverLayerDirs } from "./gc.ts";
import type { StorePaths } from "./paths.ts";

export interface WipeHooks {
  /** The layer's recorded mount count (stale or not). */
  mountCount(id: string): number;
  /** Unmounts the layer and drops its count, whatever the count. */
  unmountAll(id: string): Promise<void>;
  /** Detaches anything mounted at or below a directory about to be removed. */
  unmountBelow(dir: string): void;
}

export interface WipeResult {
  /** IDs of the deleted layers, in deletion order. */
  layers: string[];
  /** Directories in R/overlay that had no record and were removed. */
  leftovers: string[];
}

/** Deletion order: newest first, so children go before their parents (pure). */
export function wipeOrder(records: readonly LayerRecord[]): LayerRecord[] {
  return [...records].sort((a, b) => (b.created ?? "").localeCompare(a.created ?? ""));
}

/**
 * Deletes every layer of the store, under the layers.json write lock.
 * @throws {OvError} sys/permission naming the path that could not be removed.
 */
export async function wipeLayers(paths: StorePaths, hooks: WipeHooks): Promise<WipeResult> {
  return updateLayers(paths, async (txn) => {
    const order = wipeOrder(txn.records);
    for (const rec of order) if (hooks.mountCount(rec.id) > 0) await hooks.unmountAll(rec.id);
    if (order.length) {
      for (const rec of order) setFlag(rec, INCOMPLETE_FLAG, true);
      txn.save();
    }
    const done: string[] = [];
    for (const rec of order) {
      hooks.unmountBelow(paths.layer(rec.id));
      removeLayer(paths, rec.id);
      txn.records = txn.records.filter((r) => r !== rec);
      done.push(rec.id);
    }
    if (order.length) txn.save();
    const leftovers = removeLeftoverLayerDirs(paths, new Set(txn.records.map((r) => r.id)), hooks.unmountBelow);
    return { layers: done, leftovers };
  });
}
