/**
 * GNU sparse file maps, in the four ways GNU tar stores them. Pure.
 *
 *   old GNU ('S' typeflag): 4 spans in the header, then 512-byte extension
 *     blocks of 21 spans each while the "isextended" byte is set;
 *   pax 0.0: repeated GNU.sparse.offset / GNU.sparse.numbytes records;
 *   pax 0.1: GNU.sparse.map = "off,len,off,len...";
 *   pax 1.0: GNU.sparse.major=1, minor=0; the map is text at the start of the
 *     entry's data ("count\noff\nlen\n..."), padded to a 512-byte block.
 *
 * In every variant the archive stores only the listed spans, back to back;
 * the rest of the file (up to the real size) is holes.
 */
import { OvError } from "../../errors.ts";
import { parseSparseSpans, type HeaderContext, type SparseSpan } from "./header.ts";
import { paxText, parsePaxInt, type PaxRecord } from "./pax.ts";

/** Spans of one old-GNU extension block; `more` says another block follows. */
export function parseSparseExtension(block: Uint8Array, ctx: HeaderContext): { spans: SparseSpan[]; more: boolean } {
  return { spans: parseSparseSpans(block, 0, 21, ctx), more: block[504] !== 0 };
}

export interface PaxSparse {
  version: "0.0" | "0.1" | "1.0";
  realSize: number;
  /** The real name (GNU.sparse.name), when given. */
  name?: string;
  /** Spans for 0.0 and 0.1; for 1.0 they are read from the data. */
  spans: SparseSpan[];
}

/**
 * Recognises a GNU sparse file from its pax records, or returns null.
 * @throws {OvError} corrupt when the map is malformed.
 */
export function paxSparse(records: readonly PaxRecord[], where: string): PaxSparse | null {
  let major: string | undefined;
  let minor: string | undefined;
  let size: number | undefined;
  let name: string | undefined;
  let map: string | undefined;
  const offsets: number[] = [];
  const lengths: number[] = [];
  for (const r of records) {
    if (!r.key.startsWith("GNU.sparse.")) continue;
    const v = paxText(r.value);
    switch (r.key) {
      case "GNU.sparse.major":
        major = v;
        break;
      case "GNU.sparse.minor":
        minor = v;
        break;
      case "GNU.sparse.size":
      case "GNU.sparse.realsize":
        size = parsePaxInt(v, r.key, where);
        break;
      case "GNU.sparse.name":
        name = v;
        break;
      case "GNU.sparse.map":
        map = v;
        break;
      case "GNU.sparse.offset":
        offsets.push(parsePaxInt(v, r.key, where));
        break;
      case "GNU.sparse.numbytes":
        lengths.push(parsePaxInt(v, r.key, where));
        break;
    }
  }
  if (major === "1" && minor === "0") {
    if (size === undefined) throw new OvError("corrupt", `Pax header of ${where}: sparse file 1.0 without GNU.sparse.realsize`);
    return { version: "1.0", realSize: size, spans: [], ...(name !== undefined ? { name } : {}) };
  }
  if (map !== undefined) {
    const nums = map === "" ? [] : map.split(",").map((s) => parsePaxInt(s, "GNU.sparse.map", where));
    if (nums.length % 2 !== 0) throw new OvError("corrupt", `Pax header of ${where}: GNU.sparse.map has an odd count of numbers (${nums.length})`);
    const spans: SparseSpan[] = [];
    for (let i = 0; i < nums.length; i += 2) spans.push({ offset: nums[i]!, length: nums[i + 1]! });
    return { version: "0.1", realSize: size ?? sumEnd(spans), spans, ...(name !== undefined ? { name } : {}) };
  }
  if (offsets.length || lengths.length) {
    if (offsets.length !== lengths.length) {
      throw new OvError("corrupt", `Pax header of ${where}: ${offsets.length} GNU.sparse.offset records but ${lengths.length} GNU.sparse.numbytes`);
    }
    const spans = offsets.map((offset, i) => ({ offset, length: lengths[i]! }));
    return { version: "0.0", realSize: size ?? sumEnd(spans), spans, ...(name !== undefined ? { name } : {}) };
  }
  return null;
}

function sumEnd(spans: readonly SparseSpan[]): number {
  const last = spans[spans.length - 1];
  return last ? last.offset + last.length : 0;
}

/**
 * Parses the 1.0 map at the start of the data, given the blocks read so far.
 * Returns null when more blocks are needed.
 * @returns the spans and the bytes the map occupies (whole blocks).
 * @throws {OvError} corrupt when the text is not a map.
 */
export function parseSparse10Map(buf: Uint8Array, where: string): { spans: SparseSpan[]; consumed: number } | null {
  const nums: number[] = [];
  let pos = 0;
  let want = -1;
  while (want < 0 || nums.length < want) {
    let nl = pos;
    while (nl < buf.length && buf[nl] !== 0x0a) nl++;
    if (nl >= buf.length) return null;
    const text = Buffer.from(buf.buffer, buf.byteOffset + pos, nl - pos).toString("latin1");
    const n = parsePaxInt(text, "sparse map", where);
    nums.push(n);
    pos = nl + 1;
    if (want < 0) {
      if (n > 1_000_000) throw new OvError("corrupt", `Sparse map of ${where}: ${n} spans, the limit is 1000000`);
      want = 1 + 2 * n;
    }
  }
  const spans: SparseSpan[] = [];
  for (let i = 1; i < nums.length; i += 2) spans.push({ offset: nums[i]!, length: nums[i + 1]! });
  return { spans, consumed: Math.ceil(pos / 512) * 512 };
}

/**
 * Checks that spans are in order, do not overlap, end within the real size,
 * and that their total is what the archive stores.
 * @throws {OvError} corrupt naming the entry and the bad span.
 */
export function validateSpans(spans: readonly SparseSpan[], realSize: number, storedData: number, where: string): void {
  let end = 0;
  let total = 0;
  spans.forEach((s, i) => {
    if (s.offset < end || s.offset + s.length > realSize) {
      throw new OvError("corrupt", `Sparse map of ${where}: span ${i + 1} of ${spans.length} (offset ${s.offset}, length ${s.length}) overlaps or exceeds the file size ${realSize}`);
    }
    end = s.offset + s.length;
    total += s.length;
  });
  if (total !== storedData) {
    throw new OvError("corrupt", `Sparse map of ${where}: the spans hold ${total} bytes but the archive stores ${storedData}`);
  }
}
