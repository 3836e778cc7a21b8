/**
 * `migrate`, planned. Pure.
 *
 * Phase 1 (default): every layer with a chain and no `lower-layers` gets one,
 * converted from its `lower` through the l/ links as they are on disk, so
 * the store reads without l/. Layers already having one are left alone;
 * layers whose `lower` does not resolve, or whose chain check finds wrong,
 * are blockers: `repair` must fix them first.
 *
 * Phase 2 (`--drop-legacy-links`), upstream's second step
 * (containers/container-libs#666): record that the store is symlink-free,
 * then remove every `lower`, `link` and l/ symlink and the l/ directory.
 * It runs only when the store, once migrated, would be clean for check:
 * anything check finds blocks it, and nothing is done.
 */
import { isIncomplete } from "../store/records/layers-json.ts";
import { formatLowerLayers } from "../store/layers/lower.ts";
import { markerPath } from "../store/layers/mode.ts";
import { simulate, type Action } from "./actions.ts";
import { checkStore, type Finding, type FindingCode } from "./findings.ts";
import type { StoreSnapshot } from "./snapshot.ts";
import { buildView, diskResolver, evalLower, plural, resolvedIds } from "./view.ts";

export interface MigrateOptions {
  dropLegacyLinks: boolean;
}

export interface MigratePlan {
  actions: Action[];
  /** Problems that stop the migration of a layer (phase 1) or of the store (phase 2). */
  blockers: Finding[];
}

/** Findings that make a layer's chain untrustworthy for conversion. */
const CHAIN_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "lower-empty",
  "lower-malformed",
  "lower-too-deep",
  "lower-link-missing",
  "lower-link-bad",
  "lower-missing-layer",
  "lower-missing",
  "lower-mismatch",
  "parent-mismatch",
  "chain-mismatch",
  "incomplete",
  "unreadable",
]);

/**
 * Plans a migration.
 * @example planMigrate(snap, { dropLegacyLinks: false }).actions // write-file lower-layers, one per layer lacking it
 */
export function planMigrate(snap: StoreSnapshot, opts: MigrateOptions): MigratePlan {
  const view = buildView(snap);
  const p = snap.paths;
  const findings = checkStore(snap);
  const actions: Action[] = [];
  const blockers: Finding[] = [];
  const resolver = diskResolver(view);
  for (const id of [...snap.layers.keys()].sort()) {
    const l = snap.layers.get(id)!;
    const rec = view.byId.get(id);
    if (!rec || isIncomplete(rec) || l.lowerLayers.kind !== "missing") continue;
    const bad = findings.filter((f) => f.layer === id && CHAIN_CODES.has(f.code));
    if (bad.length) {
      for (const b of bad) blockers.push(b);
      continue;
    }
    const ids = resolvedIds(evalLower(snap, l, resolver));
    if (!ids) continue; // a base layer: no chain, nothing to write
    actions.push({
      kind: "write-file",
      layer: id,
      file: p.lowerLayersFile(id),
      name: "lower-layers",
      content: formatLowerLayers(ids),
      why: `layer ${id} has no lower-layers; ${plural(ids.length, "layer")} from its lower through the l/ links, so it reads without l/`,
    });
  }
  if (!opts.dropLegacyLinks) return { actions, blockers };
  if (blockers.length) return { actions: [], blockers };
  // Dropping the legacy files needs a healthy store: whatever check finds once phase 1 is done blocks it.
  const mid = checkStore(simulate(snap, actions));
  if (mid.length) return { actions: [], blockers: mid };

  const drop: Action[] = [];
  if (snap.mode === "legacy-compatible") {
    drop.push({ kind: "write-marker", file: markerPath(p), why: "new layers get no link, l/ symlink or lower from now on (create-layer reads this marker)" });
  }
  for (const id of [...snap.layers.keys()].sort()) {
    const l = snap.layers.get(id)!;
    if (l.lower.kind !== "missing") {
      drop.push({ kind: "remove-file", layer: id, file: p.lowerFile(id), name: "lower", why: `legacy chain file of layer ${id}; lower-layers names the same chain` });
    }
    if (l.link.kind !== "missing") {
      drop.push({ kind: "remove-file", layer: id, file: p.linkFile(id), name: "link", why: `legacy link name of layer ${id}` });
    }
  }
  for (const name of [...snap.links.keys()].sort()) {
    const e = snap.links.get(name)!;
    const t = view.linkTargets.get(name);
    drop.push({ kind: "remove-symlink", ...(t ? { layer: t } : {}), file: p.linkPath(name), name, target: e.target ?? "", why: "legacy short link" });
  }
  if (snap.linkDirExists) drop.push({ kind: "remove-dir", file: p.linkDir, why: "the legacy link directory, now empty" });

  const all = [...actions, ...drop];
  // Only a migration that leaves a store check finds clean is done at all.
  const after = checkStore(simulate(snap, all));
  if (after.length) return { actions: [], blockers: after };
  return { actions: all, blockers: [] };
}
