/**
 * Reading and changing R/overlay-images/images.json under images.lock (the
 * same fcntl/OFD lock and last-writer token as layers.json, json-file.ts).
 */
import { readRecords, updateRecords, type JsonFileSpec, type RecordTxn } from "./json-file.ts";
import { formatImagesJson, parseImagesJson, type ImageRecord } from "./images-json.ts";
import type { StorePaths } from "../paths.ts";
import { mergeById, otherImageSources, tagRecords } from "../store-set.ts";

export function imagesFile(paths: StorePaths): JsonFileSpec<ImageRecord> {
  return { file: paths.imagesJson, lock: paths.imagesLock, codec: { parse: parseImagesJson, format: formatImagesJson } };
}

/**
 * The image records, under the read lock (no lock when the store has none
 * yet), then those of the other image stores (store-set.ts), each under its
 * own read lock; a read-only store's records are marked read-only.
 */
export function readImages(paths: StorePaths): ImageRecord[] {
  return mergeById(readRecords(imagesFile(paths)), readOtherImages(paths));
}

/** The images of the other image stores only (the graph root's when split, the additional stores'). */
export function readOtherImages(paths: StorePaths): ImageRecord[] {
  if (!paths.multiStore) return [];
  const all: ImageRecord[] = [];
  for (const src of otherImageSources(paths)) all.push(...tagRecords(readRecords({ ...imagesFile(src.paths), readOnly: src.readOnly }), src));
  return all;
}

export type ImageTxn = RecordTxn<ImageRecord>;

/** Runs `fn` with images.json loaded under the write lock. */
export function updateImages<T>(paths: StorePaths, fn: (txn: ImageTxn) => T | Promise<T>): Promise<T> {
  return updateRecords(imagesFile(paths), fn);
}
