/**
 * R/overlay-images/images.json: the image records shared by every tool using
 * the store (storage.Image upstream). Pure parse and format.
 *
 * Records are the parsed objects, so fields ovlayer does not know survive a
 * rewrite; output follows Go's struct order and omitempty, with map keys
 * sorted, so a file rewritten by ovlayer is byte-identical to one written by
 * containers-storage. `digests` is not stored: it is computed on reading from
 * `digest` and the digests of the big data items named "manifest*".
 */
import { decodeRecords, type RecordSchema } from "./decode.ts";
import { goJson } from "./go-json.ts";
import { goOrder, type GoStruct } from "./go-record.ts";

export interface ImageRecord {
  id: string;
  digest?: string;
  names?: string[];
  "names-history"?: string[];
  /** Top layer ID. */
  layer?: string;
  "mapped-layers"?: string[];
  metadata?: string;
  "big-data-names"?: string[];
  "big-data-sizes"?: Record<string, number>;
  "big-data-digests"?: Record<string, string>;
  created?: string;
  flags?: Record<string, unknown>;
  [key: string]: unknown;
}

export const IMAGE_SCHEMA: RecordSchema = {
  what: "image",
  uniqueNames: true,
  fields: {
    id: "string",
    digest: "string",
    names: "string[]",
    "names-history": "string[]",
    layer: "string",
    "mapped-layers": "string[]",
    metadata: "string",
    "big-data-names": "string[]",
    "big-data-sizes": "map<number>",
    "big-data-digests": "map<string>",
    created: "string",
    flags: "object",
  },
};

const IMAGE_STRUCT: GoStruct = {
  order: Object.keys(IMAGE_SCHEMA.fields),
  always: new Set(["id", "created"]),
  maps: new Set(["big-data-sizes", "big-data-digests", "flags"]),
  zero: { created: "0001-01-01T00:00:00Z" },
};

/** A big data item whose name starts with "manifest" gives the image a digest (ImageDigestManifestBigDataNamePrefix). */
export const MANIFEST_PREFIX = "manifest";

/** @throws {OvError} corrupt naming the file and the image. */
export function parseImagesJson(text: string, file: string): ImageRecord[] {
  return decodeRecords<ImageRecord>(text, file, IMAGE_SCHEMA);
}

export function orderImage(r: ImageRecord): Record<string, unknown> {
  return goOrder(r, IMAGE_STRUCT);
}

export function formatImagesJson(records: readonly ImageRecord[]): string {
  return goJson(records.map(orderImage));
}

/**
 * The digests an image is found by, as upstream computes them: `digest`
 * first, then each distinct digest of a "manifest*" big data item, in the
 * order the items were added (Go ranges over its map in random order; ours
 * is stable).
 */
export function imageDigests(r: ImageRecord): string[] {
  const out: string[] = [];
  if (r.digest) out.push(r.digest);
  const digests = r["big-data-digests"] ?? {};
  for (const name of r["big-data-names"] ?? Object.keys(digests)) {
    const d = digests[name];
    if (name.startsWith(MANIFEST_PREFIX) && d && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Sets `digest` to the first manifest digest when it has none (upstream's recomputeDigests). */
export function recomputeDigest(r: ImageRecord): void {
  if (!r.digest) {
    const first = imageDigests(r)[0];
    if (first) r.digest = first;
  }
}
