/**
 * R/overlay-layers/layers.json: the JSON array of layer records shared by
 * every tool using the store. Pure parse and format.
 *
 * Records are kept as the parsed objects, so fields ovlayer does not know
 * survive a rewrite. Output puts the known fields in containers/storage's
 * struct order and escapes <, > and & as Go's encoder does, so a file
 * rewritten by ovlayer is byte-identical to one written by containers-storage.
 */
import { OvError } from "../../errors.ts";
import { findRecord } from "../lookup.ts";
import { decodeRecords, type RecordSchema } from "./decode.ts";
import { goJson } from "./go-json.ts";
import { quoteArg } from "../../quote.ts";
import { isFromReadOnlyStore } from "../store-set.ts";

/** One layer record. Unknown fields are allowed and preserved. */
export interface LayerRecord {
  id: string;
  names?: string[];
  parent?: string;
  metadata?: string;
  mountlabel?: string;
  created?: string;
  flags?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Field order of storage.Layer's JSON tags. */
export const KNOWN_FIELDS = [
  "id",
  "names",
  "parent",
  "metadata",
  "mountlabel",
  "created",
  "compressed-diff-digest",
  "compressed-size",
  "diff-digest",
  "toc-digest",
  "diff-size",
  "compression",
  "uidset",
  "gidset",
  "flags",
  "uidmap",
  "gidmap",
  "big-data-names",
] as const;

export const INCOMPLETE_FLAG = "incomplete";
/** Our own flag: the layer was created read-only (`create-layer --readonly`). */
export const READONLY_FLAG = "ovlayer.readonly";

/** Types of the fields of storage.Layer (decode.ts checks them). */
export const LAYER_SCHEMA: RecordSchema = {
  what: "layer",
  uniqueNames: true,
  fields: {
    id: "string",
    names: "string[]",
    parent: "string",
    metadata: "string",
    mountlabel: "string",
    created: "string",
    "compressed-diff-digest": "string",
    "compressed-size": "number",
    "diff-digest": "string",
    "toc-digest": "string",
    "diff-size": "number",
    compression: "number",
    uidset: "number[]",
    gidset: "number[]",
    flags: "object",
    uidmap: "object[]",
    gidmap: "object[]",
    "big-data-names": "string[]",
  },
};

/**
 * Parses layers.json. An empty file is an empty store, as upstream reads it.
 * @throws {OvError} corrupt naming the file and the entry: not an array, a
 *   field of the wrong type, a duplicate ID or name, nesting too deep.
 */
export function parseLayersJson(text: string, file: string): LayerRecord[] {
  return decodeRecords<LayerRecord>(text, file, LAYER_SCHEMA);
}

/** Go's omitempty: drops "", 0, false, null, empty arrays and empty maps. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v as object).length === 0;
  return false;
}

const KNOWN_INDEX: ReadonlyMap<string, number> = new Map(KNOWN_FIELDS.map((k, i) => [k, i]));

/**
 * Whether `r` already serializes as orderRecord(r) would: known fields in
 * upstream order with no empty one to drop, then the unknown ones. Records
 * read from a file that containers-storage or ovlayer wrote normally are, and
 * checking is several times cheaper than rebuilding (a 500-layer store is
 * rewritten twice per create-layer; bench/README.md).
 */
function isOrdered(r: LayerRecord): boolean {
  let last = -1;
  let unknownSeen = false;
  for (const k in r) {
    const i = KNOWN_INDEX.get(k);
    if (i === undefined) {
      unknownSeen = true;
      continue;
    }
    if (unknownSeen || i < last) return false;
    const v = r[k];
    if (k === "id" || k === "created" ? v === undefined : isEmpty(v)) return false;
    last = i;
  }
  return true;
}

/**
 * Reorders one record: known fields first in upstream order, then the unknown
 * ones. Returns `r` itself when it is already in that order.
 */
export function orderRecord(r: LayerRecord): Record<string, unknown> {
  if (isOrdered(r)) return r;
  const out: Record<string, unknown> = {};
  for (const k of KNOWN_FIELDS) {
    const v = r[k];
    if (k === "id" || k === "created") {
      if (v !== undefined) out[k] = v;
    } else if (!isEmpty(v)) out[k] = v;
  }
  for (const [k, v] of Object.entries(r)) {
    if (!(k in out) && !(KNOWN_FIELDS as readonly string[]).includes(k) && v !== undefined) out[k] = v;
  }
  return out;
}

export function formatLayersJson(records: readonly LayerRecord[]): string {
  return goJson(records.map(orderRecord));
}

/** RFC 3339 with nanoseconds in UTC, trailing zeros trimmed (Go's RFC3339Nano). */
export function formatCreated(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  let frac = (epochNs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}${frac ? "." + frac : ""}Z`;
}

export function isIncomplete(r: LayerRecord): boolean {
  return r.flags?.[INCOMPLETE_FLAG] === true;
}

/**
 * Refuses to use a layer flagged incomplete.
 * @throws {OvError} corrupt with the repair hint.
 * @example requireComplete(rec, "mount") // "Cannot mount layer 3f2a...: it is flagged incomplete (...)"
 */
export function requireComplete(r: LayerRecord, verb: string): void {
  if (isIncomplete(r)) {
    throw new OvError("corrupt", `Cannot ${verb} layer ${r.id}: it is flagged incomplete (a crash while it was created or deleted)`, {
      hint: "run `ovlayer repair` to remove incomplete layers",
    });
  }
}

/** Created `--readonly`, or read from a read-only additional store (store-set.ts). */
export function isReadOnlyLayer(r: LayerRecord): boolean {
  return r.flags?.[READONLY_FLAG] === true || isFromReadOnlyStore(r);
}

export function setFlag(r: LayerRecord, flag: string, value: unknown): void {
  r.flags = { ...(r.flags ?? {}), [flag]: value };
}

export function clearFlag(r: LayerRecord, flag: string): void {
  if (!r.flags) return;
  const { [flag]: _, ...rest } = r.flags;
  if (Object.keys(rest).length) r.flags = rest;
  else delete r.flags;
}

/**
 * Finds a layer by ID, then by name, then by a unique ID prefix (as
 * containers-storage's truncindex does). Returns undefined when nothing matches.
 * @throws {OvError} conflict when a prefix matches several layers.
 */
export function findLayer(records: readonly LayerRecord[], ref: string): LayerRecord | undefined {
  return findRecord(records, ref, "layer");
}

/**
 * The complete layer `ref` (ID, name or unique ID prefix) names.
 * @throws {OvError} not-found ("layer not known"), conflict (ambiguous prefix), corrupt (flagged incomplete).
 */
export function requireCompleteLayer(records: readonly LayerRecord[], ref: string, verb: string): LayerRecord {
  const r = findLayer(records, ref);
  if (!r) throw new OvError("not-found", `Cannot ${verb} layer ${quoteArg(ref)}: layer not known`);
  requireComplete(r, verb);
  return r;
}

/** IDs of the layers whose parent is `id`. */
export function childrenOf(records: readonly LayerRecord[], id: string): string[] {
  return records.filter((r) => r.parent === id).map((r) => r.id);
}
