/**
 * "Pulling up" an image of another image store (a read-only additional store,
 * or the graph root's images under a split image store) into the primary
 * image store, as upstream's updateNames does before it changes the names of
 * such an image: the record is copied (ID, names, top layer, created, digest,
 * metadata, names-history, flags) with every big data item, then the copy is
 * changed. The other store is only read.
 *
 * Writes R/overlay-images/<ID>/<item> of the primary image store (its big-data
 * files, through big-data.ts) and the record in images.json (the caller's txn).
 */
import { readBigDataFile, writeBigDataFile } from "./lifecycle/big-data.ts";
import type { ImageRecord } from "./records/images-json.ts";
import { readOtherImages, type ImageTxn } from "./records/image-store.ts";
import { findRecord } from "./lookup.ts";
import type { StorePaths } from "./paths.ts";
import { storeOf } from "./store-set.ts";

/**
 * Copies the image `ref` names in another image store into `txn` (the primary
 * image store, under its write lock) and returns the copy, or undefined when
 * no other store has it.
 */
export function pullUpImage(paths: StorePaths, txn: ImageTxn, ref: string): ImageRecord | undefined {
  const other = findRecord(readOtherImages(paths), ref, "image");
  if (!other) return undefined;
  const from = storeOf(other, paths);
  const copy: ImageRecord = { id: other.id };
  if (other.digest) copy.digest = other.digest;
  if (other.names?.length) copy.names = [...other.names];
  if (other["names-history"]?.length) copy["names-history"] = [...other["names-history"]];
  if (other.layer) copy.layer = other.layer;
  if (other.metadata) copy.metadata = other.metadata;
  for (const key of other["big-data-names"] ?? []) {
    const data = readBigDataFile(from.imageDataDir(other.id), other, key, "image");
    writeBigDataFile(paths.imageDataDir(other.id), key, data);
  }
  if (other["big-data-names"]?.length) copy["big-data-names"] = [...other["big-data-names"]];
  if (other["big-data-sizes"]) copy["big-data-sizes"] = { ...other["big-data-sizes"] };
  if (other["big-data-digests"]) copy["big-data-digests"] = { ...other["big-data-digests"] };
  if (other.created) copy.created = other.created;
  if (other.flags) copy.flags = structuredClone(other.flags);
  txn.records.push(copy);
  return copy;
}
