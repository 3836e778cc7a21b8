/**
 * Which layers a `diff`, `changes` or `diffsize` compares: the layer, and
 * either its parent (the default, also when REFERENCE names the parent: the
 * layer's diff directory is then the change set) or another layer (then the
 * two merged views are compared).
 */
import { existsSync } from "node:fs";
import { OvError } from "../errors.ts";
import { readChain } from "../store/chain.ts";
import { findLayer, isIncomplete, type LayerRecord } from "../store/layers-json.ts";
import type { StorePaths } from "../store/paths.ts";
import { mapperFor, type IdMapper } from "./idmap.ts";
import { tarSplitPath } from "./layer-apply.ts";

export interface DiffTarget {
  layer: LayerRecord;
  /** The reference layer when it is not the parent; null otherwise. */
  reference: LayerRecord | null;
  /** True when the changes are the layer's own diff directory. */
  againstParent: boolean;
  diffDir: string;
  /** Diff directories of the layer's lowers, uppermost first. */
  lowers: string[];
  ids: IdMapper;
}

function lookup(records: readonly LayerRecord[], ref: string, verb: string): LayerRecord {
  const r = findLayer(records, ref);
  if (!r) throw new OvError("not-found", `Cannot ${verb} layer ${JSON.stringify(ref)}: layer not known`);
  if (isIncomplete(r)) {
    throw new OvError("corrupt", `Cannot ${verb} layer ${r.id}: it is flagged incomplete (a crash while it was created or deleted)`, {
      hint: "run `ovlayer repair` to remove incomplete layers",
    });
  }
  return r;
}

/** The diff directories of a layer and its lowers, uppermost first. */
export function layerStack(paths: StorePaths, id: string): string[] {
  return [paths.diff(id), ...readChain(paths, id).lowers.map((l) => l.diff)];
}

/**
 * @throws {OvError} not-found ("layer not known") for an unknown layer or reference.
 */
export function resolveDiffTarget(paths: StorePaths, records: readonly LayerRecord[], ref: string, referenceRef: string | undefined, verb: string): DiffTarget {
  const layer = lookup(records, ref, verb);
  const reference = referenceRef === undefined ? null : lookup(records, referenceRef, verb);
  const againstParent = reference === null || reference.id === layer.parent;
  const stack = layerStack(paths, layer.id);
  return {
    layer,
    reference: againstParent ? null : reference,
    againstParent,
    diffDir: stack[0]!,
    lowers: stack.slice(1),
    ids: mapperFor(layer),
  };
}

/** The layer's tar-split file when it has one. */
export function existingTarSplit(paths: StorePaths, id: string): string | null {
  const p = tarSplitPath(paths, id);
  return existsSync(p) ? p : null;
}
