/**
 * Garbage the layer store can hold, as containers-storage's GarbageCollect
 * finds it: directories in R/overlay that no layers.json record owns (a
 * crash between the directory and the record, or a peer's half-done
 * delete), and in R/overlay-layers tar-split files `<ID>.tar-split.gz` and
 * big data directories `<ID>/` of layers that no longer exist (64-hex IDs
 * only, as upstream). The overlay driver's own entries (`l`, `staging`,
 * `tempdirs`, ...) are never touched.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { errCode, sysError } from "../errors.ts";
import { invalidIdReason, isGeneratedId } from "./layers/ids.ts";
import { updateLayers } from "./records/layer-store.ts";
import { removeLayer } from "./layers/layout.ts";
import type { StorePaths } from "./paths.ts";
import { removeTree } from "./files/remove-tree.ts";

const TAR_SPLIT_SUFFIX = ".tar-split.gz";

/** Names in R/overlay that look like layer directories no record owns (pure). */
export function leftoverLayerDirs(names: readonly string[], known: ReadonlySet<string>): string[] {
  return names.filter((n) => !known.has(n) && invalidIdReason(n) === null);
}

/** Names in R/overlay-layers that belong to no known layer: tar-split files and data dirs (pure). */
export function orphanLayerMetadata(entries: readonly { name: string; dir: boolean }[], known: ReadonlySet<string>): string[] {
  return entries
    .filter(({ name, dir }) => {
      const id = !dir && name.endsWith(TAR_SPLIT_SUFFIX) ? name.slice(0, -TAR_SPLIT_SUFFIX.length) : dir ? name : null;
      return id !== null && isGeneratedId(id) && !known.has(id);
    })
    .map((e) => e.name);
}

function list(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory() }));
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw sysError(`Cannot list ${dir}`, e);
  }
}

/**
 * Removes the R/overlay directories no record in `known` owns, after
 * detaching anything mounted inside; returns their paths. The caller holds
 * the layers.json write lock.
 */
export function removeLeftoverLayerDirs(paths: StorePaths, known: ReadonlySet<string>, unmountBelow: (dir: string) => void): string[] {
  const names = leftoverLayerDirs(
    list(paths.home)
      .filter((e) => e.dir)
      .map((e) => e.name),
    known,
  );
  for (const name of names) {
    unmountBelow(paths.layer(name));
    removeLayer(paths, name);
  }
  return names.map((n) => paths.layer(n));
}

export interface GcResult {
  /** Every path removed. */
  removed: string[];
}

/**
 * `gc` of the layer store, under the layers.json write lock.
 * @throws {OvError} naming the path that could not be removed.
 */
export function collectLayerGarbage(paths: StorePaths, unmountBelow: (dir: string) => void): Promise<GcResult> {
  return updateLayers(paths, (txn) => {
    const known = new Set(txn.records.map((r) => r.id));
    const removed = removeLeftoverLayerDirs(paths, known, unmountBelow);
    for (const name of orphanLayerMetadata(list(paths.layersDir), known)) {
      const p = join(paths.layersDir, name);
      try {
        removeTree(p);
      } catch (e) {
        throw sysError(`Cannot remove ${p}`, e);
      }
      removed.push(p);
    }
    return { removed };
  });
}
