/**
 * Reads a layer's chain of lower layers from disk, strictly inside the store,
 * for every verb that uses one (mount, diff/changes/diffsize, create-layer):
 * the chain rule of chain-eval.ts, answered by syscalls made only as the rule
 * asks (so `lower` is not even opened when `lower-layers` exists), and its
 * problems turned into errors. check/repair apply the same rule to their
 * snapshot (check/view.ts). Reading never writes: a lost link is reported,
 * not recreated.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { OvError, errCode, sysError } from "../../errors.ts";
import { entryOf, evalChain, linkLookup, type ChainFacts, type ChainRead, type ChainSource, type LayerPresence, type LinkResolver } from "./chain-eval.ts";
import { readFileState } from "../files/file-state.ts";
import type { StorePaths } from "../paths.ts";

export interface LowerLayer {
  /** Layer ID of this lower. */
  id: string;
  /** Absolute path of its diff directory. */
  diff: string;
}

export interface Chain {
  /** Which file the chain came from; "none" for a base layer. */
  source: ChainSource;
  /** The file read (absent for a base layer). */
  file?: string;
  /** Its content. */
  text?: string;
  /** Lower layers, uppermost (the parent) first. */
  lowers: LowerLayer[];
}

/** lstat that says "missing" for ENOENT/ENOTDIR and throws the errno policy's error for the rest. */
function lstatKind(path: string, what: string): "dir" | "other" | "missing" {
  try {
    return lstatSync(path).isDirectory() ? "dir" : "other";
  } catch (e) {
    const code = errCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw sysError(what, e, { path });
  }
}

/**
 * The store as the chain rule sees it, read from disk.
 * @param presence false: every lower layer counts as present, with no lstat
 *   (mount: opening each diff beneath the root checks the same, and a failure
 *   there reads the chain again with the checks, for the precise error).
 */
export function diskFacts(paths: StorePaths, presence = true): ChainFacts {
  return {
    paths,
    file: (id, name) => readFileState(name === "lower" ? paths.lowerFile(id) : paths.lowerLayersFile(id)),
    layer(id): LayerPresence {
      if (!presence) return "ok";
      const what = `Cannot stat layer ${id}`;
      // diff first: one lstat decides the common case with the one below.
      const diff = lstatKind(paths.diff(id), what);
      const dir = lstatKind(paths.layer(id), what);
      if (dir !== "dir") return "missing";
      return diff === "dir" ? "ok" : "no-diff";
    },
  };
}

/** `l/<LID>` resolved through the symlink on disk. */
export function diskLinkResolver(paths: StorePaths): LinkResolver {
  const linkDirs = new Map<string, "dir" | "other" | "missing">();
  return (lid) => {
    // The store's own l/ first, then the other stores' (paths.ts): an ID found there is looked up in the stores only.
    const link = paths.linkPath(lid);
    const dir = dirname(link);
    // R/overlay/l must be a real directory: a symlink there is not followed (check sees no links in it either).
    let kind = linkDirs.get(dir);
    if (kind === undefined) linkDirs.set(dir, (kind = lstatKind(dir, `Cannot stat ${dir}`)));
    if (kind !== "dir") return linkLookup(link, undefined);
    let target: string | null | undefined;
    try {
      target = readlinkSync(link);
    } catch (e) {
      const code = errCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") target = undefined;
      else if (code === "EINVAL") target = null;
      else throw sysError(`Cannot read the link ${link}`, e, { path: link });
    }
    return linkLookup(link, target);
  };
}

const REPAIR_HINT = "run `ovlayer check` to see every problem and `ovlayer repair` to fix them";

/**
 * The error a verb raises for a chain with problems, or null for a usable one.
 * @param action "mount" -> "Cannot mount layer X: ..."
 */
export function chainError(read: ChainRead, id: string, action: string): OvError | null {
  const c = read.eval;
  const file = read.file ?? "";
  const head = `Cannot ${action} layer ${id}`;
  switch (c.state) {
    case "absent":
      return null;
    case "unreadable":
      return sysError(`${head}: cannot read ${file}`, c.cause ?? new Error(c.error), { path: file });
    case "invalid":
      if (c.kind === "too-deep") return new OvError("unsupported", `${head}: ${file}: ${c.problem}`);
      return new OvError("corrupt", `${head}: ${file}: ${c.problem}`, { hint: REPAIR_HINT });
    case "parsed": {
      const u = c.unresolved[0];
      if (!u) return null;
      const more = c.unresolved.length > 1 ? ` (and ${c.unresolved.length - 1} more of its entries do not resolve)` : "";
      return new OvError("corrupt", `${head}: ${file}: entry ${u.raw} (${entryOf(u.index, c.entries.length)}): ${u.why}${more}`, { hint: REPAIR_HINT });
    }
  }
}

export interface ReadChainOptions {
  /** What the caller is doing, for the message: "mount" -> "Cannot mount layer X: ...". */
  action?: string;
  /** The parent layers.json records: a layer with a parent and neither lower file is refused. */
  parent?: string;
  /**
   * false: lower layers are not lstat'ed (2 syscalls each): the caller opens
   * every diff beneath the root anyway, and on a failure there calls readChain
   * again with the checks, for the error naming the entry (mount/layer-mount.ts).
   */
  checkPresence?: boolean;
}

/**
 * Reads and resolves the whole chain of layer `id`.
 * @throws {OvError} corrupt naming the file and the entry that does not resolve;
 *   unsupported "max depth exceeded" past lower.ts MAX_DEPTH entries; the errno's kind when a file cannot be read.
 */
export function readChain(paths: StorePaths, id: string, opts: ReadChainOptions = {}): Chain {
  const read = evalChain(diskFacts(paths, opts.checkPresence !== false), id, diskLinkResolver(paths));
  const action = opts.action ?? "read the chain of";
  const err = chainError(read, id, action);
  if (err) throw err;
  if (read.source === "none" && opts.parent !== undefined) {
    throw new OvError(
      "corrupt",
      `Cannot ${action} layer ${id}: layers.json names parent ${opts.parent}, but it has neither ${paths.lowerLayersFile(id)} nor ${paths.lowerFile(id)}`,
      { hint: REPAIR_HINT },
    );
  }
  const ids = read.eval.state === "parsed" ? (read.eval.ids as string[]) : [];
  const chain: Chain = { source: read.source, lowers: ids.map((l) => ({ id: l, diff: paths.diff(l) })) };
  if (read.file !== undefined) chain.file = read.file;
  if (read.text !== undefined) chain.text = read.text;
  return chain;
}
