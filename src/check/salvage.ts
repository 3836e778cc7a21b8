/**
 * Recovering the records of a damaged layers.json. Pure.
 *
 * A power loss can leave layers.json cut short (a filesystem that did not
 * honour the writer's fsync, or a copy made with a non-atomic tool). Every
 * writer puts one JSON object per layer in one array, so each object that
 * ends before the damage is intact: it is kept as it was, unknown fields
 * included. Nothing is made up; the layers whose records are lost are found
 * again from their directories (repair-plan.ts adopts them).
 */
import type { LayerRecord } from "../store/records/layers-json.ts";

export interface Salvage {
  /** Records read intact, in file order. */
  records: LayerRecord[];
  /** How many bytes of the file those records came from. */
  usedBytes: number;
  totalBytes: number;
}

/**
 * Reads every complete top-level object of a JSON array up to the first
 * damage (a truncation, a byte that cannot be there, an object without a
 * string "id").
 * @example salvageLayersJson('[{"id":"a"},{"id":"b","na').records // [{id:"a"}]
 */
export function salvageLayersJson(text: string): Salvage {
  const records: LayerRecord[] = [];
  let i = text.search(/\S/);
  let usedBytes = 0;
  const result = () => ({ records, usedBytes, totalBytes: Buffer.byteLength(text) });
  if (i < 0 || text[i] !== "[") return result();
  i++;
  const seen = new Set<string>();
  for (;;) {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++;
    if (i >= text.length || text[i] !== "{") return result();
    const end = objectEnd(text, i);
    if (end < 0) return result();
    let rec: unknown;
    try {
      rec = JSON.parse(text.slice(i, end));
    } catch {
      return result();
    }
    const id = (rec as { id?: unknown }).id;
    if (typeof id !== "string" || seen.has(id)) return result();
    seen.add(id);
    records.push(rec as LayerRecord);
    usedBytes = Buffer.byteLength(text.slice(0, end));
    i = end;
  }
}

/** Index just past the object starting at `start`, or -1 when it does not end. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
