/**
 * Reading and changing R/overlay-images/images.json under images.lock (the
 * same fcntl/OFD lock and last-writer token as layers.json, json-file.ts).
 */
import { readRecords, updateRecords, type JsonFileSpec, type RecordTxn } from "./json-file.ts";
import { formatImagesJson, parseImagesJson, type ImageRecord } from "./images-json.ts";
import type { StorePaths } from "./paths.ts";

export function imagesFile(paths: StorePaths): JsonFileSpec<ImageRecord> {
  return { file: paths.imagesJson, lock: paths.imagesLock, codec: { parse: parseImagesJson, format: formatImagesJson } };
}

/** The image records, under the read lock (no lock when the store has none yet). */
export function readImages(paths: StorePaths): ImageRecord[] {
  return readRecords(imagesFile(paths));
}

export type ImageTxn = RecordTxn<ImageRecord>;

/** Runs `fn` with images.json loaded under the write lock. */
export function updateImages<T>(paths: StorePaths, fn: (txn: ImageTxn) => T | Promise<T>): Promise<T> {
  return updateRecords(imagesFile(paths), fn);
}
