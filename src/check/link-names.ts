/**
 * Which short link name (`link` file, `l/<LID>` symlink) each layer should
 * have after a repair. Pure.
 *
 * In a legacy-compatible store every layer gets one, taken from the first
 * source that tells it without contradiction:
 *   (a) its link file, unless the l/ symlink of that name leads to another
 *       layer (the symlink is what old tools follow) or another layer's link
 *       file names it too;
 *   (b) an l/ symlink pointing at it, preferring one a lower file uses;
 *   (c) the name its children's lower files use at its position, the
 *       position known from their lower-layers or layers.json;
 *   (d) a fresh name, derived from the layer ID so that a dry run prints the
 *       names the real run will use.
 * In a symlink-free store only (a) applies, and only when l/<LID> already
 * points at the layer: no legacy link is made there.
 */
import { createHash } from "node:crypto";
import { linkIdFromBytes } from "../store/layers/ids.ts";
import type { LayerRecord } from "../store/records/layers-json.ts";
import { evalLowerLayers, jsonChain, resolvedIds, textOf, type StoreView } from "./view.ts";

export interface LinkName {
  lid: string;
  /** Why this name, for the action lines. */
  source: string;
}

/** A link name made from the layer ID: 26 chars of base32, like upstream's random ones. */
export function derivedLinkId(id: string, attempt: number): string {
  return linkIdFromBytes(createHash("sha256").update(`ovlayer link ${id} ${attempt}`).digest());
}

export interface LinkNameInput {
  view: StoreView;
  /** Layer dirs that stay (sorted). */
  liveIds: readonly string[];
  alive: (id: string) => boolean;
  /** Records after incomplete layers are dropped (for children's positions). */
  records: readonly LayerRecord[];
  legacy: boolean;
  newLinkId: (id: string, attempt: number) => string;
}

/**
 * The link name of each live layer that should have one.
 * @example planLinkNames({...}).get(id) // { lid: "ABC...", source: "its link file" }
 */
export function planLinkNames(input: LinkNameInput): Map<string, LinkName> {
  const { view, liveIds, alive, records, legacy, newLinkId } = input;
  const { snap } = view;
  const names = new Map<string, LinkName>();
  const taken = new Set<string>();
  const liveTarget = (name: string): string | null => {
    const t = view.linkTargets.get(name);
    return t && alive(t) ? t : null;
  };
  const othersClaim = (name: string, id: string) => (view.linkOwners.get(name) ?? []).some((o) => o !== id && alive(o));
  const take = (id: string, lid: string, source: string) => {
    names.set(id, { lid, source });
    taken.add(lid);
  };

  // (a)
  for (const id of liveIds) {
    const lid = view.linkFiles.get(id)?.lid;
    if (!lid || taken.has(lid)) continue;
    if (snap.links.get(lid)?.target === null) continue; // l/<lid> is not a symlink: the name cannot be used
    const t = liveTarget(lid);
    if (t === id) take(id, lid, `its link file, and l/${lid} points at it`);
    else if (legacy && t === null && !othersClaim(lid, id)) take(id, lid, "its link file");
  }
  if (!legacy) return names;

  // (b)
  for (const id of liveIds) {
    if (names.has(id)) continue;
    const free = (view.pointing.get(id) ?? []).filter((n) => !taken.has(n) && !othersClaim(n, id));
    const pick = free.find((n) => view.referencedLinks.has(n)) ?? free[0];
    if (pick) take(id, pick, `l/${pick} points at it`);
  }

  // (c)
  const byId = new Map(records.map((r) => [r.id, r]));
  const byPosition = new Map<string, Set<string>>();
  for (const childId of liveIds) {
    const child = snap.layers.get(childId)!;
    const lower = textOf(child.lower);
    if (!lower) continue;
    const entries = lower.split(":");
    const ll = resolvedIds(evalLowerLayers(snap, child));
    const positions = ll && ll.every(alive) ? ll : jsonChain(byId, childId);
    if (!positions || positions.length !== entries.length) continue;
    entries.forEach((raw, k) => {
      if (!raw.startsWith("l/") || liveTarget(raw.slice(2)) !== null) return;
      const set = byPosition.get(positions[k]!) ?? new Set<string>();
      set.add(raw.slice(2));
      byPosition.set(positions[k]!, set);
    });
  }
  for (const id of liveIds) {
    if (names.has(id)) continue;
    const cands = [...(byPosition.get(id) ?? [])].filter((n) => !taken.has(n) && snap.links.get(n)?.target !== null && !othersClaim(n, id));
    if (cands.length === 1) take(id, cands[0]!, `the lower files of its children name it l/${cands[0]} at its position`);
  }

  // (d)
  for (const id of liveIds) {
    if (names.has(id)) continue;
    let attempt = 0;
    let lid = newLinkId(id, attempt);
    while (taken.has(lid) || snap.links.has(lid)) lid = newLinkId(id, ++attempt);
    take(id, lid, "no link file, l/ symlink or child's lower file tells its name, so it gets a fresh one");
  }
  return names;
}
