/**
 * Creating and deleting images and storing their big data, with the locks
 * in upstream's order: layers.lock, then images.lock, then containers.lock.
 *
 *   create-image     layers (read), images (write)
 *   delete-image     layers, images, containers (write), as writeToAllStores
 *   set-image-data   images (write)
 */
import { OvError } from "../../errors.ts";
import { noteBigData, requireKey, sha256Digest, writeBigDataFile } from "./big-data.ts";
import { updateContainers } from "../records/container-store.ts";
import { deleteInSplitImageStore, deleteLayerInTxn, inSplitImageStore, type DeleteHooks } from "./delete.ts";
import { generateId, validateId, validateRecordName } from "../layers/ids.ts";
import { recomputeDigest, type ImageRecord } from "../records/images-json.ts";
import { updateImages } from "../records/image-store.ts";
import { findLayer, formatCreated, type LayerRecord } from "../records/layers-json.ts";
import { readOtherLayers, updateLayers, withLayersRead, type LayerTxn } from "../records/layer-store.ts";
import { otherImageSources } from "../store-set.ts";
import { nowNanos } from "../files/lockfile.ts";
import { findRecord, requireRecord } from "../lookup.ts";
import type { StorePaths } from "../paths.ts";
import { removeTree } from "../files/remove-tree.ts";

const DIGEST_HEX: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Checks a digest as go-digest's Validate does ("sha256:" and 64 lowercase hex chars...).
 * @throws {OvError} usage naming the digest.
 */
export function validateDigest(d: string): string {
  const m = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(d);
  const len = m ? DIGEST_HEX[m[1]!] : undefined;
  if (!m) throw new OvError("usage", `Invalid digest ${JSON.stringify(d)}: invalid checksum digest format`);
  if (len === undefined) throw new OvError("usage", `Invalid digest ${JSON.stringify(d)}: unsupported digest algorithm`);
  if (m[2]!.length !== len || !/^[a-f0-9]+$/.test(m[2]!)) throw new OvError("usage", `Invalid digest ${JSON.stringify(d)}: invalid checksum digest length`);
  return d;
}

export interface CreateImageRequest {
  id?: string;
  names?: string[];
  /** Top layer ID or name; none for a layerless image. */
  layer?: string;
  metadata?: string;
  digest?: string;
}

/** The new image record for `req` (not yet added). Pure but for the ID and the clock. */
export function planImageRecord(images: readonly ImageRecord[], layers: readonly LayerRecord[], req: CreateImageRequest, now: bigint): ImageRecord {
  const names = [...new Set(req.names ?? [])];
  names.forEach((n) => validateRecordName(n, "image"));
  let id = req.id;
  if (id) {
    validateId(id, "image ID");
    if (images.some((i) => i.id === id)) throw new OvError("conflict", `Cannot create image: an image with ID ${JSON.stringify(id)} already exists`);
  } else {
    do id = generateId();
    while (images.some((i) => i.id === id));
  }
  for (const name of names) {
    const owner = images.find((i) => i.names?.includes(name));
    if (owner) throw new OvError("conflict", `Cannot create image ${id}: image name ${JSON.stringify(name)} is already associated with image ${JSON.stringify(owner.id)}`);
  }
  const rec: ImageRecord = { id };
  if (req.digest) rec.digest = validateDigest(req.digest);
  if (names.length) rec.names = names;
  if (req.layer) {
    const top = findLayer(layers, req.layer);
    if (!top) throw new OvError("not-found", `Cannot create image ${id} on ${JSON.stringify(req.layer)}: layer not known`);
    rec.layer = top.id;
  }
  if (req.metadata) rec.metadata = req.metadata;
  rec.created = formatCreated(now);
  return rec;
}

/** Creates an image; returns its record. @throws {OvError} usage, conflict, not-found. */
export function createImage(paths: StorePaths, req: CreateImageRequest): Promise<ImageRecord> {
  return withLayersRead(paths, (layers) =>
    updateImages(paths, (txn) => {
      const rec = planImageRecord(txn.records, layers, req, nowNanos());
      txn.records.push(rec);
      txn.save();
      return rec;
    }),
  );
}

/**
 * Stores big data item `key` of image `ref`. Its digest is the sha256 of the
 * bytes (what containers-storage's CLI records, manifests included); an item
 * named "manifest*" gives an image without a digest its `digest`.
 * @throws {OvError} not-found "image not known", usage (empty key).
 */
export function setImageData(paths: StorePaths, ref: string, key: string, data: Uint8Array): Promise<void> {
  requireKey(key, "image");
  return updateImages(paths, (txn) => {
    const img = requireRecord(txn.records, ref, "image", "set data of image");
    writeBigDataFile(paths.imageDataDir(img.id), key, data);
    const hadDigest = img.digest;
    const changed = noteBigData(img, key, data.length, sha256Digest(data));
    recomputeDigest(img);
    if (changed || img.digest !== hadDigest) txn.save();
  });
}

/**
 * The layers deleting `img` also removes: its mapped top layers, then its
 * top layer and down the chain, stopping at a layer another image or a
 * container uses or one with children that stay (upstream's DeleteImage). Pure.
 */
export function layersToRemove(img: ImageRecord, images: readonly ImageRecord[], layers: readonly LayerRecord[], containerIds: ReadonlySet<string>): string[] {
  const out = [...(img["mapped-layers"] ?? [])];
  const removing = new Set(out);
  const usedByOthers = new Set<string>();
  for (const i of images) {
    if (i.id === img.id) continue;
    if (i.layer) usedByOthers.add(i.layer);
    for (const l of i["mapped-layers"] ?? []) usedByOthers.add(l);
  }
  const children = new Map<string, string[]>();
  for (const l of layers) if (l.parent) children.set(l.parent, [...(children.get(l.parent) ?? []), l.id]);
  let layer = img.layer ?? "";
  while (layer !== "") {
    if (containerIds.has(layer) || usedByOthers.has(layer)) break;
    const check = layer === img.layer ? [layer, ...(img["mapped-layers"] ?? [])] : [layer];
    if (check.some((l) => (children.get(l) ?? []).some((c) => !removing.has(c)))) break;
    out.push(layer);
    removing.add(layer);
    layer = layers.find((l) => l.id === layer)?.parent ?? "";
  }
  return out;
}

/**
 * Deletes image `ref` and the layers only it used; with `commit` false
 * (`delete-image --test`) only says which layers would go.
 * @returns the IDs of those layers.
 * @throws {OvError} not-found "image not known", conflict "image used by <container>".
 */
export function deleteImage(paths: StorePaths, ref: string, commit: boolean, hooks: DeleteHooks): Promise<string[]> {
  // With a split image store, the graph root's images are deleted there too (upstream's rwImageStores).
  const imageStores = paths.imageStore ? [paths, otherImageSources(paths)[0]!.paths] : [paths];
  return updateLayers(paths, async (ltxn) => {
    for (const at of imageStores) {
      const r = await deleteImageAt(paths, at, ltxn, ref, commit, hooks);
      if (r) return r;
    }
    throw new OvError("not-found", `Cannot delete image ${JSON.stringify(ref)}: image not known`);
  });
}

/** deleteImage() in the image store `at`; undefined when it has no such image. */
function deleteImageAt(paths: StorePaths, at: StorePaths, ltxn: LayerTxn, ref: string, commit: boolean, hooks: DeleteHooks): Promise<string[] | undefined> {
  return updateImages(at, async (itxn) => {
      const img = findRecord(itxn.records, ref, "image");
      if (!img) return undefined;
      // containers.lock is taken last, for writing, as upstream's writeToAllStores does.
      return updateContainers(paths, async (ctxn) => {
        const user = ctxn.records.find((c) => c.image === img.id);
        if (user) throw new OvError("conflict", `Cannot delete image ${img.id}: image used by ${user.id}: image is in use by a container`);
        // The split image store's layers are this store's too (upstream's one layer store with two files).
        const split = readOtherLayers(paths).filter((l) => inSplitImageStore(paths, l));
        const doomed = layersToRemove(img, itxn.records, [...ltxn.records, ...split], new Set(ctxn.records.map((c) => c.id)));
        if (!commit) return doomed;
        itxn.records = itxn.records.filter((i) => i !== img);
        itxn.save();
        removeTree(at.imageDataDir(img.id));
        // A layer of another store (read-only) is listed, as upstream lists it, but never deleted.
        for (const id of doomed) {
          const rec = ltxn.records.find((l) => l.id === id);
          if (rec) await deleteLayerInTxn(paths, ltxn, rec, hooks);
          else if (split.some((l) => l.id === id)) await deleteInSplitImageStore(paths, id, hooks);
        }
        return doomed;
      });
  });
}

/** Deletes image `ref`'s record and data only (`delete`, no safety checks, as upstream). */
export function deleteImageRecord(paths: StorePaths, id: string): Promise<void> {
  return updateImages(paths, (txn) => {
    txn.records = txn.records.filter((i) => i.id !== id);
    txn.save();
    removeTree(paths.imageDataDir(id));
  });
}
