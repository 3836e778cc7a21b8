/**
 * Deleting a layer. `delete-layer` refuses a layer that has children, that an
 * image or container uses, or that is mounted, and says which; `delete` skips
 * those checks (as containers-storage's does) but still unmounts first, so no
 * mounted tree is ever removed under a user.
 *
 * Locks, as upstream's DeleteLayer: layers.lock, then images.lock, then
 * containers.lock (the last two read here: they are only looked at).
 *
 * The entry is flagged incomplete and saved before anything is removed, so a
 * crash half-way leaves a layer that `repair` (and containers-storage on its
 * next write) finishes deleting.
 */
import { OvError } from "../../errors.ts";
import type { ContainerRecord } from "../records/containers-json.ts";
import { readContainers } from "../records/container-store.ts";
import type { ImageRecord } from "../records/images-json.ts";
import { readImages } from "../records/image-store.ts";
import { childrenOf, findLayer, INCOMPLETE_FLAG, setFlag, type LayerRecord } from "../records/layers-json.ts";
import { removeLayer } from "../layers/layout.ts";
import { readOtherLayers, updateLayers, type LayerTxn } from "../records/layer-store.ts";
import { mergeById, readOnlyLayerStore, storeOf } from "../store-set.ts";
import type { StorePaths } from "../paths.ts";
import { quoteArg } from "../../quote.ts";

export interface DeleteHooks {
  /** The layer's trusted mount count (0 when not mounted). */
  mountCount(id: string): number;
  /** Unmounts the layer whatever its count. */
  unmountAll(id: string): Promise<void>;
}

/** Why `rec` must not be deleted with safety checks, or null. Pure. */
export function deleteBlocker(
  records: readonly LayerRecord[],
  rec: LayerRecord,
  images: readonly ImageRecord[],
  containers: readonly ContainerRecord[],
  mountCount: number,
): OvError | null {
  const kids = childrenOf(records, rec.id);
  if (kids.length) {
    const more = kids.length > 1 ? ` and ${kids.length - 1} more` : "";
    return new OvError("conflict", `Cannot delete layer ${rec.id}: used by layer ${kids[0]}${more}: layer has children`);
  }
  const img = images.find((i) => i.layer === rec.id || i["mapped-layers"]?.includes(rec.id));
  if (img) return new OvError("conflict", `Cannot delete layer ${rec.id}: layer ${rec.id} used by image ${img.id}: layer is in use by an image`);
  const ctr = containers.find((c) => c.layer === rec.id);
  if (ctr) return new OvError("conflict", `Cannot delete layer ${rec.id}: layer ${rec.id} used by container ${ctr.id}: layer is in use by a container`);
  if (mountCount > 0) {
    return new OvError("busy", `Cannot delete layer ${rec.id}: it is mounted (count ${mountCount})`, { hint: `unmount it first: ovlayer unmount ${rec.id}` });
  }
  return null;
}

/**
 * Removes layer `rec` (unmounting it first) inside a layers.json write
 * transaction the caller holds.
 */
export async function deleteLayerInTxn(paths: StorePaths, txn: LayerTxn, rec: LayerRecord, hooks: DeleteHooks): Promise<void> {
  if (hooks.mountCount(rec.id) > 0) await hooks.unmountAll(rec.id);
  setFlag(rec, INCOMPLETE_FLAG, true);
  txn.save();
  try {
    removeLayer(paths, rec.id); // its dir, l/ link, tar-split and big data items
    txn.records = txn.records.filter((r) => r !== rec);
    txn.save();
  } catch (e) {
    // Removed files cannot be put back: the record stays flagged incomplete,
    // which `repair` (and containers-storage) finish deleting.
    if (e instanceof OvError) e.also.push(`layer ${rec.id} stays in ${paths.layersJson} flagged incomplete: \`ovlayer repair\` finishes deleting it`);
    throw e;
  }
}

/**
 * Deletes layer `ref`; returns its ID.
 * @param safe refuse a layer with children, or one an image or container uses, or (true) a mounted one.
 * @throws {OvError} not-found, conflict/busy (with `safe`), sys.
 */
export async function deleteLayer(paths: StorePaths, ref: string, safe: boolean | "unmounting", hooks: DeleteHooks): Promise<string> {
  return updateLayers(paths, async (txn) => {
    const own = findLayer(txn.records, ref);
    const other = own ? undefined : findLayer(readOtherLayers(paths), ref);
    const rec = own ?? other;
    if (!rec) throw new OvError("not-found", `Cannot delete ${quoteArg(ref)}: layer not known`);
    // A read-only store's layer is never deleted (upstream: "identifier is not a layer").
    if (other && !inSplitImageStore(paths, other)) {
      throw new OvError("not-found", `Cannot delete layer ${other.id}: it is in the image store ${storeOf(other, paths).graphRoot}, not in ${paths.graphRoot}: identifier is not a layer`);
    }
    if (safe) {
      // "unmounting": upstream's DeleteLayer as check's repair calls it, which unmounts first.
      const mounts = safe === "unmounting" ? 0 : hooks.mountCount(rec.id);
      const layers = other ? mergeById(txn.records, readOtherLayers(paths)) : txn.records;
      const blocker = deleteBlocker(layers, rec, readImages(paths), readContainers(paths), mounts);
      if (blocker) throw blocker;
    }
    if (other) await deleteInSplitImageStore(paths, other.id, hooks);
    else await deleteLayerInTxn(paths, txn, rec, hooks);
    return rec.id;
  });
}

/** Whether `rec` (read by readOtherLayers) is a layer of the split image store (store-set.ts). */
export function inSplitImageStore(paths: StorePaths, rec: LayerRecord): boolean {
  return paths.imageStore !== null && storeOf(rec, paths) === paths.imageStore;
}

/**
 * Deletes layer `id` of the split image store (a `--readonly` layer there), under that store's
 * layers.lock; the caller holds the graph root's and has checked what blocks it.
 */
export async function deleteInSplitImageStore(paths: StorePaths, id: string, hooks: DeleteHooks): Promise<void> {
  const target = readOnlyLayerStore(paths);
  await updateLayers(target, async (txn) => {
    const rec = findLayer(txn.records, id);
    if (rec) await deleteLayerInTxn(target, txn, rec, hooks);
  });
}
