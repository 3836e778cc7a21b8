/**
 * Owns R/overlay/<ID>/diff1: the copy-and-shift of a layer whose ID mapping
 * differs from its parent's (upstream's UpdateLayerIDMap without idmapped
 * mounts). The parent's merged view is copied into diff1, which mount and
 * diff stack between the layer's diff and its lowers (diff-n.ts), with each
 * owner moved from the parent's mapping to the layer's: host ID -> container
 * ID by the parent's map -> host ID by the layer's map. ACL entries and v3
 * capability rootids inside xattrs move the same way. Hard links stay links.
 */
import { copyFileSync, linkSync, mkdirSync, readlinkSync, symlinkSync, chmodSync } from "node:fs";
import { OvError, sysError } from "../../errors.ts";
import { AT_FDCWD, lchown, lgetxattr, llistxattr, lsetxattr, lutimens, mknodat } from "../../sys/libc.ts";
import { IdMapper } from "../../archive/apply/idmap.ts";
import { isIdXattr, shiftXattr } from "../../archive/apply/xattr-shift.ts";
import { mergedChildren, mergedRoot, type MergedEntry } from "../../archive/export/merged-view.ts";
import { fileType, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG } from "../../archive/export/fs-info.ts";

export interface ShiftCopyStats {
  entries: number;
}

/** Moves ids from one mapping to another (host -> container -> host). */
export function idShifter(from: IdMapper, to: IdMapper, layer: string): { pair(uid: number, gid: number, path: string): [number, number]; one(id: number, kind: "UID" | "GID", path: string): number } {
  // One kind at a time (an xattr's id): the other kind's map left empty, so no stand-in id has to be in it.
  const fromU = new IdMapper(from.uids, []);
  const toU = new IdMapper(to.uids, []);
  const fromG = new IdMapper([], from.gids);
  const toG = new IdMapper([], to.gids);
  return {
    pair(uid, gid, path) {
      const what = `${layer}: ${path}`;
      const [cu, cg] = from.toContainer(uid, gid, what);
      return to.toHost(cu, cg, what);
    },
    one(id, kind, path) {
      const what = `${layer}: ${path}`;
      if (kind === "UID") return toU.toHost(fromU.toContainer(id, 0, what)[0], 0, what)[0];
      return toG.toHost(0, fromG.toContainer(0, id, what)[1], what)[1];
    },
  };
}

/**
 * Copies the merged view of `stack` (diff directories, uppermost first) into
 * `target`, which must not exist, shifting owners from `from` to `to`.
 * @throws {OvError} usage when an owner has no mapping; SysError-derived errors on I/O.
 */
export function shiftCopy(stack: readonly string[], target: string, from: IdMapper, to: IdMapper, layerId: string): ShiftCopyStats {
  const root = mergedRoot(stack);
  const links = new Map<string, string>();
  const stats: ShiftCopyStats = { entries: 0 };
  const shift = idShifter(from, to, `layer ${layerId}`);
  copyEntry(root, target, shift, links, stats);
  return stats;
}

type Shift = ReturnType<typeof idShifter>;

function copyEntry(e: MergedEntry, dest: string, shift: Shift, links: Map<string, string>, stats: ShiftCopyStats): void {
  stats.entries++;
  const type = fileType(e.st);
  const mode = Number(e.st.mode & 0o7777n);
  const where = `/${e.rel}`;
  try {
    if (type === S_IFDIR) {
      mkdirSync(dest, { mode: 0o700 });
      for (const child of mergedChildren(e).values()) copyEntry(child, `${dest}/${child.name}`, shift, links, stats);
    } else if (type === S_IFREG && e.st.nlink > 1n) {
      const key = `${e.st.dev}:${e.st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        linkSync(first, dest);
        return;
      }
      links.set(key, dest);
      copyFileSync(e.real, dest);
    } else if (type === S_IFREG) {
      copyFileSync(e.real, dest);
    } else if (type === S_IFLNK) {
      symlinkSync(readlinkSync(e.real), dest);
    } else if (type === S_IFCHR || type === S_IFBLK || type === S_IFIFO) {
      mknodat(AT_FDCWD, dest, Number(type) | mode, e.st.rdev);
    } else {
      return; // sockets are not layer contents
    }
  } catch (err) {
    if (err instanceof OvError) throw err;
    throw sysError(`Cannot copy ${where} of the parent into ${dest}`, err);
  }
  const [uid, gid] = shift.pair(Number(e.st.uid), Number(e.st.gid), where);
  lchown(dest, uid, gid);
  for (const name of llistxattr(e.real)) {
    if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")) continue;
    const value = lgetxattr(e.real, name);
    if (value === null) continue;
    lsetxattr(dest, name, isIdXattr(name) ? shiftXattr(name, value, (id, kind) => shift.one(id, kind, `${where} ${name}`), where) : value);
  }
  // chown clears set-id bits: the mode goes on after it.
  if (type !== S_IFLNK) chmodSync(dest, mode);
  lutimens(dest, e.st.atimeNs, e.st.mtimeNs);
}

