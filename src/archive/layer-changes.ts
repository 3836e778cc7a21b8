/**
 * The change set of a diff target (layer-target.ts), its size and its
 * tarball: the three things `changes`, `diffsize` and `diff` print.
 */
import { compareViews, overlayChanges, type Change, type ViewChanges } from "./export/changes.ts";
import type { ChunkSource } from "./export/diff-output.ts";
import { changesSize, directorySize } from "./export/diff-size.ts";
import { exportChanges } from "./export/changes-tar.ts";
import { mapperFor } from "./apply/idmap.ts";
import { existingTarSplit, layerStack, type DiffTarget } from "./layer-target.ts";
import { mergedRoot } from "./export/merged-view.ts";
import { reassemble } from "./tarsplit/reader.ts";
import { diffDirTarball } from "./export/walk-diff.ts";
import type { StorePaths } from "../store/paths.ts";

/** Compares the layer's merged view with the reference's (or with nothing). */
function viewChanges(paths: StorePaths, t: DiffTarget): ViewChanges {
  const newRoot = mergedRoot([t.diffDir, ...t.lowers]);
  const oldRoot = t.reference ? mergedRoot(layerStack(paths, t.reference)) : null;
  return compareViews(newRoot, t.ids, oldRoot, t.reference ? mapperFor(t.reference) : t.ids);
}

/** The changes, in containers-storage's order. */
export function targetChanges(paths: StorePaths, t: DiffTarget): Change[] {
  return t.reference === null ? overlayChanges(t.diffDir, t.lowers) : viewChanges(paths, t).changes;
}

/** `diffsize`: the bytes of the changes. */
export function targetDiffSize(paths: StorePaths, t: DiffTarget): number {
  if (t.reference === null) return directorySize(t.diffDir);
  const v = viewChanges(paths, t);
  return changesSize(v.changes, (p) => v.entries.get(p));
}

/**
 * `diff`: the tarball of the changes. Against the parent, a layer with a
 * tar-split file gives back the tarball it was imported from, byte for
 * byte; otherwise its diff directory is archived.
 */
export function targetTarball(paths: StorePaths, t: DiffTarget, nowNs: bigint): ChunkSource {
  const ctx = { ids: t.ids, layerId: t.layer.id, links: new Map<string, string>() };
  if (t.reference === null) {
    const ts = existingTarSplit(paths, t.layer.id);
    if (ts) return reassemble(ts, [t.diffDir, ...t.lowers], t.layer.id);
    return diffDirTarball(t.diffDir, t.lowers, ctx);
  }
  const v = viewChanges(paths, t);
  return exportChanges(v.changes, (p) => v.entries.get(p), ctx, nowNs);
}
