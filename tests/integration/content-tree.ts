/**
 * Snapshots of directory trees as stat(2) and getxattr(2) see them, for the
 * content tests: two trees are the same layer when their snapshots are equal.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { lgetxattr, llistxattr } from "../../src/sys/libc.ts";

export interface NodeInfo {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  /** mtime in ns, as a string (bigint does not go through toEqual diffs nicely). */
  mtime: string;
  rdev?: string;
  target?: string;
  xattrs: Record<string, string>;
  /** For a file with several links: the first path (sorted) of its inode. */
  linkGroup?: string;
}

function typeOf(mode: bigint): string {
  switch (mode & 0o170000n) {
    case 0o100000n:
      return "file";
    case 0o040000n:
      return "dir";
    case 0o120000n:
      return "symlink";
    case 0o020000n:
      return "char";
    case 0o060000n:
      return "block";
    case 0o010000n:
      return "fifo";
    default:
      return "other";
  }
}

function major(rdev: bigint): bigint {
  return ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
}
function minor(rdev: bigint): bigint {
  return (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
}

export interface SnapshotOptions {
  /** Leave out directory mtimes (a directory written into later changes). */
  ignoreDirMtime?: boolean;
  /** xattr names to leave out. */
  ignoreXattrs?: (name: string) => boolean;
}

/** Every entry below `root` (the root itself excluded), by relative path. */
export function snapshot(root: string, opts: SnapshotOptions = {}): Record<string, NodeInfo> {
  const out: Record<string, NodeInfo> = {};
  const inodes = new Map<string, string[]>();
  const walk = (rel: string): void => {
    const dir = rel === "" ? root : join(root, rel);
    for (const name of readdirSync(dir).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const p = join(root, r);
      const st = lstatSync(p, { bigint: true });
      const type = typeOf(st.mode);
      const xattrs: Record<string, string> = {};
      for (const x of llistxattr(p)) {
        if (opts.ignoreXattrs?.(x)) continue;
        xattrs[x] = Buffer.from(lgetxattr(p, x) ?? new Uint8Array(0)).toString("hex");
      }
      const info: NodeInfo = {
        type,
        mode: (st.mode & 0o7777n).toString(8),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtime: type === "dir" && opts.ignoreDirMtime ? "-" : st.mtimeNs.toString(),
        xattrs,
      };
      if (type === "file") {
        info.size = Number(st.size);
        info.sha256 = createHash("sha256").update(readFileSync(p)).digest("hex");
        if (st.nlink > 1n) {
          const key = `${st.dev}:${st.ino}`;
          inodes.set(key, [...(inodes.get(key) ?? []), r]);
        }
      }
      if (type === "symlink") info.target = readlinkSync(p);
      if (type === "char" || type === "block") info.rdev = `${major(st.rdev)}:${minor(st.rdev)}`;
      out[r] = info;
      if (type === "dir") walk(r);
    }
  };
  walk("");
  for (const paths of inodes.values()) {
    const first = [...paths].sort()[0]!;
    for (const p of paths) out[p]!.linkGroup = first;
  }
  return out;
}
