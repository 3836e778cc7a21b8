/**
 * POSIX pax extended header records ("LEN KEY=VALUE\n", LEN counting the
 * whole record including itself). Pure.
 *
 * Values stay bytes: `SCHILY.xattr.*` values are binary (a
 * `security.capability` value is not UTF-8), and reading them as text would
 * corrupt them. Keys may repeat (GNU sparse 0.0 repeats
 * `GNU.sparse.offset`/`numbytes`), so records are a list, in order.
 */
import { OvError } from "../../errors.ts";
import { MAX_PAX_RECORDS, overLimit } from "./limits.ts";
import { quoteArg } from "../../quote.ts";

export interface PaxRecord {
  key: string;
  value: Uint8Array;
}

const NS_PER_S = 1_000_000_000n;

/**
 * Parses the data of a pax header.
 * One pass over the bytes: linear in the size of the header.
 * @param where names the header in error messages ("entry 3 at byte offset 1024").
 * @param maxRecords records allowed (what is left of the entry's MAX_PAX_RECORDS).
 * @throws {OvError} corrupt on a malformed record or more than `maxRecords` records.
 */
export function parsePaxRecords(data: Uint8Array, where: string, maxRecords = MAX_PAX_RECORDS): PaxRecord[] {
  const out: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    // Trailing NUL padding after the last record is tolerated (some writers add it).
    if (data[pos] === 0) break;
    let len = 0;
    let p = pos;
    while (p < data.length && p - pos < 16 && data[p]! >= 0x30 && data[p]! <= 0x39) {
      len = len * 10 + (data[p]! - 0x30);
      p++;
    }
    if (p === pos || data[p] !== 0x20 || len <= p - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new OvError("corrupt", `Pax header of ${where}: malformed record at byte ${pos} of ${data.length}`);
    }
    const recEnd = pos + len - 1; // excludes the newline
    let eq = p + 1;
    while (eq < recEnd && data[eq] !== 0x3d) eq++;
    if (eq >= recEnd || eq === p + 1) {
      throw new OvError("corrupt", `Pax header of ${where}: record at byte ${pos} has no "key=value"`);
    }
    const key = Buffer.from(data.buffer, data.byteOffset + p + 1, eq - p - 1).toString("utf8");
    if (out.length === maxRecords) throw overLimit(where, "pax header", out.length + 1, MAX_PAX_RECORDS, "records or more");
    out.push({ key, value: data.slice(eq + 1, recEnd) });
    pos += len;
  }
  return out;
}

/** Formats records; each length prefix counts its own digits. */
export function formatPaxRecords(records: readonly PaxRecord[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { key, value } of records) {
    const k = Buffer.from(key, "utf8");
    const body = k.length + value.length + 3; // ' ', '=', '\n'
    let len = body + String(body).length;
    if (String(len).length !== String(len - body).length) len = body + String(len).length;
    const head = Buffer.from(`${len} ${key}=`, "utf8");
    parts.push(head, value, Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

/** A record whose value is text. */
export function textRecord(key: string, value: string): PaxRecord {
  return { key, value: Buffer.from(value, "utf8") };
}

/** The value of a record as UTF-8 text. */
export function paxText(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.length).toString("utf8");
}

/**
 * Parses a pax time ("1795708040.897148176", "-1.5", "12") into nanoseconds.
 * Digits beyond nanoseconds are dropped.
 * @throws {OvError} corrupt when it is not a decimal number.
 */
export function parsePaxTime(text: string, where: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new OvError("corrupt", `Pax header of ${where}: time ${quoteArg(text)} is not a decimal number`);
  if (m[2]!.length > 19) throw new OvError("corrupt", `Pax header of ${where}: time ${quoteArg(text)} is out of range (more than 19 digits of seconds)`);
  const secs = BigInt(m[2]!);
  const frac = BigInt((m[3] ?? "").slice(0, 9).padEnd(9, "0"));
  const abs = secs * NS_PER_S + frac;
  return m[1] ? -abs : abs;
}

/** Formats nanoseconds as a pax time, with no trailing zeros in the fraction. */
export function formatPaxTime(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const secs = abs / NS_PER_S;
  const frac = (abs % NS_PER_S).toString().padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${secs}${frac ? "." + frac : ""}`;
}

/**
 * Parses a pax decimal integer field (size, uid, gid, devmajor...).
 * @throws {OvError} corrupt when it is not a non-negative integer below 2^53.
 */
export function parsePaxInt(text: string, key: string, where: string): number {
  if (!/^\d+$/.test(text)) throw new OvError("corrupt", `Pax header of ${where}: ${key}=${quoteArg(text)} is not a non-negative integer`);
  const v = Number(text);
  if (!Number.isSafeInteger(v)) throw new OvError("corrupt", `Pax header of ${where}: ${key}=${quoteArg(text, 40)} is out of range (limit 2^53)`);
  return v;
}
