/**
 * Reads a layer's chain of lower layers from disk, strictly inside the store.
 *
 * `lower-layers` is preferred; `lower` is read only when `lower-layers` does
 * not exist (ENOENT); any other error is an error, never a silent fallback.
 * Every entry must resolve to an existing layer's diff directory in R/overlay:
 * an `l/<LID>` entry must be a symlink to `../<ID>/diff`, an ID entry a valid
 * ID with a diff dir. Reading never writes (no symlink is recreated here).
 */
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { OvError, describeCause, errCode } from "../errors.ts";
import { idFromLinkTarget, parseLower, parseLowerLayers, type LowerEntry } from "./lower.ts";
import type { StorePaths } from "./paths.ts";

export interface LowerLayer {
  /** Layer ID of this lower. */
  id: string;
  /** Absolute path of its diff directory. */
  diff: string;
}

export type ChainSource = "lower-layers" | "lower" | "none";

export interface Chain {
  /** Which file the chain came from; "none" for a base layer. */
  source: ChainSource;
  /** The file read (absent for a base layer). */
  file?: string;
  /** Lower layers, uppermost (the parent) first. */
  lowers: LowerLayer[];
}

/** Reads a small file, or null on ENOENT; other errors are thrown as OvError. */
export function readOptional(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return null;
    throw new OvError(errCode(e) === "EACCES" ? "permission" : "sys", `Cannot read ${path}: ${describeCause(e)}`, { cause: e });
  }
}

export interface ChainEntries {
  source: ChainSource;
  /** The file read (absent for a base layer). */
  file?: string;
  /** Its content, unparsed. */
  text?: string;
  entries: LowerEntry[];
}

/** The raw entries of a layer's chain, without resolving them. */
export function readChainEntries(paths: StorePaths, id: string): ChainEntries {
  const llFile = paths.lowerLayersFile(id);
  const ll = readOptional(llFile);
  if (ll !== null) {
    return { source: "lower-layers", file: llFile, text: ll, entries: parseLowerLayers(ll, llFile).map((i) => ({ kind: "id", id: i, raw: i })) };
  }
  const lFile = paths.lowerFile(id);
  const l = readOptional(lFile);
  if (l !== null) return { source: "lower", file: lFile, text: l, entries: parseLower(l, lFile) };
  return { source: "none", entries: [] };
}

/**
 * Resolves a legacy `l/<LID>` link to the ID of the layer it points at.
 * @throws {OvError} corrupt when the link is missing, not a symlink, or points elsewhere.
 */
export function resolveLink(paths: StorePaths, lid: string, file: string): string {
  const link = paths.linkPath(lid);
  let target: string;
  try {
    target = readlinkSync(link);
  } catch (e) {
    const code = errCode(e);
    const what = code === "ENOENT" ? "does not exist" : code === "EINVAL" ? "is not a symlink" : describeCause(e);
    throw new OvError("corrupt", `${file}: entry l/${lid}: ${link} ${what}`, {
      cause: e,
      hint: "run `ovlayer repair` to recreate lost l/ links from the layers' link files",
    });
  }
  const lowerId = idFromLinkTarget(target);
  if (!lowerId) {
    throw new OvError("corrupt", `${file}: entry l/${lid}: ${link} points to ${JSON.stringify(target)}, not ../<ID>/diff inside the store`);
  }
  return lowerId;
}

function checkDiffDir(paths: StorePaths, lowerId: string, file: string, raw: string): string {
  const diff = paths.diff(lowerId);
  let ok = false;
  try {
    ok = statSync(diff).isDirectory();
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw new OvError("sys", `${file}: entry ${raw}: cannot stat ${diff}: ${describeCause(e)}`, { cause: e });
  }
  if (!ok) throw new OvError("corrupt", `${file}: entry ${raw}: layer ${lowerId} has no diff directory ${diff}`);
  return diff;
}

/** Resolves one entry to a lower layer, checking that its diff dir exists. */
export function resolveEntry(paths: StorePaths, entry: LowerEntry, file: string): LowerLayer {
  if (entry.kind === "link") {
    const lowerId = resolveLink(paths, entry.lid, file);
    return { id: lowerId, diff: checkDiffDir(paths, lowerId, file, entry.raw) };
  }
  // A bare entry in `lower` may still be a symlink in R/overlay (never made by
  // containers-storage, but the format allows it): only a real directory counts.
  const dir = paths.layer(entry.id);
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if (errCode(e) === "ENOENT") throw new OvError("corrupt", `${file}: entry ${entry.raw}: layer ${entry.id} does not exist (${dir})`);
    throw new OvError("sys", `${file}: entry ${entry.raw}: cannot stat ${dir}: ${describeCause(e)}`, { cause: e });
  }
  if (!st.isDirectory()) throw new OvError("corrupt", `${file}: entry ${entry.raw}: ${dir} is not a layer directory`);
  return { id: entry.id, diff: checkDiffDir(paths, entry.id, file, entry.raw) };
}

/**
 * Reads and resolves the whole chain of layer `id`.
 * @throws {OvError} corrupt naming the file and the entry that does not resolve.
 */
export function readChain(paths: StorePaths, id: string): Chain {
  const { source, file, entries } = readChainEntries(paths, id);
  const lowers = entries.map((e) => resolveEntry(paths, e, file!));
  return file === undefined ? { source, lowers } : { source, file, lowers };
}
