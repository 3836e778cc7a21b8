/**
 * One read of everything `check`, `repair` and `migrate` judge, as plain data,
 * so that judging and planning are pure functions of it (findings.ts,
 * repair-plan.ts, migrate.ts) and can be tested on synthetic stores.
 *
 * What is read, with as few syscalls as a store of thousands of layers allows:
 *   R/overlay            one readdir (with types): layer dirs and the rest
 *   R/overlay/<ID>/      one readdir per layer, then only the files it lists
 *                        (link, lower, lower-layers): no ENOENT round trips
 *   R/overlay/l/         one readdir, one readlink per entry
 *   layers.json, mountpoints.json, /proc/self/mountinfo: one read each
 *   <ID>/ is stat'ed only for directories layers.json does not know (their
 *   mtime becomes the `created` time if repair adopts them)
 *
 * Reading never writes and never locks: callers hold the locks they need
 * (session.ts).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { describeCause, errCode, sysError } from "../errors.ts";
import { mountPointSet } from "../mount/mountinfo.ts";
import { invalidIdReason, RESERVED_NAMES } from "../store/layers/ids.ts";
import { parseLayersJson, type LayerRecord } from "../store/records/layers-json.ts";
import { linkMode, type LinkMode } from "../store/layers/mode.ts";
import { parseMountpoints, type MountRecord } from "../store/records/mountpoints.ts";
import { LOWER_FILE, LOWER_LAYERS_FILE, type StorePaths } from "../store/paths.ts";
import { MISSING, readFileState, type FileState } from "../store/files/file-state.ts";
import { salvageLayersJson } from "./salvage.ts";

export { MISSING, type FileState } from "../store/files/file-state.ts";

/** The files of a layer directory that check and repair look at. */
export type LayerFileName = "link" | "lower" | "lower-layers";

/** One directory R/overlay/<ID>. */
export interface LayerDir {
  id: string;
  /** Sub-directories present among diff, work, merged, empty. */
  subdirs: Set<string>;
  link: FileState;
  lower: FileState;
  lowerLayers: FileState;
  /** mtime of <ID>/ as an RFC 3339 string; only for dirs layers.json does not know. */
  mtime?: string;
}

/** One entry of R/overlay/l. */
export interface LinkEntry {
  name: string;
  /** The symlink's target, or null when the entry is not a symlink. */
  target: string | null;
}

/** A JSON file of the store: absent, parsed, or present but not parseable. */
export type JsonState<T> =
  | { kind: "missing" }
  | { kind: "ok"; value: T }
  | { kind: "corrupt"; text: string; error: string }
  | { kind: "error"; error: string };

export interface StoreSnapshot {
  paths: StorePaths;
  mode: LinkMode;
  /** Layer directories by ID. */
  layers: Map<string, LayerDir>;
  /** Whether R/overlay/l exists (as a directory). */
  linkDirExists: boolean;
  /** Entries of R/overlay/l by name. */
  links: Map<string, LinkEntry>;
  layersJson: JsonState<LayerRecord[]>;
  mountpoints: JsonState<MountRecord[]>;
  /** Every mount point in /proc/self/mountinfo. */
  mounted: Set<string>;
  /** Things that could not be read at all (a directory listing that failed). */
  unreadable: { path: string; error: string }[];
  /**
   * Symlinks where the store keeps a directory (R/overlay, l/, a layer dir,
   * its diff/work/merged/empty): never followed, reported by check.
   */
  symlinkedDirs: SymlinkedDir[];
}

export interface SymlinkedDir {
  path: string;
  target: string;
  /** The layer whose dir (or sub-dir) it is. */
  layer?: string;
}

/** The sub-directories of a layer that must be real directories. */
const LAYER_SUBDIRS = new Set(["diff", "work", "merged", "empty"]);

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch (e) {
    return `? (${describeCause(e)})`;
  }
}

function readJson<T>(path: string, parse: (text: string, file: string) => T): JsonState<T> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return { kind: "missing" };
    return { kind: "error", error: describeCause(e) };
  }
  try {
    return { kind: "ok", value: parse(text, path) };
  } catch (e) {
    return { kind: "corrupt", text, error: (e as Error).message.replace(`${path} `, "").replace(`${path}: `, "") };
  }
}

function listDir(path: string, unreadable: StoreSnapshot["unreadable"]): Dirent[] | null {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) !== "ENOENT") unreadable.push({ path, error: describeCause(e) });
    return null;
  }
}

/** Whether a name in R/overlay can be a layer directory (the rest is skipped). */
export function isLayerDirName(name: string): boolean {
  return !RESERVED_NAMES.has(name) && invalidIdReason(name) === null;
}

function readLayerDir(paths: StorePaths, id: string, unreadable: StoreSnapshot["unreadable"], symlinked: SymlinkedDir[]): LayerDir {
  const dir = paths.layer(id);
  const subdirs = new Set<string>();
  const files = new Set<string>();
  for (const d of listDir(dir, unreadable) ?? []) {
    if (d.isSymbolicLink() && LAYER_SUBDIRS.has(d.name)) symlinked.push({ path: join(dir, d.name), target: linkTarget(join(dir, d.name)), layer: id });
    if (d.isDirectory()) subdirs.add(d.name);
    else files.add(d.name);
  }
  // A directory where a file belongs is listed too: reading it fails (EISDIR), as it does for every reader.
  const file = (name: string, path: string): FileState => (files.has(name) || subdirs.has(name) ? readFileState(path) : MISSING);
  return {
    id,
    subdirs,
    link: file("link", paths.linkFile(id)),
    lower: file(LOWER_FILE, paths.lowerFile(id)),
    lowerLayers: file(LOWER_LAYERS_FILE, paths.lowerLayersFile(id)),
  };
}

/** The IDs layers.json names, or what can be salvaged from a damaged file. */
export function recordedIds(state: JsonState<LayerRecord[]>): Set<string> {
  if (state.kind === "ok") return new Set(state.value.map((r) => r.id));
  if (state.kind === "corrupt") return new Set(salvageLayersJson(state.text).records.map((r) => r.id));
  return new Set();
}

/**
 * Reads the store. Never writes, never throws for a damaged store: damage is
 * data for check.
 * @throws {OvError} when /proc/self/mountinfo cannot be read.
 */
/** @param onLayer called after each layer directory is read (progress). */
export function takeSnapshot(paths: StorePaths, onLayer?: () => void): StoreSnapshot {
  const unreadable: StoreSnapshot["unreadable"] = [];
  const symlinkedDirs: SymlinkedDir[] = [];
  const layersJson = readJson(paths.layersJson, parseLayersJson);
  const layers = new Map<string, LayerDir>();
  let linkDirExists = false;
  // R/overlay itself as a symlink: reported, and nothing behind it is read.
  const homeIsLink = isSymlink(paths.home);
  if (homeIsLink) symlinkedDirs.push({ path: paths.home, target: linkTarget(paths.home) });
  for (const d of (homeIsLink ? null : listDir(paths.home, unreadable)) ?? []) {
    if (d.name === "l") linkDirExists = d.isDirectory();
    if (d.isSymbolicLink() && (d.name === "l" || isLayerDirName(d.name))) {
      const p = join(paths.home, d.name);
      symlinkedDirs.push({ path: p, target: linkTarget(p), ...(d.name === "l" ? {} : { layer: d.name }) });
    }
    if (!d.isDirectory() || !isLayerDirName(d.name)) continue;
    layers.set(d.name, readLayerDir(paths, d.name, unreadable, symlinkedDirs));
    onLayer?.();
  }
  const known = recordedIds(layersJson);
  for (const [id, l] of layers) {
    if (known.has(id)) continue;
    try {
      l.mtime = new Date(statSync(paths.layer(id)).mtimeMs).toISOString();
    } catch {
      // no time: repair uses the current time if it adopts the directory
    }
  }
  const links = new Map<string, LinkEntry>();
  if (linkDirExists) {
    for (const d of listDir(paths.linkDir, unreadable) ?? []) {
      let target: string | null = null;
      if (d.isSymbolicLink()) {
        try {
          target = readlinkSync(paths.linkPath(d.name));
        } catch (e) {
          unreadable.push({ path: paths.linkPath(d.name), error: describeCause(e) });
          continue;
        }
      }
      links.set(d.name, { name: d.name, target });
    }
  }
  return {
    paths,
    mode: linkMode(paths),
    layers,
    linkDirExists,
    links,
    layersJson,
    mountpoints: readJson(paths.mountpointsJson, parseMountpoints),
    mounted: mountPoints(),
    unreadable,
    symlinkedDirs,
  };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Every mount point in /proc/self/mountinfo. */
function mountPoints(): Set<string> {
  try {
    return mountPointSet();
  } catch (e) {
    throw sysError("Cannot read /proc/self/mountinfo to compare mount counts with what is mounted", e);
  }
}

/**
 * Re-reads only what a mount-count repair needs (under mountpoints.lock).
 * @throws {OvError} when /proc/self/mountinfo cannot be read.
 */
export function refreshMounts(snap: StoreSnapshot): StoreSnapshot {
  return {
    ...snap,
    mountpoints: readJson(snap.paths.mountpointsJson, parseMountpoints),
    mounted: mountPoints(),
  };
}
