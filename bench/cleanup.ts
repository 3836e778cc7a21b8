/**
 * Leaves nothing behind: every mount at or below the benchmark's temp dir is
 * detached (layer mounts, and the bind mount of R/overlay onto itself that
 * both tools make to turn it private), deepest and newest first, then the
 * dir is removed.
 */
import { rmSync } from "node:fs";
import { readMountinfo } from "../src/mount/mountinfo.ts";
import { SysError, umount2 } from "../src/sys/libc.ts";

const MNT_DETACH = 2;

/** Mount points at or below `dir`, the last mounted first. */
export function mountsBelow(dir: string): string[] {
  return readMountinfo()
    .filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(dir + "/"))
    .map((m) => m.mountPoint)
    .reverse();
}

/** Detaches every mount at or below `dir`; returns what could not be detached. */
export function unmountBelow(dir: string): string[] {
  for (let round = 0; round < 10; round++) {
    const mps = mountsBelow(dir);
    if (mps.length === 0) return [];
    for (const mp of mps) {
      try {
        umount2(mp, MNT_DETACH);
      } catch (e) {
        // EINVAL: already gone (a parent was detached first); anything else shows up next round.
        if (!(e instanceof SysError && e.code === "EINVAL")) continue;
      }
    }
  }
  return mountsBelow(dir);
}

/**
 * Unmounts everything below `dir` and removes it.
 * @throws {Error} when a mount is left (the dir is then kept, never removed under a live mount).
 */
export function cleanupDir(dir: string): void {
  const left = unmountBelow(dir);
  if (left.length) throw new Error(`could not unmount ${left.join(", ")}; ${dir} was not removed`);
  rmSync(dir, { recursive: true, force: true });
}
