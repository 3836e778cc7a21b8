/**
 * Building small tar archives in memory for the archive unit tests, and
 * collecting what the parser reports.
 */
import { formatPaxRecords, type PaxRecord } from "../../src/archive/tar/pax.ts";
import type { TarEntry } from "../../src/archive/tar/entry.ts";
import { formatHeader, headerChecksums, TypeFlag, type HeaderFields } from "../../src/archive/tar/header.ts";
import { TarParser, type TarSink } from "../../src/archive/tar/reader.ts";
import { END_OF_ARCHIVE, encodeHeaders, paddingFor, type OutEntry } from "../../src/archive/tar/writer.ts";

export const enc = (s: string): Uint8Array => Buffer.from(s, "utf8");

export function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + paddingFor(data.length));
  out.set(data);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** One entry written by ovlayer's writer, with its content padded. */
export function entry(e: Partial<OutEntry> & { name: string }, content?: Uint8Array): Uint8Array {
  const data = content ?? new Uint8Array(0);
  const full: OutEntry = { kind: "file", mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: 1_600_000_000n * 1_000_000_000n, ...e };
  return concat(encodeHeaders(full), pad(data));
}

/** A raw header block with the given fields (for the GNU and pax extension types). */
export function rawHeader(f: Partial<Omit<HeaderFields, "name">> & { typeflag: number; name?: string | Uint8Array; size?: number }): Uint8Array {
  const { name: n, ...rest } = f;
  const name = typeof n === "string" ? enc(n) : (n ?? enc("x"));
  return formatHeader({ mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1600000000, ...rest, name });
}

/** Recomputes the checksum after a test changed header bytes. */
export function fixChecksum(b: Uint8Array, off = 0): void {
  const block = b.subarray(off, off + 512);
  const s = headerChecksums(block).unsigned.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) block[148 + i] = s.charCodeAt(i);
  block[154] = 0;
  block[155] = 0x20;
}

/** A GNU long-name ('L') or long-link ('K') header with its data. */
export function gnuLong(type: "L" | "K", value: string): Uint8Array {
  const data = concat(enc(value), new Uint8Array(1));
  const h = rawHeader({ typeflag: type === "L" ? TypeFlag.GNU_LONGNAME : TypeFlag.GNU_LONGLINK, name: "././@LongLink", size: data.length });
  h.set(enc("ustar  \0"), 257);
  fixChecksum(h);
  return concat(h, pad(data));
}

/** A pax header ('x' or 'g') with its records. */
export function paxHeader(records: PaxRecord[], global = false): Uint8Array {
  const data = formatPaxRecords(records);
  return concat(rawHeader({ typeflag: global ? TypeFlag.PAX_GLOBAL : TypeFlag.PAX, name: "PaxHeaders/x", size: data.length }), pad(data));
}

export const END = END_OF_ARCHIVE;

export interface Collected {
  entries: TarEntry[];
  /** Content per entry index, laid out at its offsets (holes are zeros). */
  content: Map<number, Uint8Array>;
  raw: Uint8Array[];
  globals: number;
}

/** Parses an archive fed in chunks of `chunk` bytes. */
export function parseAll(archive: Uint8Array, chunk = archive.length || 1): Collected {
  const c: Collected = { entries: [], content: new Map(), raw: [], globals: 0 };
  let cur: TarEntry | null = null;
  let buf = new Uint8Array(0);
  const sink: TarSink = {
    entry(e) {
      cur = e;
      c.entries.push(e);
      buf = new Uint8Array(e.size);
    },
    data(d, off) {
      buf.set(d, off);
    },
    entryEnd(e) {
      c.content.set(e.index, buf);
      cur = null;
    },
    raw(r) {
      c.raw.push(r.slice());
    },
    globalHeader() {
      c.globals++;
    },
  };
  const p = new TarParser(sink);
  for (let i = 0; i < archive.length; i += chunk) p.push(archive.subarray(i, i + chunk));
  p.finish();
  void cur;
  return c;
}

export function text(b: Uint8Array | undefined): string {
  return b ? Buffer.from(b).toString("utf8") : "";
}
