/**
 * Which layers a `diff`, `changes` or `diffsize` compares: the layer, and
 * either its parent (the default, also when REFERENCE names the parent: the
 * layer's diff directory is then the change set) or another layer (then the
 * two merged views are compared).
 */
import { existsSync } from "node:fs";
import { readChain } from "../store/layers/chain.ts";
import { withExtraDiffs } from "../store/layers/diff-n.ts";
import { requireCompleteLayer, type LayerRecord } from "../store/records/layers-json.ts";
import type { StorePaths } from "../store/paths.ts";
import { mapperFor, type IdMapper } from "./apply/idmap.ts";

export interface DiffTarget {
  layer: LayerRecord;
  /**
   * The reference layer when it is not the parent; null when the changes are
   * against the parent, that is the layer's own diff directory.
   */
  reference: LayerRecord | null;
  diffDir: string;
  /** Diff directories of the layer's lowers, uppermost first. */
  lowers: string[];
  ids: IdMapper;
}

/** The diff directories of a layer and its lowers, uppermost first. */
export function layerStack(paths: StorePaths, layer: LayerRecord): string[] {
  const chain = readChain(paths, layer.id, { action: "compare", ...(layer.parent ? { parent: layer.parent } : {}) });
  return withExtraDiffs([paths.diff(layer.id), ...chain.lowers.map((l) => l.diff)]);
}

/**
 * @throws {OvError} not-found ("layer not known") for an unknown layer or reference.
 */
export function resolveDiffTarget(paths: StorePaths, records: readonly LayerRecord[], ref: string, referenceRef: string | undefined, verb: string): DiffTarget {
  const layer = requireCompleteLayer(records, ref, verb);
  const reference = referenceRef === undefined ? null : requireCompleteLayer(records, referenceRef, verb);
  const stack = layerStack(paths, layer);
  return {
    layer,
    reference: reference === null || reference.id === layer.parent ? null : reference,
    diffDir: stack[0]!,
    lowers: stack.slice(1),
    ids: mapperFor(layer),
  };
}

/** The layer's tar-split file when it has one. */
export function existingTarSplit(paths: StorePaths, id: string): string | null {
  const p = paths.tarSplit(id);
  return existsSync(p) ? p : null;
}
