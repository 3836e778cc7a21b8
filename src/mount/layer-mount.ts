/**
 * Mounting a layer with the shared mount counts (unmounting: layer-unmount.ts).
 *
 * Locks, in containers-storage's order: layers.lock (read: the layer cannot be
 * deleted meanwhile), then mountpoints.lock (write). A count is trusted only
 * when /proc/self/mountinfo shows the mount; a stale count (reboot, someone
 * else unmounted) is treated as zero. A failed mount leaves the count as it
 * was and nothing mounted.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import type { StoreOptions } from "../config/options.ts";
import { OvError, errCode, sysError } from "../errors.ts";
import { log } from "../log.ts";
import { readChain } from "../store/layers/chain.ts";
import { findLayer, isReadOnlyLayer, requireComplete, type LayerRecord } from "../store/records/layers-json.ts";
import { withLayersRead } from "../store/records/layer-store.ts";
import { updateMountCounts } from "../store/records/mount-counts.ts";
import type { MountRecord } from "../store/records/mountpoints.ts";
import type { StorePaths } from "../store/paths.ts";
import { O } from "../sys/libc.ts";
import { mkdirat } from "../sys/openat.ts";
import { StoreRoot } from "../store/files/safe-open.ts";
import { applyPlan, type OpenedDirs } from "./strategies.ts";
import { wantsReadOnly } from "./mount-options.ts";
import { isMountPoint } from "./mountinfo.ts";
import { chooseStrategies, planMount, type Strategy } from "./plan.ts";
import { assumedKernel, selinuxEnabled } from "./probe.ts";
import { makeHomePrivate } from "./propagation.ts";
import { MNT_DETACH, realSys, type MountSys } from "./syscalls.ts";
import { extraDiffs, withExtraDiffs } from "../store/layers/diff-n.ts";
import { isFromReadOnlyStore, storeOf } from "../store/store-set.ts";
import { mapperFor, type IdMapEntry } from "../archive/apply/idmap.ts";
import { sameMap } from "../archive/apply/idmap-parse.ts";
import { attachIdmappedHomes, formatMaps, homesUsed, mappedDir, throughViews, type IdmappedHome } from "./idmap/lowers.ts";
import { idmapSupport } from "./idmap/support.ts";
import { removeTree } from "../store/files/remove-tree.ts";
import { mark } from "../profile.ts";

export interface MountOptions {
  /** Options from `-o` (flags and overlay options). */
  options?: string[];
  readOnly?: boolean;
  /** Mount label; defaults to the layer's. */
  label?: string;
  /**
   * A container's ID maps: when they differ from its layer's, the lower dirs
   * are ID-mapped at mount time (idmap/lowers.ts), as upstream when the
   * kernel supports it; without that support such a mount is refused.
   */
  maps?: { uidmap: IdMapEntry[]; gidmap: IdMapEntry[] };
}

/**
 * The maps the mount must apply to the lower dirs: none when the caller gives
 * none or the layer already holds them (a copied-and-shifted layer).
 * @throws {OvError} unsupported when they differ and idmapped mounts are not used.
 */
function mapsToApply(rec: LayerRecord, maps: MountOptions["maps"], supported: () => { supported: boolean; reason?: string }): MountOptions["maps"] | null {
  if (!maps || (maps.uidmap.length === 0 && maps.gidmap.length === 0)) return null;
  const own = mapperFor(rec);
  if (sameMap(maps.uidmap, own.uids) && sameMap(maps.gidmap, own.gids)) return null;
  const s = supported();
  if (s.supported) return maps;
  throw new OvError(
    "unsupported",
    `Cannot mount layer ${rec.id}: shifting not enabled: its container's ID maps (uid ${formatMaps(maps.uidmap)}, gid ${formatMaps(maps.gidmap)}) differ from the layer's (uid ${formatMaps(own.uids)}, gid ${formatMaps(own.gids)}) and idmapped mounts are not used (${s.reason ?? "unsupported"})`,
    { hint: "the container was made where idmapped mounts work: mount it there, or without _CONTAINERS_OVERLAY_DISABLE_IDMAP=yes" },
  );
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
 * the plan beneath the graph root, following no symlink (store/files/safe-open.ts).
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
    removeTree(join(base, "work", "incompat", "volatile"));
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
    if (isFromReadOnlyStore(rec)) {
      // As upstream's Mount: a read-only store's layer is never mounted by itself (its merged dir is not ours to use).
      throw new OvError("unsupported", `Cannot mount layer ${rec.id}: mounting read/only store images is not allowed (it lives in the read-only image store ${storeOf(rec, paths).graphRoot})`, {
        hint: "mount a container or a layer created on it in the read-write store",
      });
    }
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
      const chainOpts = { action: "mount", ...(rec.parent ? { parent: rec.parent } : {}) };
      // Presence is checked by opening every diff beneath the root below (one openat2 each, not 2 lstat more).
      const chain = readChain(paths, rec.id, { ...chainOpts, checkPresence: false });
      mark("chain");
      const label = mo.label ?? rec.mountlabel;
      let applied: ReturnType<typeof applyPlan>;
      const idmap = mapsToApply(rec, mo.maps, () => idmapSupport(paths, store));
      // Lower dirs (not the layer's own diff) named through the idmapped view of the home that holds them:
      // the graph root's, or another store's (a container on an image of an additional store).
      const homes = paths.homes;
      const lower = (p: string) => (idmap ? throughViews(homes, mappedDir(paths, rec.id), p) : p);
      const rawLowers = [...extraDiffs(paths.diff(rec.id)), ...withExtraDiffs(chain.lowers.map((l) => l.diff))];
      const req = {
        layerId: rec.id,
        diff: paths.diff(rec.id),
        work: paths.work(rec.id),
        merged,
        empty: lower(paths.empty(rec.id)),
        lowers: rawLowers.map(lower),
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
      const root = StoreRoot.open(paths.graphRoot, `mount layer ${rec.id}`, paths.roots);
      let view: IdmappedHome | null = null;
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
        if (idmap) {
          const t0 = performance.now();
          view = attachIdmappedHomes(paths, rec.id, homes, homesUsed(homes, [paths.empty(rec.id), ...rawLowers]), idmap.uidmap, idmap.gidmap, sys);
          log.debug(`layer ${rec.id}: lower dirs ID-mapped (uid map ${formatMaps(idmap.uidmap)}, gid map ${formatMaps(idmap.gidmap)}) through ${view.root} in ${(performance.now() - t0).toFixed(1)} ms; no copy`);
        }
        mark("home-private");
        let dirs: OpenedDirs;
        try {
          dirs = openPlanDirs(root, paths, rec.id, plan.lowerdirs, plan.upperdir, plan.workdir);
        } catch (e) {
          // A lower layer gone or damaged: the chain read with its checks names the entry (else the open's own error).
          readChain(paths, rec.id, chainOpts);
          throw e;
        }
        if (!req.readOnly) clearVolatileMarker(paths.work(rec.id), dirs.fdOf(paths.work(rec.id)));
        mark("open-dirs");
        applied = applyPlan(plan, strategies, sys, kernel.pageSize, dirs);
        mark("mount-syscalls");
      } finally {
        root.close();
        // overlay holds its own references to the lower dirs: the view goes at once, mounted or not.
        // A view that will not go never hides the mount's own outcome: unmount and delete detach it later.
        try {
          view?.release();
        } catch (e) {
          log.warn(`${e instanceof Error ? e.message : String(e)}; it is detached again when the layer is unmounted or deleted`);
        }
      }
      log.debug(
        `mounted layer ${rec.id} (${chain.lowers.length} lowers from ${chain.source}${req.readOnly ? ", read-only" : ""}) with the ${applied.strategy} strategy, ` +
          (applied.strategy === "api" ? "no mount data" : `mount data ${applied.dataLength} bytes`) +
          ` (direct data would be ${plan.directLength} bytes, page size ${kernel.pageSize})` +
          (idmap ? ", lower dirs ID-mapped" : "") +
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
