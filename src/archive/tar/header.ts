/**
 * One 512-byte tar header block: parsing and formatting. Pure.
 *
 * Layout (POSIX ustar, with the GNU and star variants of the tail):
 *
 *   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]  136 mtime[12]
 *   148 chksum[8]  156 typeflag  157 linkname[100]  257 magic[6]  263 version[2]
 *   265 uname[32]  297 gname[32]  329 devmajor[8]  337 devminor[8]
 *   ustar: 345 prefix[155]
 *   GNU:   345 atime[12] 357 ctime[12] 369 offset[12] 381 longnames[4] 385 unused
 *          386 sparse[4 x (offset[12] numbytes[12])] 482 isextended 483 realsize[12]
 *   star:  345 prefix[131] 476 atime[12] 488 ctime[12] 508 "tar\0"
 *
 * Numbers are octal text, or GNU base-256 (first byte has the high bit set)
 * when they do not fit. The checksum is the sum of the header bytes with the
 * checksum field read as eight spaces; old tars summed signed bytes, so both
 * sums are accepted.
 */
import { OvError } from "../../errors.ts";
import { MAX_NAME, overLimit } from "./limits.ts";
import { quoteArg } from "../../quote.ts";

export const BLOCK_SIZE = 512;

/** Typeflag bytes. */
export const TypeFlag = {
  REG: 0x30, // '0'
  AREG: 0x00, // '\0', old regular file
  LINK: 0x31, // '1'
  SYMLINK: 0x32, // '2'
  CHAR: 0x33, // '3'
  BLOCK: 0x34, // '4'
  DIR: 0x35, // '5'
  FIFO: 0x36, // '6'
  CONT: 0x37, // '7', contiguous file: a regular file everywhere that matters
  PAX: 0x78, // 'x'
  PAX_GLOBAL: 0x67, // 'g'
  SOLARIS_PAX: 0x58, // 'X', pre-POSIX pax header
  GNU_LONGNAME: 0x4c, // 'L'
  GNU_LONGLINK: 0x4b, // 'K'
  GNU_SPARSE: 0x53, // 'S', old GNU sparse file
  GNU_DUMPDIR: 0x44, // 'D'
  GNU_VOLHDR: 0x56, // 'V'
  GNU_MULTIVOL: 0x4d, // 'M'
} as const;

export type HeaderFormat = "v7" | "ustar" | "gnu" | "star";

/** One old-GNU sparse map entry: `length` bytes of data at `offset` in the file. */
export interface SparseSpan {
  offset: number;
  length: number;
}

/** The fields of one header block, before pax or GNU long-name overrides. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname: string;
  format: HeaderFormat;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** GNU/star atime in seconds, when the header has one. */
  atime?: number;
  /** Old GNU sparse ('S') entries only. */
  gnuSparse?: { spans: SparseSpan[]; isExtended: boolean; realSize: number };
}

/** Where a header sits, for error messages. */
export interface HeaderContext {
  /** 1-based entry number in the archive. */
  entry: number;
  /** Byte offset of the block in the uncompressed stream. */
  offset: number;
}

function corrupt(ctx: HeaderContext, what: string): OvError {
  return new OvError("corrupt", `invalid tar header: entry ${ctx.entry} at byte offset ${ctx.offset}: ${what}`); // upstream's words, which scripts match
}

/** True when the 512 bytes at `off` are all zero (an end-of-archive block). */
export function isZeroBlock(b: Uint8Array, off = 0): boolean {
  // A real header has a non-empty checksum field: test that before scanning.
  if (b[off + 148] !== 0 || b[off] !== 0) return false;
  for (let i = off; i < off + BLOCK_SIZE; i++) if (b[i] !== 0) return false;
  return true;
}

/** The checksums of a header: unsigned and signed byte sums with the checksum field as spaces. */
export function headerChecksums(b: Uint8Array, off = 0): { unsigned: number; signed: number } {
  return { unsigned: unsignedChecksum(b, off), signed: signedChecksum(b, off) };
}

function unsignedChecksum(b: Uint8Array, off: number): number {
  let u = 8 * 0x20; // the checksum field counts as eight spaces
  for (let i = off; i < off + 148; i++) u += b[i]!;
  for (let i = off + 156; i < off + BLOCK_SIZE; i++) u += b[i]!;
  return u;
}

function signedChecksum(b: Uint8Array, off: number): number {
  let s = 8 * 0x20;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    if (i >= 148 && i < 156) continue;
    const v = b[off + i]!;
    s += v > 127 ? v - 256 : v;
  }
  return s;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Lenient = new TextDecoder("utf-8");

/**
 * Decodes bytes as a name. ASCII is the common case; other bytes must be
 * valid UTF-8, because names become file paths through APIs that take JS strings.
 * @throws {OvError} unsupported when the bytes are not UTF-8.
 */
export function decodeName(bytes: Uint8Array, what: string): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (bytes.length > MAX_NAME) throw overLimit(what.replace(/^Entry/, "entry"), "name", bytes.length, MAX_NAME, "bytes");
  if (ascii) return latin1(bytes);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new OvError("unsupported", `${what} ${quoteArg(utf8Lenient.decode(bytes))} is not valid UTF-8; ovlayer only handles UTF-8 names`);
  }
}

/** Text of a user or group name: ASCII directly, anything else as lenient UTF-8. */
function decodeLenient(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return utf8Lenient.decode(bytes);
  return latin1(bytes);
}

/** ASCII bytes as a string, without an argument per byte (no stack limit on the length). */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

/** A NUL-terminated field as raw bytes. */
export function fieldBytes(b: Uint8Array, off: number, len: number): Uint8Array {
  let end = off;
  const max = off + len;
  while (end < max && b[end] !== 0) end++;
  return b.subarray(off, end);
}

/**
 * Parses a numeric field: octal text (spaces and NULs around it are allowed,
 * an empty field is 0) or GNU base-256.
 * @throws {OvError} corrupt for anything else or a value beyond 2^53.
 */
export function parseNumeric(b: Uint8Array, off: number, len: number, field: string, ctx: HeaderContext): number {
  const first = b[off]!;
  if (first & 0x80) {
    // Base-256: big-endian two's complement; 0x80 marks positive, 0xff negative.
    const negative = first === 0xff;
    let v = 0n;
    for (let i = 0; i < len; i++) {
      let byte = b[off + i]!;
      if (i === 0) byte = negative ? byte : byte & 0x7f;
      v = (v << 8n) | BigInt(byte);
    }
    if (negative) v -= 1n << BigInt(len * 8);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw corrupt(ctx, `${field} ${v} is out of range`);
    }
    return Number(v);
  }
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30);
      digits++;
    } else break;
  }
  for (; i < end; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0) {
      const text = Buffer.from(b.subarray(off, end)).toString("latin1");
      throw corrupt(ctx, `${field} field ${JSON.stringify(text)} is not an octal number`);
    }
  }
  if (v > Number.MAX_SAFE_INTEGER) throw corrupt(ctx, `${field} is out of range`);
  return digits === 0 ? 0 : v;
}

function formatOf(b: Uint8Array, off: number): HeaderFormat {
  // "ustar\0" "00" is POSIX; "ustar " " \0" is GNU; nothing is v7.
  const m0 = b[off + 257],
    m5 = b[off + 262],
    v0 = b[off + 263],
    v1 = b[off + 264];
  const isUstarMagic = m0 === 0x75 && b[off + 258] === 0x73 && b[off + 259] === 0x74 && b[off + 260] === 0x61 && b[off + 261] === 0x72;
  if (!isUstarMagic) return "v7";
  if (m5 === 0x20 && v0 === 0x20 && v1 === 0) return "gnu";
  if (m5 === 0 && b[off + 508] === 0x74 && b[off + 509] === 0x61 && b[off + 510] === 0x72 && b[off + 511] === 0) return "star";
  return "ustar";
}

/**
 * Parses and checks one header block (not an all-zero block).
 * @throws {OvError} corrupt on a checksum mismatch or a malformed number.
 */
export function parseHeader(b: Uint8Array, off: number, ctx: HeaderContext): RawHeader {
  const stored = parseNumeric(b, off + 148, 8, "checksum", ctx);
  const unsigned = unsignedChecksum(b, off);
  // The signed sum (old tars) is only worth computing when the usual one does not match.
  if (stored !== unsigned && stored !== signedChecksum(b, off)) {
    throw corrupt(ctx, `checksum mismatch: the header says ${stored}, its bytes sum to ${unsigned}`);
  }
  const format = formatOf(b, off);
  let nameBytes = fieldBytes(b, off, 100);
  if (format === "ustar" || format === "star") {
    const prefix = fieldBytes(b, off + 345, format === "star" ? 131 : 155);
    if (prefix.length) nameBytes = Buffer.concat([prefix, Buffer.from("/"), nameBytes]);
  }
  const typeflag = b[off + 156]!;
  const h: RawHeader = {
    name: decodeName(nameBytes, `Entry ${ctx.entry}: name`),
    mode: parseNumeric(b, off + 100, 8, "mode", ctx),
    uid: parseNumeric(b, off + 108, 8, "uid", ctx),
    gid: parseNumeric(b, off + 116, 8, "gid", ctx),
    size: parseNumeric(b, off + 124, 12, "size", ctx),
    mtime: parseNumeric(b, off + 136, 12, "mtime", ctx),
    typeflag,
    linkname: decodeName(fieldBytes(b, off + 157, 100), `Entry ${ctx.entry}: link target`),
    format,
    uname: format === "v7" ? "" : decodeLenient(fieldBytes(b, off + 265, 32)),
    gname: format === "v7" ? "" : decodeLenient(fieldBytes(b, off + 297, 32)),
    devmajor: format === "v7" ? 0 : parseNumeric(b, off + 329, 8, "devmajor", ctx),
    devminor: format === "v7" ? 0 : parseNumeric(b, off + 337, 8, "devminor", ctx),
  };
  if (h.size < 0) throw corrupt(ctx, `size ${h.size} is negative`);
  if (format === "gnu") {
    const at = parseNumeric(b, off + 345, 12, "atime", ctx);
    if (at !== 0) h.atime = at;
    if (typeflag === TypeFlag.GNU_SPARSE) {
      h.gnuSparse = {
        spans: parseSparseSpans(b, off + 386, 4, ctx),
        isExtended: b[off + 482] !== 0,
        realSize: parseNumeric(b, off + 483, 12, "realsize", ctx),
      };
    }
  } else if (format === "star") {
    const at = parseNumeric(b, off + 476, 12, "atime", ctx);
    if (at !== 0) h.atime = at;
  }
  return h;
}

/** Reads up to `count` (offset, numbytes) pairs of 12-byte numbers; an empty offset ends the list. */
export function parseSparseSpans(b: Uint8Array, off: number, count: number, ctx: HeaderContext): SparseSpan[] {
  const spans: SparseSpan[] = [];
  for (let i = 0; i < count; i++) {
    const p = off + i * 24;
    if (b[p] === 0) break;
    spans.push({ offset: parseNumeric(b, p, 12, "sparse offset", ctx), length: parseNumeric(b, p + 12, 12, "sparse length", ctx) });
  }
  return spans;
}

// ---------------------------------------------------------------------------
// Formatting

/** Largest value an octal field of `len` bytes holds (len-1 digits and a NUL). */
export function octalLimit(len: number): number {
  return 8 ** (len - 1) - 1;
}

/** Writes `v` as NUL-terminated zero-padded octal, or base-256 when it does not fit. */
export function writeNumeric(b: Uint8Array, off: number, len: number, v: number): void {
  if (v >= 0 && v <= octalLimit(len)) {
    const s = v.toString(8).padStart(len - 1, "0");
    for (let i = 0; i < len - 1; i++) b[off + i] = s.charCodeAt(i);
    b[off + len - 1] = 0;
    return;
  }
  let x = BigInt(v);
  if (x < 0n) x += 1n << BigInt(len * 8);
  for (let i = len - 1; i >= 0; i--) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] = v < 0 ? 0xff : 0x80;
}

function writeBytes(b: Uint8Array, off: number, len: number, s: Uint8Array): void {
  b.set(s.subarray(0, len), off);
}

/** What formatHeader needs; strings are written as UTF-8 and must already fit. */
export interface HeaderFields {
  name: Uint8Array;
  prefix?: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname?: Uint8Array;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
}

/** Formats one POSIX ustar header block with its checksum. */
export function formatHeader(f: HeaderFields): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  writeBytes(b, 0, 100, f.name);
  writeNumeric(b, 100, 8, f.mode);
  writeNumeric(b, 108, 8, f.uid);
  writeNumeric(b, 116, 8, f.gid);
  writeNumeric(b, 124, 12, f.size);
  writeNumeric(b, 136, 12, f.mtime);
  b[156] = f.typeflag;
  if (f.linkname) writeBytes(b, 157, 100, f.linkname);
  b.set([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30], 257); // "ustar\0" "00"
  if (f.uname) writeBytes(b, 265, 31, Buffer.from(f.uname, "utf8"));
  if (f.gname) writeBytes(b, 297, 31, Buffer.from(f.gname, "utf8"));
  writeNumeric(b, 329, 8, f.devmajor ?? 0);
  writeNumeric(b, 337, 8, f.devminor ?? 0);
  if (f.prefix) writeBytes(b, 345, 155, f.prefix);
  const { unsigned } = headerChecksums(b);
  // Six octal digits, NUL, space: the layout GNU tar and Go write.
  const s = unsigned.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) b[148 + i] = s.charCodeAt(i);
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

/**
 * Splits a UTF-8 path for the ustar name/prefix fields, or returns null when
 * it cannot be stored there (then a pax `path` record is needed).
 */
export function splitUstarName(path: Uint8Array): { name: Uint8Array; prefix?: Uint8Array } | null {
  if (path.length <= 100) return { name: path };
  if (path.length > 256) return null;
  // The prefix is everything before a '/', at most 155 bytes; the rest at most 100 and not empty.
  for (let i = Math.min(155, path.length - 2); i > 0; i--) {
    if (path[i] === 0x2f && path.length - i - 1 <= 100 && path.length - i - 1 > 0) {
      return { prefix: path.subarray(0, i), name: path.subarray(i + 1) };
    }
  }
  return null;
}
