/**
 * Unmounting a layer with the shared mount counts: one mount dropped, the
 * overlay detached at zero and its merged dir replaced by a fresh one.
 * Owns no files of its own (mountpoints.json through store/records/mount-counts.ts).
 *
 * Apart from layer-mount.ts so that `unmount`, `delete-layer` and the like
 * do not load the mount code (chains, plans, strategies, the mount API).
 * Locks, as layer-mount.ts: layers.lock (read), then mountpoints.lock.
 */
import { chownSync, existsSync, lstatSync, mkdirSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { OvError, errCode, sysError } from "../errors.ts";
import { findLayer } from "../store/records/layers-json.ts";
import { withLayersRead } from "../store/records/layer-store.ts";
import { readMountCounts, updateMountCounts } from "../store/records/mount-counts.ts";
import type { MountRecord } from "../store/records/mountpoints.ts";
import type { StorePaths } from "../store/paths.ts";
import { SysError } from "../sys/libc.ts";
import { refuseSymlinkedDir } from "../store/files/safe-open.ts";
import { isMountPoint, readMountinfo } from "./mountinfo.ts";
import { MNT_DETACH, realSys, UMOUNT_NOFOLLOW, type MountSys } from "./syscalls.ts";
import { unmountBelow } from "./unmount-below.ts";
import { mark } from "../profile.ts";

function wrapSys(e: unknown, what: string): OvError {
  if (e instanceof OvError) return e;
  return sysError(what, e);
}

/**
 * Unmounts `merged` (lazily, MNT_DETACH; "not mounted" is fine) and replaces
 * the directory by a fresh empty one, renamed over it as upstream does, so
 * nothing written to the bare directory while unmounted survives.
 */
export function detachMerged(merged: string, sys: MountSys = realSys): void {
  try {
    sys.umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW);
  } catch (e) {
    if (!(e instanceof SysError && (e.code === "EINVAL" || e.code === "ENOENT"))) throw wrapSys(e, `Cannot unmount ${merged}`);
  }
  let uid = 0;
  let gid = 0;
  try {
    const st = lstatSync(merged);
    uid = st.uid;
    gid = st.gid;
  } catch (e) {
    if (errCode(e) === "ENOENT") return;
    throw sysError(`Cannot stat ${merged}`, e);
  }
  const fresh = `${merged}.1`;
  try {
    mkdirSync(fresh, { mode: 0o700 });
  } catch (e) {
    if (errCode(e) !== "EEXIST") throw sysError(`Cannot create ${fresh}`, e);
  }
  try {
    if (uid !== 0 || gid !== 0) chownSync(fresh, uid, gid);
    renameSync(fresh, merged);
  } catch (e) {
    throw sysError(`Cannot replace mount point ${merged} by a fresh directory`, e);
  }
}

export interface UnmountResult {
  id: string;
  /** True when the layer is still mounted (its count was above one). */
  stillMounted: boolean;
  count: number;
}

/**
 * Drops one mount of layer `id`, unmounting at zero (or at once with
 * `force`). Takes only mountpoints.lock: callers hold layers.lock already.
 */
export async function dropMount(paths: StorePaths, id: string, force: boolean, sys: MountSys = realSys): Promise<UnmountResult> {
  return updateMountCounts(paths, async (txn) => {
    const merged = paths.merged(id);
    // Nothing followed out of the store: the layer dir must be a real one (its merged is replaced below).
    mark("mountpoints.json");
    refuseSymlinkedDir(paths.graphRoot, paths.layer(id), `unmount layer ${id}`);
    mark("refuse-symlink");
    const entry = txn.records.find((r) => r.id === id);
    if (entry && entry.count > 1 && !force && isMountPoint(merged)) {
      entry.count--;
      txn.save();
      return { id, stillMounted: true, count: entry.count };
    }
    detachMerged(merged, sys);
    // An idmapped view left by a crash mid-mount (idmap/lowers.ts owns mapped/): detached too, as upstream's put().
    const mapped = join(paths.layer(id), "mapped");
    if (existsSync(mapped)) unmountBelow(mapped, sys);
    mark("umount");
    if (entry) {
      txn.records = txn.records.filter((r) => r !== entry);
      txn.save();
    }
    mark("save");
    return { id, stillMounted: false, count: 0 };
  });
}

/**
 * Drops one mount of `ref` (layer ID, name, or mount path); unmounts at zero.
 * `force` unmounts whatever the count.
 * @throws {OvError} not-found when nothing matches `ref`.
 */
export async function unmountLayer(paths: StorePaths, ref: string, force: boolean, sys: MountSys = realSys): Promise<UnmountResult> {
  return withLayersRead(paths, async (records) => {
    mark("layers.json");
    let rec = findLayer(records, ref);
    if (!rec) {
      const byPath = readMountCounts(paths).find((r) => r.path === ref.replace(/\/+$/, ""));
      if (byPath) rec = records.find((r) => r.id === byPath.id);
    }
    if (!rec) {
      // A mount left without a count (a crash between mount and count): its merged path still names the layer.
      const m = /^([^/]+)\/merged\/*$/.exec(relative(paths.home, ref));
      if (m && ref.startsWith("/")) rec = records.find((r) => r.id === m[1]);
    }
    if (!rec) throw new OvError("not-found", `Cannot unmount ${JSON.stringify(ref)}: no such layer`);
    return dropMount(paths, rec.id, force, sys);
  }, { createLock: true });
}

/** The trusted mount count of a layer: its recorded count if mountinfo shows the mount, else 0. */
export function trustedCount(paths: StorePaths, id: string, counts: readonly MountRecord[], mountinfo = readMountinfo()): number {
  const e = counts.find((r) => r.id === id);
  if (!e || e.count <= 0) return 0;
  return isMountPoint(paths.merged(id), mountinfo) ? e.count : 0;
}
