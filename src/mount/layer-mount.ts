/**
 * Mounting a layer with the shared mount counts (unmounting: layer-unmount.ts).
 *
 * Locks, in containers-storage's order: layers.lock (read: the layer cannot be
 * deleted meanwhile), then mountpoints.lock (write). A count is trusted only
 * when /proc/self/mountinfo shows the mount; a stale count (reboot, someone
 * else unmounted) is treated as zero. A failed mount leaves the count as it
 * was and nothing mounted.
 */
import { accessSync, constants, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { StoreOptions } from "../config/options.ts";
import { OvError, errCode, sysError } from "../errors.ts";
import { log } from "../log.ts";
import { readChain } from "../store/chain.ts";
import { findLayer, isReadOnlyLayer, requireComplete, type LayerRecord } from "../store/layers-json.ts";
import { withLayersRead } from "../store/layer-store.ts";
import { updateMountCounts } from "../store/mount-counts.ts";
import type { MountRecord } from "../store/mountpoints.ts";
import type { StorePaths } from "../store/paths.ts";
import { O } from "../sys/libc.ts";
import { mkdirat } from "../sys/openat.ts";
import { StoreRoot } from "../store/safe-open.ts";
import { applyPlan, type OpenedDirs } from "./strategies.ts";
import { wantsReadOnly } from "./mount-options.ts";
import { isMountPoint } from "./mountinfo.ts";
import { chooseStrategies, planMount, type Strategy } from "./plan.ts";
import { assumedKernel, selinuxEnabled } from "./probe.ts";
import { makeHomePrivate } from "./propagation.ts";
import { MNT_DETACH, realSys, type MountSys } from "./syscalls.ts";
import { extraDiffs, withExtraDiffs } from "../store/diff-n.ts";
import { mark } from "../profile.ts";

export interface MountOptions {
  /** Options from `-o` (flags and overlay options). */
  options?: string[];
  readOnly?: boolean;
  /** Mount label; defaults to the layer's. */
  label?: string;
}

export interface MountResult {
  path: string;
  /** The mount count after this call. */
  count: number;
  /** The strategy that mounted, or null when the layer was already mounted. */
  strategy: Strategy | null;
}

function requireLayer(records: LayerRecord[], ref: string, verb: string): LayerRecord {
  const rec = findLayer(records, ref);
  if (!rec) throw new OvError("not-found", `Cannot ${verb} ${JSON.stringify(ref)}: no such layer`);
  return rec;
}

/**
 * Opens the layer dir, its merged dir (created when missing) and every dir of
 * the plan beneath the graph root, following no symlink (store/safe-open.ts).
 * @throws {OvError} corrupt naming the path when one is a symlink or a file.
 */
function openPlanDirs(root: StoreRoot, paths: StorePaths, id: string, lowerdirs: readonly string[], upper?: string, work?: string): OpenedDirs {
  const action = `mount layer ${id}`;
  const layerFd = root.dir(paths.layer(id), action, O.PATH);
  try {
    mkdirat(layerFd, "merged", 0o700);
  } catch (e) {
    if (errCode(e) !== "EEXIST") throw sysError(`Cannot create mount point ${paths.merged(id)}`, e);
  }
  const byPath = new Map<string, number>();
  for (const d of [...lowerdirs, ...(upper ? [upper] : []), ...(work ? [work] : [])]) {
    if (!byPath.has(d)) byPath.set(d, root.dir(d, action));
  }
  const mergedFd = root.dir(paths.merged(id), action, O.PATH);
  return { fdOf: (p) => byPath.get(p), mergedFd };
}

/**
 * Removes the "volatile" marker overlay leaves in the work dir (upstream does
 * the same), through the work dir's fd when it is open.
 */
function clearVolatileMarker(work: string, workFd?: number): void {
  const base = workFd !== undefined && existsSync("/proc/self/fd") ? `/proc/self/fd/${workFd}` : work;
  try {
    rmSync(join(base, "work", "incompat", "volatile"), { recursive: true, force: true });
  } catch (e) {
    if (errCode(e) === "ENOTDIR") return; // a broken work dir cannot hold the marker; the mount reports it
    throw sysError(`Cannot remove ${join(work, "work", "incompat", "volatile")}`, e);
  }
}

/**
 * Mounts layer `ref` (ID, name or unique ID prefix) at R/overlay/<ID>/merged,
 * or adds one to its count when it is already mounted.
 * @throws {OvError} not-found, corrupt (chain), unsupported (depth, strategy), permission, sys.
 */
export async function mountLayer(paths: StorePaths, store: StoreOptions, ref: string, mo: MountOptions = {}, sys: MountSys = realSys): Promise<MountResult> {
  return withLayersRead(paths, async (records) => {
    mark("layers.json");
    const rec = requireLayer(records, ref, "mount");
    requireComplete(rec, "mount");
    if (store.overlay.mountProgram) {
      throw new OvError("unsupported", `Cannot mount layer ${rec.id}: the store is configured with mount_program ${store.overlay.mountProgram} (fuse-overlayfs), which ovlayer does not use`);
    }
    const merged = paths.merged(rec.id);
    return updateMountCounts(paths, async (txn) => {
      mark("mountpoints.json");
      const current = txn.records.find((r) => r.id === rec.id);
      if (current && current.count > 0 && isMountPoint(merged)) {
        current.count++;
        current.path = merged;
        txn.save();
        log.debug(`layer ${rec.id} already mounted at ${merged}, count now ${current.count}`);
        return { path: merged, count: current.count, strategy: null };
      }
      if (current && current.count > 0) log.debug(`layer ${rec.id}: count ${current.count} in ${paths.mountpointsJson} is stale (not in mountinfo), starting over`);
      const options = [...store.overlay.mountOptions, ...(mo.options ?? [])];
      const chain = readChain(paths, rec.id, { action: "mount", ...(rec.parent ? { parent: rec.parent } : {}) });
      mark("chain");
      const label = mo.label ?? rec.mountlabel;
      let applied: ReturnType<typeof applyPlan>;
      const req = {
        layerId: rec.id,
        diff: paths.diff(rec.id),
        work: paths.work(rec.id),
        merged,
        empty: paths.empty(rec.id),
        lowers: [...extraDiffs(paths.diff(rec.id)), ...withExtraDiffs(chain.lowers.map((l) => l.diff))],
        readOnly: Boolean(mo.readOnly) || wantsReadOnly(options) || isReadOnlyLayer(rec),
        options,
        ...(label && selinuxEnabled() ? { label } : {}),
      };
      const plan = planMount(req);
      const kernel = assumedKernel();
      const strategies = chooseStrategies(plan, kernel, store.overlay.mountStrategy);
      if (!req.readOnly) requireWritable(paths.layer(rec.id), rec.id);
      mark("plan");
      // Every dir is opened beneath the graph root, following no symlink, before anything is mounted or written.
      const root = StoreRoot.open(paths.graphRoot, `mount layer ${rec.id}`);
      try {
        // The home first (it is bind-mounted onto itself below), then every dir through that bind
        // mount: a dir opened before it would be the covered one, and a mount on it invisible.
        root.verify(paths.home, `mount layer ${rec.id}`);
        if (!store.overlay.skipMountHome) {
          try {
            const action = makeHomePrivate(paths.home, sys);
            if (action !== "none") log.debug(`overlay home ${paths.home}: ${action}`);
          } catch (e) {
            throw wrapSys(e, `Cannot make the overlay home ${paths.home} a private mount`);
          }
        }
        mark("home-private");
        const dirs = openPlanDirs(root, paths, rec.id, plan.lowerdirs, plan.upperdir, plan.workdir);
        if (!req.readOnly) clearVolatileMarker(paths.work(rec.id), dirs.fdOf(paths.work(rec.id)));
        mark("open-dirs");
        applied = applyPlan(plan, strategies, sys, kernel.pageSize, dirs);
        mark("mount-syscalls");
      } finally {
        root.close();
      }
      log.debug(
        `mounted layer ${rec.id} (${chain.lowers.length} lowers from ${chain.source}${req.readOnly ? ", read-only" : ""}) with the ${applied.strategy} strategy, ` +
          (applied.strategy === "api" ? "no mount data" : `mount data ${applied.dataLength} bytes`) +
          ` (direct data would be ${plan.directLength} bytes, page size ${kernel.pageSize})` +
          (applied.fellBack.length ? `; fell back from: ${applied.fellBack.join("; ")}` : ""),
      );
      const entry: MountRecord = current ?? { id: rec.id, path: merged, count: 0 };
      entry.path = merged;
      entry.count = 1;
      if (!current) txn.records.push(entry);
      try {
        txn.save();
      } catch (e) {
        // The count could not be recorded: do not leave an uncounted mount behind.
        try {
          sys.umount2(merged, MNT_DETACH);
        } catch {}
        throw e;
      }
      mark("save");
      return { path: merged, count: 1, strategy: applied.strategy };
    });
  }, { createLock: true });
}

/**
 * A read-write mount needs a writable upper and work dir: on a read-only store
 * the kernel would only say EINVAL, so ask first (access(2) says EROFS, or
 * EACCES to a non-root caller).
 */
function requireWritable(dir: string, id: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw sysError(`Cannot mount layer ${id} read-write: its directory ${dir} is not writable`, e, { path: dir });
  }
}

function wrapSys(e: unknown, what: string): OvError {
  if (e instanceof OvError) return e;
  return sysError(what, e);
}

// Unmounting lives in layer-unmount.ts; these stay importable from here.
export { detachMerged, dropMount, trustedCount, unmountLayer, type UnmountResult } from "./layer-unmount.ts";
