/**
 * Performing repair and migrate actions (actions.ts) on disk. The caller
 * holds layers.lock for writing, and mountpoints.lock for writing when an
 * action changes mount counts (session.ts).
 *
 * Every file is replaced atomically (temp file + rename, store/files/atomic.ts), a
 * symlink too (made under a temp name, renamed over the old one), so a crash
 * leaves each file old or new and a second run finishes the job. An action
 * that fails is reported and the others still run, except that the record of
 * a layer whose removal failed stays in layers.json.
 */
import { copyFileSync, lstatSync, mkdirSync, readlinkSync, rmdirSync, unlinkSync, chmodSync } from "node:fs";
import { dirname } from "node:path";
import { OvError, errCode, sysError } from "../errors.ts";
import { refuseSymlinkedDir } from "../store/files/safe-open.ts";
import { isMountPoint } from "../mount/mountinfo.ts";
import { atomicSymlink, atomicWriteFile } from "../store/files/atomic.ts";
import { invalidIdReason } from "../store/layers/ids.ts";
import { removeLayer } from "../store/layers/layout.ts";
import { loadRecords, saveRecords } from "../store/records/json-file.ts";
import { layersFile } from "../store/records/layer-store.ts";
import type { LayerRecord } from "../store/records/layers-json.ts";
import type { LockFile } from "../store/files/lockfile.ts";
import { markerPath } from "../store/layers/mode.ts";
import { mountpointsFile } from "../store/records/mount-counts.ts";
import type { MountRecord } from "../store/records/mountpoints.ts";
import type { StorePaths } from "../store/paths.ts";
import { touchesCounts, type Action } from "./actions.ts";

export interface HeldLocks {
  /** layers.lock, held for writing (a fresh last-writer token is recorded before layers.json is written). */
  layers: LockFile | null;
  /** mountpoints.lock, held for writing when counts change. */
  mounts: LockFile | null;
}

export interface ApplyResult {
  done: Action[];
  failed: { action: Action; error: OvError }[];
}

const MARKER_TEXT =
  "This containers/storage overlay store is symlink-free: layers have lower-layers and no link, lower or l/ symlink.\n" +
  "Written by `ovlayer migrate --drop-legacy-links`. Tools that read only lower (podman 4, buildah, skopeo) cannot use it.\n";

function ignoreENOENT(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw e;
  }
}

function applyOne(paths: StorePaths, a: Action, locks: HeldLocks, failedRemovals: Map<string, LayerRecord>): void {
  // Never through a symlink: the dir an action writes in (l/, a layer dir, R/overlay) must be a real one of the store.
  if (a.file) refuseSymlinkedDir(paths.graphRoot, dirname(a.file), `${a.kind.replace(/-/g, " ")} ${a.file}`);
  switch (a.kind) {
    case "backup-file":
      copyFileSync(a.file, a.to);
      chmodSync(a.to, 0o600);
      return;
    case "remove-layer": {
      const bad = invalidIdReason(a.layer);
      if (bad || a.file !== paths.layer(a.layer)) throw new OvError("internal", `Refusing to remove ${a.file}: ${JSON.stringify(a.layer)} is not a layer ID (${bad ?? "path mismatch"})`);
      // The plan refused mounted layers; check again, a mount made since then must not lose its tree.
      if (isMountPoint(paths.merged(a.layer))) {
        throw new OvError("busy", `Cannot remove incomplete layer ${a.layer}: ${paths.merged(a.layer)} is mounted`);
      }
      removeLayer(paths, a.layer, { keepLink: true }); // its l/ link is a remove-symlink action of its own
      return;
    }
    case "remove-symlink": {
      let target: string;
      try {
        target = readlinkSync(a.file);
      } catch (e) {
        if (errCode(e) === "ENOENT") return;
        throw e;
      }
      // Only what was planned: a link changed since the snapshot is left alone.
      if (target !== a.target) throw new OvError("conflict", `Not removing ${a.file}: it now points to ${JSON.stringify(target)}, not ${JSON.stringify(a.target)}`);
      unlinkSync(a.file);
      return;
    }
    case "create-symlink":
      atomicSymlink(a.file, a.target);
      return;
    case "make-dir":
      mkdirSync(a.file, { mode: 0o700 });
      chmodSync(a.file, 0o700); // umask applies to mkdir(2)
      return;
    case "write-file":
      atomicWriteFile(a.file, a.content, { mode: 0o644 });
      return;
    case "remove-file":
      ignoreENOENT(() => unlinkSync(a.file));
      return;
    case "adopt-layer":
      return; // written by write-layers-json
    case "write-layers-json": {
      if (!locks.layers) throw new OvError("internal", `write-layers-json without layers.lock held`);
      const records = [...a.records];
      for (const rec of failedRemovals.values()) if (!records.some((r) => r.id === rec.id)) records.push(rec);
      saveRecords(layersFile(paths), locks.layers, records);
      return;
    }
    case "write-marker":
      atomicWriteFile(markerPath(paths), MARKER_TEXT, { mode: 0o644 });
      return;
    case "remove-dir":
      rmdirSync(a.file);
      return;
    case "set-mount-count":
    case "rebuild-mountpoints":
      return; // applied together by applyCounts
  }
}

/** Applies every count action in one mountpoints.json write. */
function applyCounts(paths: StorePaths, actions: readonly Action[], locks: HeldLocks): void {
  if (!locks.mounts) throw new OvError("internal", "mount count change without mountpoints.lock held");
  let records: MountRecord[] = [];
  const rebuild = actions.find((a) => a.kind === "rebuild-mountpoints");
  if (rebuild && rebuild.kind === "rebuild-mountpoints") records = rebuild.records.map((r) => ({ ...r }));
  else records = loadRecords(mountpointsFile(paths));
  for (const a of actions) {
    if (a.kind !== "set-mount-count") continue;
    records = records.filter((r) => r.id !== a.layer);
    if (a.count > 0) records.push({ id: a.layer, path: paths.merged(a.layer), count: a.count });
  }
  saveRecords(mountpointsFile(paths), locks.mounts, records);
}

function asOvError(a: Action, e: unknown): OvError {
  if (e instanceof OvError) return e;
  return sysError(`Cannot ${a.kind} ${a.file}`, e, { path: a.file });
}

/**
 * Performs `actions` in order.
 * @throws never for a failed action (it is in `failed`); OvError internal when a needed lock is not held.
 */
export function applyActions(paths: StorePaths, actions: readonly Action[], locks: HeldLocks): ApplyResult {
  const done: Action[] = [];
  const failed: ApplyResult["failed"] = [];
  const failedRemovals = new Map<string, LayerRecord>();
  for (const a of actions) {
    if (touchesCounts(a)) continue;
    try {
      applyOne(paths, a, locks, failedRemovals);
      done.push(a);
    } catch (e) {
      if (a.kind === "remove-layer") failedRemovals.set(a.layer, a.record);
      failed.push({ action: a, error: asOvError(a, e) });
    }
  }
  const counts = actions.filter(touchesCounts);
  if (counts.length) {
    try {
      applyCounts(paths, counts, locks);
      for (const c of counts) done.push(c);
    } catch (e) {
      for (const a of counts) failed.push({ action: a, error: asOvError(a, e) });
    }
  }
  return { done, failed };
}

/** Whether anything of a store exists at all (repair and migrate lock nothing in an empty place). */
export function storeExists(paths: StorePaths): boolean {
  for (const p of [paths.home, paths.layersDir]) {
    try {
      lstatSync(p);
      return true;
    } catch {}
  }
  return false;
}
