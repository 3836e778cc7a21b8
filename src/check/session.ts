/**
 * Running check, repair and migrate against a store, under its locks, in
 * containers-storage's order (layers.lock, then mountpoints.lock):
 *
 *   check, dry runs   read locks, and only on lock files that exist: a read
 *                     creates nothing (as store/records/layer-store.ts readLayers)
 *   repair, migrate   layers.lock for writing for the whole run, so no tool
 *                     creates or deletes a layer meanwhile; mountpoints.lock
 *                     for writing only when mount counts change (the counts
 *                     are then read again under it and the plan redone)
 *
 * Each lock is taken once per process: OFD locks from two fds of one process
 * conflict, so taking one twice would deadlock (store/files/lockfile.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { errCode, sysError } from "../errors.ts";
import { LockFile, withReadLockIfPresent } from "../store/files/lockfile.ts";
import type { LinkMode } from "../store/layers/mode.ts";
import type { StorePaths } from "../store/paths.ts";
import { simulate, touchesCounts, type Action } from "./actions.ts";
import { checkStore, type Finding } from "./findings.ts";
import { planMigrate, type MigrateOptions } from "./migrate.ts";
import { applyActions, storeExists, type ApplyResult } from "./repair-apply.ts";
import { planRepair, type PlanOptions } from "./repair-plan.ts";
import { refreshMounts, takeSnapshot, type StoreSnapshot } from "./snapshot.ts";

export interface CheckResult {
  mode: LinkMode;
  /** Layer directories in R/overlay. */
  layers: number;
  findings: Finding[];
  /** The walk the findings come from (upstream's check judges it too). */
  snapshot: StoreSnapshot;
}

/**
 * Refuses to judge a store this process may not read (a non-root user on a
 * root-owned store): the layer directories and layers.json it cannot open
 * are a permission problem of the caller, not findings about the store.
 * @throws {OvError} permission naming the directory or file.
 */
function requireReadable(paths: StorePaths): void {
  const probes: [string, () => unknown][] = [
    [paths.home, () => readdirSync(paths.home)],
    [paths.layersJson, () => readFileSync(paths.layersJson)],
  ];
  for (const [path, probe] of probes) {
    try {
      probe();
    } catch (e) {
      const code = errCode(e);
      if (code === "EACCES" || code === "EPERM") throw sysError(`Cannot read the store: ${path}`, e, { path });
    }
  }
}

/** Runs `fn` with read locks on the lock files that exist, in containers-storage's order. */
function withReadLocks<T>(paths: StorePaths, fn: () => T): T {
  requireReadable(paths);
  return withReadLockIfPresent(paths.layersLock, () => withReadLockIfPresent(paths.mountpointsLock, fn));
}

/**
 * `check`: reads the store under read locks and judges it. Writes nothing.
 * @throws {OvError} permission or sys when a lock or /proc/self/mountinfo cannot be read.
 */
export function runCheck(paths: StorePaths, onLayer?: () => void): CheckResult {
  const snap = withReadLocks(paths, () => takeSnapshot(paths, onLayer));
  return { mode: snap.mode, layers: snap.layers.size, findings: checkStore(snap), snapshot: snap };
}

export interface ChangeResult extends ApplyResult {
  dryRun: boolean;
  mode: LinkMode;
  layers: number;
  /** What check found before. */
  before: Finding[];
  /** The planned actions (all of them, done or not). */
  actions: Action[];
  /** What check still finds after the actions (predicted for a dry run): what cannot be fixed here. */
  remaining: Finding[];
}

type Planner = (snap: StoreSnapshot) => { actions: Action[]; remaining?: Finding[] };

/** Plans under the right locks and, unless a dry run, applies. */
function change(paths: StorePaths, dryRun: boolean, plan: Planner): ChangeResult {
  const result = (snap: StoreSnapshot, actions: Action[], remaining: Finding[] | undefined, applied: ApplyResult): ChangeResult => ({
    dryRun,
    mode: snap.mode,
    layers: snap.layers.size,
    before: checkStore(snap),
    actions,
    remaining: remaining ?? checkStore(simulate(snap, actions)),
    ...applied,
  });
  if (dryRun || !storeExists(paths)) {
    const snap = withReadLocks(paths, () => takeSnapshot(paths));
    const p = plan(snap);
    // Where there is no store, nothing is created unless there is something to do
    // (migrate --drop-legacy-links makes a new store symlink-free from the start).
    if (dryRun || p.actions.length === 0) return result(snap, p.actions, p.remaining, { done: [], failed: [] });
  }
  const layersLock = new LockFile(paths.layersLock);
  layersLock.lock("write");
  try {
    requireReadable(paths);
    let snap = takeSnapshot(paths);
    let p = plan(snap);
    let mountsLock: LockFile | null = null;
    if (p.actions.some(touchesCounts)) {
      mountsLock = new LockFile(paths.mountpointsLock);
      mountsLock.lock("write");
      snap = refreshMounts(snap);
      p = plan(snap);
    }
    try {
      const applied = applyActions(paths, p.actions, { layers: layersLock, mounts: mountsLock });
      // What is left is read from the store again (still under the locks), not predicted:
      // an action that failed leaves its problem.
      const remaining = p.remaining ?? (p.actions.length ? checkStore(refreshMounts(takeSnapshot(paths))) : undefined);
      return result(snap, p.actions, remaining, applied);
    } finally {
      mountsLock?.unlock();
    }
  } finally {
    layersLock.unlock();
  }
}

/**
 * `repair`: fixes what can be fixed (repair-plan.ts); `dryRun` plans only.
 * @throws {OvError} permission or sys when the locks cannot be taken; failed actions are in the result.
 */
export function runRepair(paths: StorePaths, opts: { dryRun: boolean } & Partial<PlanOptions>): ChangeResult {
  const planOpts: PlanOptions = { now: opts.now ?? new Date().toISOString(), ...(opts.newLinkId ? { newLinkId: opts.newLinkId } : {}) };
  return change(paths, opts.dryRun, (snap) => ({ actions: planRepair(snap, planOpts) }));
}

/**
 * `migrate` (migrate.ts); `dryRun` plans only. Blockers are returned as `remaining`.
 * @throws {OvError} permission or sys when the locks cannot be taken.
 */
export function runMigrate(paths: StorePaths, opts: { dryRun: boolean } & MigrateOptions): ChangeResult {
  return change(paths, opts.dryRun, (snap) => {
    const m = planMigrate(snap, opts);
    return { actions: m.actions, remaining: m.blockers };
  });
}
