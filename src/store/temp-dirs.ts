/**
 * Stale temporary directories, as containers-storage recovers them when it
 * opens a store read-write (internal/tempdir): R/overlay/tempdirs and
 * R/overlay-layers/tmp hold `temp-dir-<N>` directories, each guarded by a
 * `lock-<N>` file its owner keeps locked while it works. A pair whose lock
 * nobody holds was left by a crash: its directory (after unmounting anything
 * mounted inside) and its lock file are removed.
 *
 * This is the one exception to "reads never write" (README): upstream does it
 * at every store start, the files are garbage by construction, and a leftover
 * mount below them would keep the store's filesystem busy. It costs one
 * stat(2) of each of the two directories when they are absent (and a
 * readdir when present);
 * the locking and removal (temp-dir-recovery.ts) load only when needed.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { errCode, sysError } from "../errors.ts";
import type { StorePaths } from "./paths.ts";

export const TEMP_DIR_PREFIX = "temp-dir-";
export const TEMP_LOCK_PREFIX = "lock-";

/** The two roots upstream recovers: the layer store's and the overlay driver's. */
export function tempRoots(paths: StorePaths): string[] {
  return [join(paths.layersDir, "tmp"), join(paths.home, "tempdirs")];
}

/** The instance IDs named by `temp-dir-<N>` or `lock-<N>` entries (pure). */
export function tempInstanceIds(names: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const n of names) {
    const id = n.startsWith(TEMP_DIR_PREFIX) ? n.slice(TEMP_DIR_PREFIX.length) : n.startsWith(TEMP_LOCK_PREFIX) ? n.slice(TEMP_LOCK_PREFIX.length) : null;
    if (id !== null && id !== "") ids.add(id);
  }
  return [...ids].sort();
}

function listOrNone(dir: string): string[] {
  try {
    // The usual case is no such dir: a stat says so without a thrown (and caught) error;
    // any other failure (EACCES on an unreadable store) still throws, as the readdir would.
    if (!statSync(dir, { throwIfNoEntry: false })) return [];
    return readdirSync(dir);
  } catch (e) {
    if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return [];
    throw sysError(`Cannot list temporary directories in ${dir}`, e);
  }
}

export interface TempInstance {
  root: string;
  id: string;
}

/** Every `temp-dir-<N>`/`lock-<N>` instance present, stale or not. */
export function tempInstances(paths: StorePaths): TempInstance[] {
  return tempRoots(paths).flatMap((root) => tempInstanceIds(listOrNone(root)).map((id) => ({ root, id })));
}
