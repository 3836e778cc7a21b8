/**
 * What check and repair both derive from a snapshot: the layer records
 * (salvaged when layers.json is damaged), link files, `l/` link targets, and
 * each layer's chain as its `lower-layers`, its `lower` and layers.json's
 * parent links tell it. Pure.
 */
import { MAX_DEPTH, idFromLinkTarget, linkNamesIn, parseLower, parseLowerLayers, type LowerEntry } from "../store/lower.ts";
import type { LayerRecord } from "../store/layers-json.ts";
import { salvageLayersJson, type Salvage } from "./salvage.ts";
import type { FileState, LayerDir, StoreSnapshot } from "./snapshot.ts";

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

export interface LinkFile {
  /** The link name meant (trailing newlines dropped), or null when there is none. */
  lid: string | null;
  /** What is wrong with the file's exact content, or null. */
  problem: string | null;
}

/**
 * Parses a `link` file. Upstream's getLower copies the content verbatim into
 * a child's `lower`, so anything but the bare name (a newline included) breaks
 * children made by old tools.
 */
export function parseLinkFile(text: string): LinkFile {
  const lid = text.replace(/\n+$/, "");
  if (lid === "" || /[\s/:\0]/.test(lid) || lid === "." || lid === "..") {
    return { lid: null, problem: `its content ${JSON.stringify(text)} is not a link name` };
  }
  if (lid !== text) return { lid, problem: `its content ${JSON.stringify(text)} ends with a newline, which old tools copy into their children's lower files` };
  return { lid, problem: null };
}

export function textOf(f: FileState): string | null {
  return f.kind === "text" ? f.text : null;
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

/** Why one entry of a lower file does not lead to a layer's diff. */
export interface Unresolved {
  /** 0-based position. */
  index: number;
  raw: string;
  /** lower-link-missing, lower-link-bad or (lower-|lower-layers-)missing-layer. */
  kind: "link-missing" | "link-bad" | "missing-layer";
  why: string;
}

/** A lower file judged: absent, unreadable, unusable as a whole, or parsed with each entry resolved or not. */
export type ChainEval =
  | { state: "absent" }
  | { state: "unreadable"; error: string }
  | { state: "invalid"; kind: "empty" | "malformed" | "too-deep"; problem: string }
  | { state: "parsed"; entries: LowerEntry[]; ids: (string | null)[]; unresolved: Unresolved[] };

/** Resolves an `l/<LID>` name to a layer ID, or says why not. */
export type LinkResolver = (lid: string) => { id: string } | { kind: "link-missing" | "link-bad"; why: string };

function judgeText(f: FileState, file: string, parse: (t: string, file: string) => LowerEntry[]): ChainEval | LowerEntry[] {
  if (f.kind === "missing") return { state: "absent" };
  if (f.kind === "error") return { state: "unreadable", error: f.error };
  if (f.text === "") return { state: "invalid", kind: "empty", problem: "the file is empty" };
  let entries: LowerEntry[];
  try {
    entries = parse(f.text, file);
  } catch (e) {
    return { state: "invalid", kind: "malformed", problem: (e as Error).message.replace(`${file}: `, "") };
  }
  if (entries.length > MAX_DEPTH) {
    return { state: "invalid", kind: "too-deep", problem: `it names ${entries.length} lower layers, the limit is ${MAX_DEPTH} (max depth exceeded)` };
  }
  return entries;
}

function resolveAll(entries: LowerEntry[], snap: StoreSnapshot, resolveLink: LinkResolver): ChainEval {
  const ids: (string | null)[] = [];
  const unresolved: Unresolved[] = [];
  entries.forEach((e, index) => {
    let id: string;
    if (e.kind === "link") {
      const r = resolveLink(e.lid);
      if (!("id" in r)) {
        unresolved.push({ index, raw: e.raw, kind: r.kind, why: r.why });
        ids.push(null);
        return;
      }
      id = r.id;
    } else id = e.id;
    if (!hasDiff(snap, id)) {
      const why = snap.layers.has(id) ? `layer ${id} has no diff directory` : `layer ${id} has no directory`;
      unresolved.push({ index, raw: e.raw, kind: "missing-layer", why: e.kind === "link" ? `it points at ${id}, but ${why}` : why });
      ids.push(null);
      return;
    }
    ids.push(id);
  });
  return { state: "parsed", entries, ids, unresolved };
}

/** Judges a layer's `lower-layers`. */
export function evalLowerLayers(snap: StoreSnapshot, layer: LayerDir): ChainEval {
  const file = snap.paths.lowerLayersFile(layer.id);
  const r = judgeText(layer.lowerLayers, file, (t, f) => parseLowerLayers(t, f).map((id) => ({ kind: "id", id, raw: id })));
  return Array.isArray(r) ? resolveAll(r, snap, () => ({ kind: "link-bad", why: "not an ID" })) : r;
}

/** Judges a layer's `lower`, resolving `l/` entries with `resolveLink`. */
export function evalLower(snap: StoreSnapshot, layer: LayerDir, resolveLink: LinkResolver): ChainEval {
  const r = judgeText(layer.lower, snap.paths.lowerFile(layer.id), parseLower);
  return Array.isArray(r) ? resolveAll(r, snap, resolveLink) : r;
}

/** The resolver readers use: the `l/` symlinks as they are on disk. */
export function diskResolver(view: StoreView): LinkResolver {
  return (lid) => {
    const entry = view.snap.links.get(lid);
    const link = view.snap.paths.linkPath(lid);
    if (!entry) return { kind: "link-missing", why: `${link} does not exist` };
    if (entry.target === null) return { kind: "link-bad", why: `${link} is not a symlink` };
    const id = view.linkTargets.get(lid);
    if (!id) return { kind: "link-bad", why: `${link} points to ${JSON.stringify(entry.target)}, not ../<ID>/diff inside the store` };
    return { id };
  };
}

/** The chain as IDs when every entry resolved, else null. */
export function resolvedIds(c: ChainEval): string[] | null {
  if (c.state !== "parsed" || c.unresolved.length) return null;
  return c.ids as string[];
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

/** "entry 2 of 5" */
export function entryOf(index: number, total: number): string {
  return `entry ${index + 1} of ${total}`;
}

/** "1 record", "3 records" */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
