/**
 * `repair`, planned: from a snapshot to the file operations (actions.ts) that
 * fix what can be fixed without guessing. Pure: fresh link names and the time
 * come in through `PlanOptions`.
 *
 * The plan works out the state the store should be in, step by step:
 *  1. Records. A damaged layers.json keeps its intact records (salvage.ts),
 *     after a backup. Layers flagged incomplete go, as containers-storage
 *     removes them when it loads the store, unless mounted or under a
 *     complete child.
 *  2. Link names (link-names.ts).
 *  3. Adoption: a directory without a record gets one when its own files
 *     tell its parent (lower-layers, or lower through the l/ links) or show a
 *     base layer (an `empty` dir and no chain file).
 *  4. Chains. A layer's true chain is layers.json's parent chain when one of
 *     its chain files agrees with it or none is usable; without a parent
 *     chain, its chain files when they agree. Files that differ from the
 *     truth are rewritten; when the sources disagree with no majority,
 *     nothing is touched and check keeps reporting it.
 *  5. Link files and l/ symlinks as step 2 decided.
 *  6. The l/ directory: symlinks that dangle, point outside the store or at a
 *     removed layer, or that nothing names or uses, go.
 *  7. Mount counts against /proc/self/mountinfo.
 * Nothing here removes a complete layer's directory or content, and nothing is
 * planned behind a symlink where the store keeps a directory (l/, a layer dir).
 */
import { invalidIdReason } from "../store/layers/ids.ts";
import { isIncomplete, type LayerRecord } from "../store/records/layers-json.ts";
import { formatLower, formatLowerLayers, linkNamesIn, linkTargetFor } from "../store/layers/lower.ts";
import type { MountRecord } from "../store/records/mountpoints.ts";
import type { Action } from "./actions.ts";
import { derivedLinkId, planLinkNames, type LinkName } from "./link-names.ts";
import type { LayerDir, StoreSnapshot } from "./snapshot.ts";
import {
  buildView,
  evalLower,
  evalLowerLayers,
  firstDifference,
  jsonChain,
  plural,
  resolvedIds,
  textOf,
  type ChainEval,
  type LinkResolver,
  type StoreView,
} from "./view.ts";

export { derivedLinkId };

export interface PlanOptions {
  /**
   * A fresh l/ link name for layer `id` (`attempt` counts clashes). The
   * default derives it from the ID, so a dry run prints the very names the
   * real run then uses.
   */
  newLinkId?: (id: string, attempt: number) => string;
  /** Current time, RFC 3339: `created` of adopted layers without an mtime, and backup file names. */
  now: string;
}

/** What the steps share. */
interface Plan {
  snap: StoreSnapshot;
  view: StoreView;
  legacy: boolean;
  /** Incomplete layers that are removed. */
  removable: Set<string>;
  alive(id: string): boolean;
  /** Layer dirs that stay, sorted. */
  liveIds: string[];
  /** The records layers.json will hold. */
  records: LayerRecord[];
  byId: Map<string, LayerRecord>;
  names: Map<string, LinkName>;
  /** Resolves `l/` names as they will be once the links are fixed. */
  resolver: LinkResolver;
  /** Each live layer's `lower` after the repair (null: none). */
  finalLower: Map<string, string | null>;
}

const sameChain = (a: readonly string[], b: readonly string[]) => firstDifference(a, b) < 0;

/**
 * Plans the repair of a snapshot.
 * @example planRepair(snap, { now: new Date().toISOString() }).map(describeAction)
 */
export function planRepair(snap: StoreSnapshot, opts: PlanOptions): Action[] {
  // What could not be listed (EIO, EACCES...) looks missing: acting on that picture could remove what is there.
  if (snap.unreadable.length > 0) return [];
  const view = buildView(snap);
  const legacy = snap.mode === "legacy-compatible";
  const recordsUsable = snap.layersJson.kind !== "error";
  const records0 = recordsUsable ? view.records.slice() : [];

  const removable = removableIncomplete(snap, records0);
  const alive = (id: string) => snap.layers.has(id) && !removable.has(id);
  const liveIds = [...snap.layers.keys()].filter(alive).sort();
  const records = records0.filter((r) => !removable.has(r.id));
  const names = planLinkNames({ view, liveIds, alive, records, legacy, newLinkId: opts.newLinkId ?? derivedLinkId });
  const owners = new Map([...names].map(([id, n]) => [n.lid, id]));
  const plan: Plan = {
    snap,
    view,
    legacy,
    removable,
    alive,
    liveIds,
    records,
    byId: new Map(records.map((r) => [r.id, r])),
    names,
    resolver: (lid) => {
      const owner = owners.get(lid) ?? view.linkTargets.get(lid);
      return owner && alive(owner) ? { id: owner } : { kind: "link-missing", why: `l/${lid} leads nowhere` };
    },
    finalLower: new Map(liveIds.map((id) => [id, textOf(snap.layers.get(id)!.lower)])),
  };

  const backups = planBackup(plan, opts.now);
  const removals = [...removable].sort(deepestFirst(records0)).map((id) => removeIncomplete(plan, records0.find((r) => r.id === id)!));
  const adoptions = recordsUsable ? planAdoptions(plan, opts.now) : [];
  const dirs: Action[] = [];
  const chains: Action[] = [];
  for (const id of plan.liveIds) planLayerChain(plan, snap.layers.get(id)!, chains, dirs);
  const links = planLinks(plan);
  const symlinkRemovals = planLinkDir(plan, links);
  const counts = planCounts(snap, liveIds);
  const recordsWrite: Action[] = [];
  if (recordsUsable && (snap.layersJson.kind === "corrupt" || removable.size > 0 || adoptions.length > 0)) {
    const parts = [
      snap.layersJson.kind === "corrupt" ? `${plural(view.salvage!.records.length, "record")} salvaged` : "",
      removable.size ? `${removable.size} incomplete removed` : "",
      adoptions.length ? `${adoptions.length} adopted` : "",
    ].filter(Boolean);
    recordsWrite.push({ kind: "write-layers-json", file: snap.paths.layersJson, records: plan.records, why: parts.join(", ") });
  }
  // Records are written last, once the directories they describe are right.
  const all = [...backups, ...removals, ...symlinkRemovals, ...dirs, ...links, ...chains, ...adoptions, ...recordsWrite, ...counts];
  // Nothing behind a symlink where the store keeps a directory: check reports it, repair never follows it.
  const behind = (f: string) => snap.symlinkedDirs.some((l) => f === l.path || f.startsWith(l.path + "/"));
  return all.filter((a) => !behind(a.file));
}

/** Incomplete layers that can go: not mounted, and no complete layer on top of them. */
function removableIncomplete(snap: StoreSnapshot, records: readonly LayerRecord[]): Set<string> {
  // A record whose ID is not a layer ID (a damaged file) never becomes a path to remove.
  const removable = new Set(records.filter((r) => isIncomplete(r) && invalidIdReason(r.id) === null).map((r) => r.id));
  for (const id of removable) if (snap.mounted.has(snap.paths.merged(id))) removable.delete(id);
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of records) {
      if (r.parent && removable.has(r.parent) && !removable.has(r.id)) {
        removable.delete(r.parent);
        changed = true;
      }
    }
  }
  return removable;
}

function deepestFirst(records: readonly LayerRecord[]): (a: string, b: string) => number {
  const byId = new Map(records.map((r) => [r.id, r]));
  const depth = (id: string) => jsonChain(byId, id)?.length ?? 0;
  return (a, b) => depth(b) - depth(a) || (a < b ? -1 : 1);
}

function planBackup({ snap, view }: Plan, now: string): Action[] {
  if (snap.layersJson.kind !== "corrupt") return [];
  const n = view.salvage!.records.length;
  return [
    {
      kind: "backup-file",
      file: snap.paths.layersJson,
      to: `${snap.paths.layersJson}.corrupt-${now.replace(/[^0-9TZ]/g, "")}`,
      why: `${snap.layersJson.error}; its ${plural(n, "intact record")} ${n === 1 ? "is" : "are"} kept`,
    },
  ];
}

function removeIncomplete({ snap }: Plan, record: LayerRecord): Action {
  const id = record.id;
  return {
    kind: "remove-layer",
    layer: id,
    file: snap.paths.layer(id),
    record,
    why:
      "flagged incomplete in layers.json: a create or delete was interrupted" +
      (snap.layers.has(id) ? "; its partial directory and record are removed, as containers-storage does on load" : "; it has no directory, its record is removed"),
  };
}

/** A chain file's chain when every entry leads to a layer that stays. */
function liveChain(plan: Plan, c: ChainEval): string[] | null {
  const ids = resolvedIds(c);
  return ids && ids.every(plan.alive) ? ids : null;
}

/** Step 3: records for directories that have none, parents first. */
function planAdoptions(plan: Plan, now: string): Action[] {
  const { snap } = plan;
  const found: { id: string; chain: string[]; source: string }[] = [];
  for (const id of plan.liveIds) {
    const l = snap.layers.get(id)!;
    if (plan.byId.has(id) || !l.subdirs.has("diff")) continue;
    const llEval = evalLowerLayers(snap, l);
    const loEval = evalLower(snap, l, plan.resolver);
    if (llEval.state === "absent" && loEval.state === "absent") {
      if (l.subdirs.has("empty")) found.push({ id, chain: [], source: "a base layer (an empty dir, no chain file)" });
      continue;
    }
    const ll = liveChain(plan, llEval);
    const lo = liveChain(plan, loEval);
    if (ll && lo && !sameChain(ll, lo)) continue;
    const chain = ll ?? lo;
    if (chain) found.push({ id, chain, source: ll ? "its lower-layers" : "its lower file" });
  }
  found.sort((a, b) => a.chain.length - b.chain.length || (a.id < b.id ? -1 : 1));
  const out: Action[] = [];
  for (const o of found) {
    if (o.chain.some((c) => !plan.byId.has(c))) continue;
    const parent = o.chain[0];
    const record: LayerRecord = { id: o.id, ...(parent ? { parent } : {}), created: snap.layers.get(o.id)!.mtime ?? now };
    plan.byId.set(o.id, record);
    plan.records.push(record);
    out.push({
      kind: "adopt-layer",
      layer: o.id,
      file: snap.paths.layersJson,
      record,
      why: `its directory has no record; ${parent ? `parent ${parent}` : "no parent"}, from ${o.source}`,
    });
  }
  return out;
}

/**
 * A layer's true chain from its three sources (header, step 4), or null when
 * they disagree with no majority.
 */
export function trueChain(ll: string[] | null, lo: string[] | null, js: string[] | null): { chain: string[]; source: string } | null {
  const usable = [ll, lo].filter((c): c is string[] => c !== null);
  if (js) {
    if (usable.length > 0 && !usable.some((c) => sameChain(c, js))) return null;
    const agree = ll && sameChain(ll, js) ? ", as lower-layers says" : lo && sameChain(lo, js) ? ", as lower says" : "";
    return { chain: js, source: `layers.json's parent chain${agree}` };
  }
  if (usable.length === 1) return { chain: usable[0]!, source: ll ? "lower-layers" : "lower" };
  if (ll && lo && sameChain(ll, lo)) return { chain: ll, source: "lower-layers and lower" };
  return null;
}

/** What is wrong with a chain file, in a few words, for an action's reason. */
function chainProblem(c: ChainEval, name: string, truth: readonly string[]): string {
  switch (c.state) {
    case "absent":
      return `the layer has no ${name} file`;
    case "unreadable":
      return `${name} cannot be read (${c.error})`;
    case "invalid":
      return `${name}: ${c.problem}`;
    case "parsed": {
      if (c.unresolved.length) return `${c.unresolved.length} of ${c.entries.length} entries of ${name} do not resolve`;
      const k = firstDifference(c.ids as string[], truth);
      return `${name} names a different chain (entry ${k + 1} is ${c.ids[k] ?? "missing"}, should be ${truth[k] ?? "absent"})`;
    }
  }
}

/** Step 4 for one layer: work/empty dirs, lower-layers and lower. */
function planLayerChain(plan: Plan, l: LayerDir, out: Action[], dirs: Action[]): void {
  const { snap, legacy } = plan;
  const p = snap.paths;
  const id = l.id;
  if (!l.subdirs.has("work") && l.subdirs.has("diff")) {
    dirs.push({ kind: "make-dir", layer: id, file: p.work(id), name: "work", why: `layer ${id} has no work directory, which a read-write mount needs` });
  }
  if (!plan.byId.has(id)) return;
  const llEval = evalLowerLayers(snap, l);
  const loEval = evalLower(snap, l, plan.resolver);
  const lo = liveChain(plan, loEval);
  const truth = trueChain(liveChain(plan, llEval), lo, jsonChain(plan.byId, id));
  if (!truth) return; // the sources disagree: check keeps reporting it
  const { chain, source } = truth;
  // A chain through a layer whose directory is gone cannot be rebuilt without
  // guessing (its files are lost): check keeps reporting it.
  if (chain.some((c) => !plan.alive(c))) return;

  if (chain.length === 0) {
    for (const [name, state, file] of [
      ["lower-layers", llEval, p.lowerLayersFile(id)],
      ["lower", loEval, p.lowerFile(id)],
    ] as const) {
      if (state.state === "absent") continue;
      out.push({ kind: "remove-file", layer: id, file, name, why: `layer ${id} is a base layer (${source}) and its ${name} names no usable chain (${chainProblem(state, name, chain)})` });
      if (name === "lower") plan.finalLower.set(id, null);
    }
    if (!l.subdirs.has("empty")) dirs.push({ kind: "make-dir", layer: id, file: p.empty(id), name: "empty", why: `base layer ${id} has no empty directory` });
    return;
  }

  const lowerFine = lo !== null && sameChain(lo, chain);
  const llText = formatLowerLayers(chain);
  // lower-layers is written where it exists, where it is the chain file (symlink-free), and alongside a rebuilt lower.
  if ((llEval.state !== "absent" || !legacy || !lowerFine) && textOf(l.lowerLayers) !== llText) {
    out.push({
      kind: "write-file",
      layer: id,
      file: p.lowerLayersFile(id),
      name: "lower-layers",
      content: llText,
      why: `${chainProblem(llEval, "lower-layers", chain)}; ${plural(chain.length, "layer")} from ${source}`,
    });
  }
  if (lowerFine) return;
  if (legacy) {
    const text = formatLower(chain.map((c) => plan.names.get(c)!.lid));
    out.push({
      kind: "write-file",
      layer: id,
      file: p.lowerFile(id),
      name: "lower",
      content: text,
      why: `${chainProblem(loEval, "lower", chain)}; ${chain.length} l/ ${chain.length === 1 ? "entry" : "entries"} from ${source}`,
    });
    plan.finalLower.set(id, text);
  } else if (loEval.state !== "absent") {
    out.push({ kind: "remove-file", layer: id, file: p.lowerFile(id), name: "lower", why: `${chainProblem(loEval, "lower", chain)}; a symlink-free store reads lower-layers` });
    plan.finalLower.set(id, null);
  }
}

/** Step 5: link files and l/ symlinks; in a symlink-free store, wrong link files go. */
function planLinks(plan: Plan): Action[] {
  const { snap, view } = plan;
  const p = snap.paths;
  const out: Action[] = [];
  for (const id of plan.liveIds) {
    const n = plan.names.get(id);
    if (n) {
      if (textOf(snap.layers.get(id)!.link) !== n.lid) {
        out.push({ kind: "write-file", layer: id, file: p.linkFile(id), name: "link", content: n.lid, why: `layer ${id}'s link name is ${n.lid}: ${n.source}` });
      }
      const entry = snap.links.get(n.lid);
      if (!entry || view.linkTargets.get(n.lid) !== id) {
        out.push({
          kind: "create-symlink",
          layer: id,
          file: p.linkPath(n.lid),
          name: n.lid,
          target: linkTargetFor(id),
          ...(entry ? { replaces: entry.target ?? "" } : {}),
          why: entry ? `it must lead to layer ${id}, whose link file names it` : `layer ${id}'s link file names it`,
        });
      }
      continue;
    }
    if (plan.legacy) continue;
    const lf = view.linkFiles.get(id);
    if (!lf) continue;
    const shared = lf.lid !== null && (view.linkOwners.get(lf.lid) ?? []).filter(plan.alive).length > 1;
    const wrong = lf.problem ?? (shared ? `another layer names l/${lf.lid} too` : lf.lid && snap.links.has(lf.lid) ? `l/${lf.lid} leads to another layer` : null);
    if (wrong) out.push({ kind: "remove-file", layer: id, file: p.linkFile(id), name: "link", why: `symlink-free store: the link file is wrong (${wrong}) and nothing needs it` });
  }
  return out;
}

/** Step 6: l/ symlinks nobody can use. `links` are step 5's actions. */
function planLinkDir(plan: Plan, links: readonly Action[]): Action[] {
  const { snap, view } = plan;
  const removedLinkFiles = new Set(links.filter((a) => a.kind === "remove-file").map((a) => a.file));
  const replaced = new Set(links.map((a) => (a.kind === "create-symlink" ? a.name : "")));
  const named = new Set<string>();
  for (const id of plan.liveIds) {
    const lid = plan.names.get(id)?.lid ?? (removedLinkFiles.has(snap.paths.linkFile(id)) ? null : view.linkFiles.get(id)?.lid);
    if (lid) named.add(lid);
  }
  const used = new Set<string>();
  for (const text of plan.finalLower.values()) for (const lid of linkNamesIn(text ?? "")) used.add(lid);
  const out: Action[] = [];
  for (const name of [...snap.links.keys()].sort()) {
    const e = snap.links.get(name)!;
    if (e.target === null || replaced.has(name)) continue; // not a symlink: check reports it, repair leaves it
    const t = view.linkTargets.get(name);
    let why: string | null = null;
    if (!t) why = "it points outside the store's layers (expected ../<ID>/diff)";
    else if (snap.symlinkedDirs.some((l) => l.layer === t)) continue; // its layer dir is a symlink: reported, never followed nor cleaned up
    else if (!snap.layers.has(t)) why = `dangling: layer ${t} has no directory`;
    else if (plan.removable.has(t)) why = `it points at incomplete layer ${t}, which is removed`;
    else if (!named.has(name) && !used.has(name)) why = "no link file names it and no lower file uses it";
    if (why) out.push({ kind: "remove-symlink", ...(t ? { layer: t } : {}), file: snap.paths.linkPath(name), name, target: e.target, why });
  }
  return out;
}

/** Step 7: stale counts dropped, uncounted mounts counted once, an unparseable file rebuilt. */
function planCounts(snap: StoreSnapshot, liveIds: readonly string[]): Action[] {
  const p = snap.paths;
  const file = p.mountpointsJson;
  const isMounted = (id: string) => snap.mounted.has(p.merged(id));
  if (snap.mountpoints.kind === "corrupt") {
    const records: MountRecord[] = liveIds.filter(isMounted).map((id) => ({ id, path: p.merged(id), count: 1 }));
    return [{ kind: "rebuild-mountpoints", file, records, why: "it does not parse; each mounted layer gets count 1" }];
  }
  if (snap.mountpoints.kind === "error") return [];
  const out: Action[] = [];
  const counted = new Set<string>();
  for (const m of snap.mountpoints.kind === "ok" ? snap.mountpoints.value : []) {
    if (m.count <= 0) continue;
    counted.add(m.id);
    if (!isMounted(m.id)) out.push({ kind: "set-mount-count", layer: m.id, file, count: 0, was: m.count, why: `${p.merged(m.id)} is not mounted` });
  }
  for (const id of liveIds) {
    if (!counted.has(id) && isMounted(id)) out.push({ kind: "set-mount-count", layer: id, file, count: 1, was: 0, why: `${p.merged(id)} is mounted but not counted` });
  }
  return out;
}
