/**
 * One file on disk as tar bytes: its header (see tar/writer.ts) and, for a
 * regular file, its content read in place and padded. Hardlinks inside one
 * archive are written as link entries to the first name seen, as
 * containers-storage does; sockets are skipped (tar cannot hold them).
 */
import { closeSync, openSync, readlinkSync, readSync, type BigIntStats } from "node:fs";
import { OvError, sysError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { Chunker } from "../tar/chunks.ts";
import { archiveXattrs, devMajor, devMinor, fileType, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG } from "./fs-info.ts";
import type { IdMapper } from "../apply/idmap.ts";
import type { EntryKind, Xattr } from "../tar/entry.ts";
import { encodeHeaders, paddingFor, type OutEntry } from "../tar/writer.ts";

export interface DiskWriteContext {
  ids: IdMapper;
  layerId: string;
  /** dev:ino -> archive name of the first link seen. */
  links: Map<string, string>;
}

function kindOfStat(st: BigIntStats): EntryKind | null {
  switch (fileType(st)) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "symlink";
    case S_IFCHR:
      return "char";
    case S_IFBLK:
      return "block";
    case S_IFIFO:
      return "fifo";
    default:
      return null;
  }
}

/**
 * The tar entry for a file on disk.
 * @param name archive name, relative, without a trailing slash
 * @param xattrNames the file's xattr names, when the caller already listed them
 * @returns null for sockets
 */
export function diskEntry(path: string, name: string, st: BigIntStats, ctx: DiskWriteContext, xattrNames?: string[]): OutEntry | null {
  const kind = kindOfStat(st);
  if (kind === null) {
    log.info(`layer ${ctx.layerId}: skipping ${name}: it is a socket`);
    return null;
  }
  const [uid, gid] = ctx.ids.toContainer(Number(st.uid), Number(st.gid), `Cannot export ${name} of layer ${ctx.layerId}`);
  const e: OutEntry = {
    name: kind === "dir" ? name + "/" : name,
    kind,
    mode: Number(st.mode & 0o7777n),
    uid,
    gid,
    size: kind === "file" ? Number(st.size) : 0,
    mtimeNs: st.mtimeNs,
  };
  if (kind === "symlink") e.linkname = readlinkSync(path);
  if (kind === "char" || kind === "block") {
    e.devmajor = devMajor(st.rdev);
    e.devminor = devMinor(st.rdev);
  }
  const xattrs: Xattr[] = archiveXattrs(path, xattrNames);
  if (xattrs.length) e.xattrs = xattrs;
  if (kind !== "dir" && st.nlink > 1n) {
    const key = `${st.dev}:${st.ino}`;
    const first = ctx.links.get(key);
    if (first !== undefined) {
      e.kind = "hardlink";
      e.linkname = first;
      e.size = 0;
    } else ctx.links.set(key, name);
  }
  return e;
}

/**
 * Writes an entry's header and, for a regular file, `path`'s content.
 * @throws {OvError} when the file cannot be read or shrank while being read.
 */
export function* writeEntry(ch: Chunker, e: OutEntry, path: string, layerId: string): Generator<Uint8Array> {
  yield* ch.add(encodeHeaders(e));
  if (e.kind !== "file" || e.size === 0) return;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw sysError(`Cannot read ${path} of layer ${layerId}`, err);
  }
  try {
    let left = e.size;
    while (left > 0) {
      const space = ch.space(left);
      let n: number;
      try {
        n = readSync(fd, space, 0, space.length, null);
      } catch (err) {
        throw sysError(`Cannot read ${path} of layer ${layerId}`, err);
      }
      if (n === 0) {
        throw new OvError("sys", `${path} of layer ${layerId} shrank while it was archived: ${e.size - left} of ${e.size} bytes read`, {
          hint: "unmount the layer or stop the container using it, then try again",
        });
      }
      left -= n;
      const full = ch.commit(n);
      if (full) yield full;
    }
  } finally {
    closeSync(fd);
  }
  yield* ch.zeros(paddingFor(e.size));
}
