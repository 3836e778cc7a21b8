/**
 * What check and repair both derive from a snapshot: the layer records
 * (salvaged when layers.json is damaged), link files, `l/` link targets, and
 * each layer's chain as its `lower-layers`, its `lower` and layers.json's
 * parent links tell it. Pure. Chains are judged by the same rule the verbs
 * use (store/layers/chain-eval.ts), answered from the snapshot; link files by the
 * same parser (store/layers/link-file.ts).
 */
import * as rule from "../store/layers/chain-eval.ts";
import type { ChainEval, ChainFacts, LinkResolver } from "../store/layers/chain-eval.ts";
import { MISSING, textOf } from "../store/files/file-state.ts";
import type { LayerRecord } from "../store/records/layers-json.ts";
import { parseLinkFile, type LinkFile } from "../store/layers/link-file.ts";
import { MAX_DEPTH, idFromLinkTarget, linkNamesIn } from "../store/layers/lower.ts";
import { salvageLayersJson, type Salvage } from "./salvage.ts";
import type { LayerDir, StoreSnapshot } from "./snapshot.ts";

export { entryOf, resolvedIds, type ChainEval, type LinkResolver, type Unresolved } from "../store/layers/chain-eval.ts";
export { parseLinkFile, type LinkFile } from "../store/layers/link-file.ts";
export { textOf } from "../store/files/file-state.ts";

export interface StoreView {
  snap: StoreSnapshot;
  /** Records from layers.json, or the intact ones of a damaged file. */
  records: LayerRecord[];
  salvage?: Salvage;
  byId: Map<string, LayerRecord>;
  /** Layer ID -> its link file, parsed (only layers that have one). */
  linkFiles: Map<string, LinkFile>;
  /** l/ name -> ID its symlink points at, or null when it is not a ../<ID>/diff symlink. */
  linkTargets: Map<string, string | null>;
  /** l/ names used by `lower` files, whatever state those files are in. */
  referencedLinks: Set<string>;
  /** Link name -> the layers whose link files name it, sorted. */
  linkOwners: Map<string, string[]>;
  /** Layer ID -> the l/ names whose symlinks point at its diff, sorted. */
  pointing: Map<string, string[]>;
}

/** Whether the layer has a diff directory. */
export function hasDiff(snap: StoreSnapshot, id: string): boolean {
  return snap.layers.get(id)?.subdirs.has("diff") === true;
}

export function buildView(snap: StoreSnapshot): StoreView {
  let records: LayerRecord[] = [];
  let salvage: Salvage | undefined;
  if (snap.layersJson.kind === "ok") records = snap.layersJson.value;
  else if (snap.layersJson.kind === "corrupt") {
    salvage = salvageLayersJson(snap.layersJson.text);
    records = salvage.records;
  }
  const byId = new Map<string, LayerRecord>();
  for (const r of records) if (!byId.has(r.id)) byId.set(r.id, r);
  const linkFiles = new Map<string, LinkFile>();
  const referencedLinks = new Set<string>();
  for (const l of snap.layers.values()) {
    const t = textOf(l.link);
    if (t !== null) linkFiles.set(l.id, parseLinkFile(t));
    for (const lid of linkNamesIn(textOf(l.lower) ?? "")) referencedLinks.add(lid);
  }
  const linkOwners = new Map<string, string[]>();
  for (const [id, lf] of [...linkFiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (lf.lid) linkOwners.set(lf.lid, [...(linkOwners.get(lf.lid) ?? []), id]);
  }
  const linkTargets = new Map<string, string | null>();
  const pointing = new Map<string, string[]>();
  for (const e of [...snap.links.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const id = e.target === null ? null : idFromLinkTarget(e.target);
    linkTargets.set(e.name, id);
    if (id) pointing.set(id, [...(pointing.get(id) ?? []), e.name]);
  }
  return { snap, records, ...(salvage ? { salvage } : {}), byId, linkFiles, linkTargets, referencedLinks, linkOwners, pointing };
}

/** The store as the chain rule (store/layers/chain-eval.ts) sees it, answered from the snapshot. */
export function snapshotFacts(snap: StoreSnapshot): ChainFacts {
  return {
    paths: snap.paths,
    file: (id, name) => {
      const l = snap.layers.get(id);
      return !l ? MISSING : name === "lower" ? l.lower : l.lowerLayers;
    },
    layer: (id) => (!snap.layers.has(id) ? "missing" : hasDiff(snap, id) ? "ok" : "no-diff"),
  };
}

/** Judges a layer's `lower-layers` (the chain rule, store/layers/chain-eval.ts). */
export function evalLowerLayers(snap: StoreSnapshot, layer: LayerDir): ChainEval {
  return rule.evalLowerLayers(snapshotFacts(snap), layer.id);
}

/** Judges a layer's `lower`, resolving `l/` entries with `resolveLink`. */
export function evalLower(snap: StoreSnapshot, layer: LayerDir, resolveLink: LinkResolver): ChainEval {
  return rule.evalLower(snapshotFacts(snap), layer.id, resolveLink);
}

/** The resolver readers use: the `l/` symlinks as they are on disk. */
export function diskResolver(view: StoreView): LinkResolver {
  return (lid) => rule.linkLookup(view.snap.paths.linkPath(lid), view.snap.links.get(lid)?.target);
}

/**
 * A layer's chain by layers.json's parent links, uppermost first: null when
 * an ancestor has no record, the links loop, or the chain is over the limit.
 */
export function jsonChain(byId: ReadonlyMap<string, LayerRecord>, id: string): string[] | null {
  const out: string[] = [];
  const seen = new Set([id]);
  let cur = byId.get(id);
  if (!cur) return null;
  while (cur.parent) {
    const p = cur.parent;
    if (seen.has(p) || out.length >= MAX_DEPTH) return null;
    seen.add(p);
    out.push(p);
    cur = byId.get(p);
    if (!cur) return null;
  }
  return out;
}

/** The first position where two chains differ, or -1 when they are equal. */
export function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** "1 record", "3 records" */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
