/**
 * Unmounting every mount at or below a directory, deepest first, before the
 * directory is removed: a recursive removal must never walk into a mounted
 * filesystem (it would delete that filesystem's files). Used for stale temp
 * dirs and for layer directories that no record owns.
 */
import { readMountinfo, type MountEntry } from "./mountinfo.ts";
import { MNT_DETACH, realSys, type MountSys } from "./syscalls.ts";
import { SysError } from "../sys/libc.ts";
import { OvError } from "../errors.ts";

/** The mount points at or below `dir`, deepest first (pure). */
export function mountsBelow(dir: string, entries: readonly MountEntry[]): string[] {
  const root = dir.replace(/\/+$/, "");
  const hits = entries.map((e) => e.mountPoint).filter((m) => m === root || m.startsWith(root + "/"));
  // A path mounted twice appears twice: unmount it as many times.
  return hits.sort((a, b) => b.split("/").length - a.split("/").length);
}

/**
 * Detaches (MNT_DETACH) every mount at or below `dir`; returns how many.
 * "Not mounted" (EINVAL) is fine: someone else got there first.
 * @throws {OvError} sys/permission naming the mount point.
 */
export function unmountBelow(dir: string, sys: MountSys = realSys, entries: readonly MountEntry[] = readMountinfo()): number {
  let n = 0;
  for (const m of mountsBelow(dir, entries)) {
    try {
      sys.umount2(m, MNT_DETACH);
      n++;
    } catch (e) {
      if (e instanceof SysError && (e.code === "EINVAL" || e.code === "ENOENT")) continue;
      const perm = e instanceof SysError && (e.code === "EPERM" || e.code === "EACCES");
      throw new OvError(perm ? "permission" : "sys", `Cannot unmount ${m} (below ${dir}): ${(e as Error).message}`, { cause: e });
    }
  }
  return n;
}
