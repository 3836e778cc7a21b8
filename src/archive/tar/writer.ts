/**
 * Encoding entries as tar headers. Pure.
 *
 * Output is POSIX ustar, with a pax extended header in front of an entry only
 * when ustar cannot hold it: a name or link target that is long or not ASCII,
 * an id beyond 2097151, a size beyond 8 GiB, an mtime with nanoseconds, or
 * xattrs (`SCHILY.xattr.*`, the keys GNU tar and Go use). Go's archive/tar
 * makes the same choices, so containers-storage and GNU tar read the result
 * back identically.
 */
import { formatPaxRecords, formatPaxTime, textRecord, type PaxRecord } from "./pax.ts";
import type { EntryKind, Xattr } from "./entry.ts";
import { BLOCK_SIZE, formatHeader, octalLimit, splitUstarName, TypeFlag } from "./header.ts";

export interface OutEntry {
  /** Path inside the archive: relative, '/'-separated; directories end with '/'. */
  name: string;
  kind: EntryKind;
  linkname?: string;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content that follow (regular files only). */
  size: number;
  mtimeNs: bigint;
  devmajor?: number;
  devminor?: number;
  xattrs?: readonly Xattr[];
}

const TYPEFLAGS: Record<EntryKind, number> = {
  file: TypeFlag.REG,
  hardlink: TypeFlag.LINK,
  symlink: TypeFlag.SYMLINK,
  char: TypeFlag.CHAR,
  block: TypeFlag.BLOCK,
  dir: TypeFlag.DIR,
  fifo: TypeFlag.FIFO,
};

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE: Uint8Array = new Uint8Array(2 * BLOCK_SIZE);

/** Zero bytes needed after `size` bytes of content to reach a block boundary. */
export function paddingFor(size: number): number {
  const r = size % BLOCK_SIZE;
  return r === 0 ? 0 : BLOCK_SIZE - r;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

const NS = 1_000_000_000n;

/**
 * The header blocks of one entry: an optional pax header with its data, then
 * the ustar header. Content and its padding are the caller's.
 * @example encodeHeaders({ name: "etc/", kind: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n }).length // 512
 */
export function encodeHeaders(e: OutEntry): Uint8Array {
  const records: PaxRecord[] = [];
  const nameBytes = Buffer.from(e.name, "utf8");
  let split = isAscii(e.name) ? splitUstarName(nameBytes) : null;
  if (!split) {
    records.push({ key: "path", value: nameBytes });
    split = { name: nameBytes.subarray(0, 100) };
  }
  let linkBytes: Uint8Array | undefined;
  if (e.linkname !== undefined) {
    linkBytes = Buffer.from(e.linkname, "utf8");
    if (linkBytes.length > 100 || !isAscii(e.linkname)) {
      records.push({ key: "linkpath", value: linkBytes });
      linkBytes = linkBytes.subarray(0, 100);
    }
  }
  if (e.uid > octalLimit(8)) records.push(textRecord("uid", String(e.uid)));
  if (e.gid > octalLimit(8)) records.push(textRecord("gid", String(e.gid)));
  if (e.size > octalLimit(12)) records.push(textRecord("size", String(e.size)));
  // Floor division keeps the seconds field right for times before 1970.
  let secs = e.mtimeNs / NS;
  if (e.mtimeNs < 0n && e.mtimeNs % NS !== 0n) secs -= 1n;
  if (e.mtimeNs % NS !== 0n || e.mtimeNs < 0n || secs > BigInt(octalLimit(12))) {
    records.push(textRecord("mtime", formatPaxTime(e.mtimeNs)));
  }
  for (const x of e.xattrs ?? []) records.push({ key: `SCHILY.xattr.${x.name}`, value: x.value });

  const main = formatHeader({
    name: split.name,
    ...(split.prefix ? { prefix: split.prefix } : {}),
    mode: e.mode & 0o7777,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: Number(secs),
    typeflag: TYPEFLAGS[e.kind],
    ...(linkBytes ? { linkname: linkBytes } : {}),
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  });
  if (records.length === 0) return main;

  const data = formatPaxRecords(records);
  const base = e.name.replace(/\/+$/, "").split("/").pop() ?? "";
  const paxName = Buffer.from(`PaxHeaders.0/${isAscii(base) ? base : "entry"}`, "utf8").subarray(0, 100);
  const paxHeader = formatHeader({
    name: paxName,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: Number(secs < 0n ? 0n : secs > BigInt(octalLimit(12)) ? 0n : secs),
    typeflag: TypeFlag.PAX,
  });
  const out = new Uint8Array(BLOCK_SIZE + data.length + paddingFor(data.length) + BLOCK_SIZE);
  out.set(paxHeader, 0);
  out.set(data, BLOCK_SIZE);
  out.set(main, out.length - BLOCK_SIZE);
  return out;
}
