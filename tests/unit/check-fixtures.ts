/**
 * Synthetic store snapshots for the pure check/repair/migrate tests: layers
 * laid out as ovlayer (link, l/, lower and lower-layers) or containers-storage
 * 1.43 (no lower-layers) would lay them out, then broken on purpose.
 */
import type { Action } from "../../src/check/actions.ts";
import { simulate } from "../../src/check/actions.ts";
import { checkStore, type Finding } from "../../src/check/findings.ts";
import { planRepair } from "../../src/check/repair-plan.ts";
import { MISSING, type JsonState, type LayerDir, type LinkEntry, type StoreSnapshot, type SymlinkedDir } from "../../src/check/snapshot.ts";
import type { LayerRecord } from "../../src/store/records/layers-json.ts";
import type { LinkMode } from "../../src/store/layers/mode.ts";
import type { MountRecord } from "../../src/store/records/mountpoints.ts";
import { StorePaths } from "../../src/store/paths.ts";

export type Style = "ovlayer" | "cs";

/** The link name a fake layer gets: readable in failures, 26 chars like a real one. */
export function lid(id: string): string {
  return `LINK${id.toUpperCase()}`.padEnd(26, "Q").slice(0, 26);
}

export class FakeStore {
  readonly paths = new StorePaths("/s/root", "/s/run");
  mode: LinkMode = "legacy-compatible";
  layers = new Map<string, LayerDir>();
  links = new Map<string, LinkEntry>();
  records: LayerRecord[] = [];
  layersJson?: JsonState<LayerRecord[]>;
  mountRecords: MountRecord[] = [];
  mountpoints?: JsonState<MountRecord[]>;
  mounted = new Set<string>();
  symlinked: SymlinkedDir[] = [];

  /** Adds a complete layer on top of `parent`, as `style` creates it. */
  add(id: string, parent?: string, style: Style = "ovlayer"): this {
    const name = lid(id);
    const subdirs = new Set(["diff", "work", "merged", ...(parent ? [] : ["empty"])]);
    const l: LayerDir = { id, subdirs, link: { kind: "text", text: name }, lower: MISSING, lowerLayers: MISSING };
    if (parent) {
      const p = this.layers.get(parent)!;
      const pl = p.lower.kind === "text" ? `:${p.lower.text}` : "";
      l.lower = { kind: "text", text: `l/${lid(parent)}${pl}` };
      if (style === "ovlayer") {
        const chain = [parent, ...this.chainOf(parent)];
        l.lowerLayers = { kind: "text", text: chain.join(":") };
      }
    }
    this.layers.set(id, l);
    this.links.set(name, { name, target: `../${id}/diff` });
    this.records.push({ id, ...(parent ? { parent } : {}), created: "2026-01-01T00:00:00Z" });
    return this;
  }

  /** A chain of `n` layers named prefix0..prefix(n-1), each on the previous. */
  chain(prefix: string, n: number, style: Style = "ovlayer", base?: string): this {
    let parent = base;
    for (let i = 0; i < n; i++) {
      this.add(`${prefix}${i}`, parent, style);
      parent = `${prefix}${i}`;
    }
    return this;
  }

  chainOf(id: string): string[] {
    const out: string[] = [];
    let r = this.records.find((x) => x.id === id);
    while (r?.parent) {
      out.push(r.parent);
      r = this.records.find((x) => x.id === r!.parent);
    }
    return out;
  }

  layer(id: string): LayerDir {
    return this.layers.get(id)!;
  }

  /** A symlink where the store keeps a directory (a layer dir or sub-dir when `layer` is given). */
  symlinkDir(path: string, target: string, layer?: string): this {
    this.symlinked.push({ path, target, ...(layer ? { layer } : {}) });
    return this;
  }

  mount(id: string, count = 1): this {
    this.mounted.add(this.paths.merged(id));
    this.mountRecords.push({ id, path: this.paths.merged(id), count });
    return this;
  }

  snap(): StoreSnapshot {
    return {
      paths: this.paths,
      mode: this.mode,
      layers: new Map([...this.layers].map(([k, v]) => [k, { ...v, subdirs: new Set(v.subdirs) }])),
      linkDirExists: this.links.size > 0 || this.mode === "legacy-compatible",
      links: new Map(this.links),
      layersJson: this.layersJson ?? { kind: "ok", value: this.records.map((r) => ({ ...r })) },
      mountpoints: this.mountpoints ?? { kind: "ok", value: this.mountRecords.map((m) => ({ ...m })) },
      mounted: new Set(this.mounted),
      unreadable: [],
      symlinkedDirs: this.symlinked.map((l) => ({ ...l })),
    };
  }
}

export function codes(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.code).sort();
}

/** Fresh link names that are easy to spot in tests. */
export function freshNames(): (id: string, attempt: number) => string {
  return (id, attempt) => `FRESH${attempt}${id.toUpperCase()}`.padEnd(26, "Z");
}

export const NOW = "2026-02-03T04:05:06.000Z";

/** Plans a repair, applies it to the snapshot, and returns the plan and what check finds afterwards. */
export function repairSim(snap: StoreSnapshot): { actions: Action[]; after: StoreSnapshot; remaining: Finding[] } {
  const actions = planRepair(snap, { now: NOW, newLinkId: freshNames() });
  const after = simulate(snap, actions);
  return { actions, after, remaining: checkStore(after) };
}

export function kinds(actions: readonly Action[]): string[] {
  return actions.map((a) => a.kind);
}
