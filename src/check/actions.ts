/**
 * What `repair` and `migrate` do, as data: one file operation per action,
 * with the reason. The planners (repair-plan.ts, migrate.ts) make them,
 * repair-apply.ts performs them, and `simulate` applies them to a snapshot so
 * the planners' result can be judged by check before anything is touched
 * (what would still be wrong is what repair cannot fix). Pure.
 */
import type { LayerRecord } from "../store/records/layers-json.ts";
import type { MountRecord } from "../store/records/mountpoints.ts";
import { MISSING, type LayerFileName, type StoreSnapshot } from "./snapshot.ts";

export type Action =
  /** Keeps a copy of a damaged file before it is rewritten. */
  | { kind: "backup-file"; file: string; to: string; why: string }
  /** Removes an incomplete layer: its directory, tar-split and data dir; its record goes with write-layers-json. */
  | { kind: "remove-layer"; layer: string; file: string; record: LayerRecord; why: string }
  | { kind: "remove-symlink"; layer?: string; file: string; name: string; target: string; why: string }
  /** Creates l/<name> -> target; `replaces` is the old target of a symlink it replaces. */
  | { kind: "create-symlink"; layer: string; file: string; name: string; target: string; replaces?: string; why: string }
  | { kind: "make-dir"; layer: string; file: string; name: "work" | "empty"; why: string }
  | { kind: "write-file"; layer: string; file: string; name: LayerFileName; content: string; why: string }
  | { kind: "remove-file"; layer: string; file: string; name: LayerFileName; why: string }
  /** Reports a record added for a directory that had none; write-layers-json writes it. */
  | { kind: "adopt-layer"; layer: string; file: string; record: LayerRecord; why: string }
  | { kind: "write-layers-json"; file: string; records: LayerRecord[]; why: string }
  /** Sets one layer's mount count; 0 drops its entry. */
  | { kind: "set-mount-count"; layer: string; file: string; count: number; was: number; why: string }
  | { kind: "rebuild-mountpoints"; file: string; records: MountRecord[]; why: string }
  /** Records that the store is symlink-free (store/layers/mode.ts). */
  | { kind: "write-marker"; file: string; why: string }
  /** Removes an empty directory (R/overlay/l once every link is gone). */
  | { kind: "remove-dir"; file: string; why: string };

/** Whether an action changes mountpoints.json (and so needs mountpoints.lock). */
export function touchesCounts(a: Action): boolean {
  return a.kind === "set-mount-count" || a.kind === "rebuild-mountpoints";
}

function brief(content: string): string {
  if (content.length <= 80) return JSON.stringify(content);
  return `${content.split(":").length} entries, ${content.length} bytes`;
}

/** One line per action, the same for a dry run and a real one. */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case "backup-file":
      return `backup-file ${a.file} -> ${a.to}: ${a.why}`;
    case "remove-layer":
      return `remove-layer ${a.layer} (${a.file}): ${a.why}`;
    case "remove-symlink":
      return `remove-symlink ${a.file} -> ${a.target}: ${a.why}`;
    case "create-symlink":
      return `create-symlink ${a.file} -> ${a.target}${a.replaces !== undefined ? ` (replacing -> ${a.replaces})` : ""}: ${a.why}`;
    case "make-dir":
      return `make-dir ${a.file}: ${a.why}`;
    case "write-file":
      return `write-file ${a.file} (${brief(a.content)}): ${a.why}`;
    case "remove-file":
      return `remove-file ${a.file}: ${a.why}`;
    case "adopt-layer":
      return `adopt-layer ${a.layer} in ${a.file}: ${a.why}`;
    case "write-layers-json":
      return `write-layers-json ${a.file} (${a.records.length} records): ${a.why}`;
    case "set-mount-count":
      return `set-mount-count ${a.layer} ${a.was} -> ${a.count} in ${a.file}: ${a.why}`;
    case "rebuild-mountpoints":
      return `rebuild-mountpoints ${a.file} (${a.records.length} mounted layers): ${a.why}`;
    case "write-marker":
      return `write-marker ${a.file}: ${a.why}`;
    case "remove-dir":
      return `remove-dir ${a.file}: ${a.why}`;
  }
}

/** An action as JSON output: kind, layer, file, detail (the line), and the fields scripts need. */
export function actionJson(a: Action): Record<string, unknown> {
  const base: Record<string, unknown> = { action: a.kind, layer: "layer" in a ? (a.layer ?? "") : "", file: a.file, detail: describeAction(a) };
  if (a.kind === "write-file") base.content = a.content;
  if (a.kind === "create-symlink" || a.kind === "remove-symlink") base.target = a.target;
  if (a.kind === "set-mount-count") Object.assign(base, { count: a.count, was: a.was });
  if (a.kind === "backup-file") base.to = a.to;
  return base;
}

function fileKey(name: LayerFileName): "link" | "lower" | "lowerLayers" {
  return name === "lower-layers" ? "lowerLayers" : name;
}

/**
 * The snapshot as it would be after `actions`. Used to predict what repair
 * leaves unfixed, and by tests to show that a plan makes check clean.
 */
export function simulate(snap: StoreSnapshot, actions: readonly Action[]): StoreSnapshot {
  const layers = new Map([...snap.layers].map(([id, l]) => [id, { ...l, subdirs: new Set(l.subdirs) }]));
  const links = new Map(snap.links);
  let { linkDirExists, layersJson, mountpoints, mode } = snap;
  const counts = (): MountRecord[] => (mountpoints.kind === "ok" ? mountpoints.value.map((m) => ({ ...m })) : []);
  for (const a of actions) {
    switch (a.kind) {
      case "backup-file":
      case "adopt-layer":
        break;
      case "remove-layer":
        layers.delete(a.layer);
        break;
      case "remove-symlink":
        links.delete(a.name);
        break;
      case "create-symlink":
        linkDirExists = true;
        links.set(a.name, { name: a.name, target: a.target });
        break;
      case "make-dir":
        layers.get(a.layer)?.subdirs.add(a.name);
        break;
      case "write-file": {
        const l = layers.get(a.layer);
        if (l) l[fileKey(a.name)] = { kind: "text", text: a.content };
        break;
      }
      case "remove-file": {
        const l = layers.get(a.layer);
        if (l) l[fileKey(a.name)] = MISSING;
        break;
      }
      case "write-layers-json":
        layersJson = { kind: "ok", value: a.records };
        break;
      case "set-mount-count": {
        const recs = counts().filter((m) => m.id !== a.layer);
        if (a.count > 0) recs.push({ id: a.layer, path: snap.paths.merged(a.layer), count: a.count });
        mountpoints = { kind: "ok", value: recs };
        break;
      }
      case "rebuild-mountpoints":
        mountpoints = { kind: "ok", value: a.records };
        break;
      case "write-marker":
        mode = "symlink-free";
        break;
      case "remove-dir":
        if (links.size === 0) linkDirExists = false;
        break;
    }
  }
  return { ...snap, layers, links, linkDirExists, layersJson, mountpoints, mode };
}
