/**
 * Records as Go's encoding/json writes a struct: the known fields in the
 * struct's order, `omitempty` ones dropped when empty, map fields with their
 * keys sorted (Go sorts map keys), then the fields ovlayer does not know, as
 * they were read. Pure; used by the image and container codecs.
 */

export interface GoStruct {
  /** JSON names in the struct's field order. */
  order: readonly string[];
  /** Fields without omitempty: always written (when present in the record). */
  always: ReadonlySet<string>;
  /** Fields that are Go maps: keys sorted on output. */
  maps: ReadonlySet<string>;
  /** Values written for `always` fields the record lacks (Go's zero value). */
  zero?: Readonly<Record<string, unknown>>;
}

/** Go's omitempty: drops "", 0, false, null, empty arrays and empty maps. */
export function isGoEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v as object).length === 0;
  return false;
}

function sortedMap(v: unknown): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) out[k] = (v as Record<string, unknown>)[k];
  return out;
}

/** The record with its fields in Go's order and spelling. */
export function goOrder(r: Readonly<Record<string, unknown>>, s: GoStruct): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of s.order) {
    let v = r[k];
    if (s.always.has(k)) {
      if (v === undefined || v === null) v = s.zero?.[k];
      if (v === undefined) continue;
    } else if (isGoEmpty(v)) continue;
    out[k] = s.maps.has(k) ? sortedMap(v) : v;
  }
  for (const [k, v] of Object.entries(r)) {
    if (!s.order.includes(k) && v !== undefined) out[k] = v;
  }
  return out;
}
