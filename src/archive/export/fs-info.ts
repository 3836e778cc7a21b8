/**
 * Reading what a layer directory holds, for diff, changes and diffsize:
 * lstat with nanosecond times, directory listings in Go's order, the xattrs
 * an archive carries, whiteout and opaque checks.
 */
import { lstatSync, readdirSync, type BigIntStats } from "node:fs";
import { errCode, sysError } from "../../errors.ts";
import { lgetxattr, llistxattr } from "../../sys/libc.ts";
import { splitPath } from "../apply/path-safety.ts";
import type { Xattr } from "../tar/entry.ts";
import { isOpaqueValue, TRUSTED_OPAQUE, USER_OPAQUE } from "../apply/whiteout.ts";

/** lstat with bigint fields; undefined when the path (or a parent) does not exist. */
export function lstatOrNull(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (e) {
    if (errCode(e) === "ENOTDIR") return undefined;
    throw sysError(`Cannot stat ${path}`, e);
  }
}

/**
 * Compares names byte by byte in UTF-8, as Go sorts directory entries.
 * UTF-16 code-unit order differs only when surrogates meet U+E000..U+FFFF.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
      return x - y;
    }
  }
  return a.length - b.length;
}

/** The names in a directory, sorted as Go's filepath.WalkDir visits them. */
export function sortedNames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw sysError(`Cannot list ${dir}`, e, { path: dir });
  }
  return names.sort(compareNames);
}

/** glibc's major()/minor() of a dev_t. */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

const S_IFMT = 0o170000n;
export const S_IFDIR = 0o040000n;
export const S_IFCHR = 0o020000n;
export const S_IFLNK = 0o120000n;
export const S_IFREG = 0o100000n;
export const S_IFBLK = 0o060000n;
export const S_IFIFO = 0o010000n;

export function fileType(st: BigIntStats): bigint {
  return st.mode & S_IFMT;
}

export function isWhiteoutStat(st: BigIntStats): boolean {
  return (st.mode & S_IFMT) === S_IFCHR && st.rdev === 0n;
}

/**
 * The xattrs containers-storage puts in a layer tarball: security.capability,
 * security.ima and user.* except user.overlay.* (never trusted.* nor
 * security.selinux, which are the host's business).
 * @param names the result of llistxattr, when the caller already has it
 */
export function archiveXattrs(path: string, names?: string[]): Xattr[] {
  const list = names ?? safeList(path);
  const out: Xattr[] = [];
  for (const name of list) {
    if (name === "security.capability" || name === "security.ima" || (name.startsWith("user.") && !name.startsWith("user.overlay."))) {
      const value = safeGet(path, name);
      if (value !== null) out.push({ name, value });
    }
  }
  // Same order whatever the filesystem returns: archives of equal trees are equal.
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function safeList(path: string): string[] {
  try {
    return llistxattr(path);
  } catch (e) {
    throw sysError(`Cannot list the xattrs of ${path}`, e);
  }
}

function safeGet(path: string, name: string): Uint8Array | null {
  try {
    return lgetxattr(path, name);
  } catch (e) {
    throw sysError(`Cannot read xattr ${name} of ${path}`, e);
  }
}

/** The names of a path's xattrs. */
export function xattrNames(path: string): string[] {
  return safeList(path);
}

/**
 * Whether an opaque directory at `rel` hides something: true when a lower
 * layer has that path, unless a whiteout there or above it hides it first
 * (containers-storage's overlayWhiteoutConverter rule). `diff` writes the
 * opaque marker then, and `changes` lists the directory as deleted.
 * @param lowers diff directories of the lower layers, uppermost first
 */
export function opaqueHidesLower(rel: string, lowers: readonly string[]): boolean {
  for (const lower of lowers) {
    const st = lstatOrNull(`${lower}/${rel}`);
    if (st) return !isWhiteoutStat(st);
    for (let dir = splitPath(rel).dir; dir !== ""; dir = splitPath(dir).dir) {
      const p = lstatOrNull(`${lower}/${dir}`);
      if (p && isWhiteoutStat(p)) return false;
    }
  }
  return false;
}

/** True when a directory is marked opaque (trusted.overlay.opaque or user.overlay.opaque = "y"). */
export function isOpaqueDir(path: string, names?: string[]): boolean {
  const list = names ?? safeList(path);
  for (const n of [TRUSTED_OPAQUE, USER_OPAQUE]) {
    if (list.includes(n) && isOpaqueValue(safeGet(path, n))) return true;
  }
  return false;
}
