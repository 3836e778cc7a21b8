/**
 * A layer's directory on disk: creating and removing it.
 *
 *   <ID>/          0700
 *   <ID>/diff      the parent's diff mode and owner, 0555 root:root for a base layer
 *   <ID>/work, merged   0700; <ID>/empty 0700 for a base layer only
 *   <ID>/link      the 26-char short link name, 0644, no newline    (legacy)
 *   l/<LID>        symlink -> ../<ID>/diff                          (legacy)
 *   <ID>/lower     parent's l/<LID> then the parent's lower          (legacy)
 *   <ID>/lower-layers  parent ID then the parent's chain, as IDs
 *
 * Legacy pieces are written unless the store is symlink-free (store/mode.ts).
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { OvError, errCode, fsError } from "../errors.ts";
import { readChainEntries, readOptional, resolveLink, type ChainEntries } from "./chain.ts";
import { generateLinkId, invalidIdReason, isLinkId } from "./ids.ts";
import { formatLowerLayers, idFromLinkTarget, linkTargetFor } from "./lower.ts";
import type { StorePaths } from "./paths.ts";

export interface NewLayerFiles {
  /** Content of `lower-layers`, absent for a base layer. */
  lowerLayers?: string;
  /** Content of `lower`, absent for a base layer or without legacy links. */
  lower?: string;
}

/**
 * The chain of a layer as layer IDs, uppermost first: from its
 * `lower-layers`, or converted from its `lower` through the `l/` links when an
 * older tool made it.
 */
function chainIds(paths: StorePaths, read: ChainEntries): string[] {
  return read.entries.map((e) => (e.kind === "id" ? e.id : resolveLink(paths, e.lid, read.file!)));
}

/** The `link` file of a layer, or null when it has none. */
export function readLinkId(paths: StorePaths, id: string): string | null {
  const text = readOptional(paths.linkFile(id));
  if (text === null) return null;
  const lid = text.trim();
  if (!isLinkId(lid) && (lid === "" || lid.includes("/") || lid === "." || lid === "..")) {
    throw new OvError("corrupt", `${paths.linkFile(id)}: ${JSON.stringify(text)} is not a link name`);
  }
  return lid;
}

function requireLinkId(paths: StorePaths, id: string, why: string): string {
  const lid = readLinkId(paths, id);
  if (lid === null) {
    throw new OvError("corrupt", `Layer ${id} has no link file ${paths.linkFile(id)}, needed ${why}`, {
      hint: "run `ovlayer repair` to recreate missing link files",
    });
  }
  return lid;
}

/**
 * Works out the lower files of a new child of `parentId` (reads the parent's
 * files, writes nothing).
 */
export function planChildLowers(paths: StorePaths, parentId: string, legacyLinks: boolean): NewLayerFiles {
  const read = readChainEntries(paths, parentId);
  const chain = chainIds(paths, read);
  const out: NewLayerFiles = { lowerLayers: formatLowerLayers([parentId, ...chain]) };
  if (legacyLinks) {
    const parentLid = requireLinkId(paths, parentId, "to write the lower file of its child");
    // lower is read only when lower-layers was there; otherwise the chain came from it (or it is absent).
    const parentLower = read.source === "lower-layers" ? readOptional(paths.lowerFile(parentId)) : (read.text ?? null);
    if (parentLower !== null && parentLower !== "") {
      out.lower = `l/${parentLid}:${parentLower}`;
    } else if (chain.length === 0) {
      out.lower = `l/${parentLid}`;
    } else {
      // The parent has only lower-layers (made while the store was symlink-free):
      // rebuild the legacy chain from each lower layer's link file.
      const lids = chain.map((id) => `l/${requireLinkId(paths, id, "to write a legacy lower file")}`);
      out.lower = [`l/${parentLid}`, ...lids].join(":");
    }
  }
  return out;
}

/** Creates `l/<LID>` -> ../<id>/diff with a fresh LID, retrying on the (unlikely) clash. */
export function createLink(paths: StorePaths, id: string): string {
  for (let attempt = 0; ; attempt++) {
    const lid = generateLinkId();
    try {
      symlinkSync(linkTargetFor(id), paths.linkPath(lid));
      return lid;
    } catch (e) {
      if (errCode(e) === "EEXIST" && attempt < 10) continue;
      throw fsError(`Cannot create link ${paths.linkPath(lid)} for layer ${id}`, e);
    }
  }
}

function mkdirMode(path: string, mode: number): void {
  mkdirSync(path, { mode });
  chmodSync(path, mode); // the umask applies to mkdir(2)
}

/**
 * Creates the directory of layer `id`. On failure, removes whatever it made.
 * @throws {OvError} conflict when the directory already exists.
 */
export function createLayerDirs(paths: StorePaths, id: string, parentId: string | undefined, files: NewLayerFiles, legacyLinks: boolean): void {
  const dir = paths.layer(id);
  try {
    lstatSync(dir);
    throw new OvError("conflict", `Cannot create layer ${id}: ${dir} already exists but layers.json has no such layer`, {
      hint: "run `ovlayer check` to list leftover layer directories",
    });
  } catch (e) {
    if (e instanceof OvError) throw e;
    if (errCode(e) !== "ENOENT") throw fsError(`Cannot stat ${dir}`, e);
  }
  let lid: string | null = null;
  try {
    mkdirMode(dir, 0o700);
    let diffMode = 0o555;
    let uid = 0;
    let gid = 0;
    if (parentId) {
      const st = statSync(paths.diff(parentId));
      diffMode = st.mode & 0o7777;
      uid = st.uid;
      gid = st.gid;
    }
    mkdirMode(paths.diff(id), diffMode);
    if (uid !== 0 || gid !== 0) {
      chownSync(paths.diff(id), uid, gid);
      chmodSync(paths.diff(id), diffMode); // chown may clear setgid
    }
    if (legacyLinks) {
      lid = createLink(paths, id);
      writeFileSync(paths.linkFile(id), lid, { mode: 0o644 });
    }
    mkdirMode(paths.work(id), 0o700);
    mkdirMode(paths.merged(id), 0o700);
    if (!parentId) {
      mkdirMode(paths.empty(id), 0o700);
    } else {
      if (files.lower !== undefined) writeFileSync(paths.lowerFile(id), files.lower, { mode: 0o644 });
      if (files.lowerLayers !== undefined) writeFileSync(paths.lowerLayersFile(id), files.lowerLayers, { mode: 0o644 });
    }
  } catch (e) {
    removeLayerDirs(paths, id, lid);
    if (e instanceof OvError) throw e;
    throw fsError(`Cannot create layer ${id} in ${dir}`, e);
  }
}

/**
 * Removes layer `id`'s directory and its `l/` link. The link is removed only
 * when it really points at this layer. Missing pieces are not an error.
 */
export function removeLayerDirs(paths: StorePaths, id: string, knownLid?: string | null): void {
  // The ID may come from a damaged layers.json: never build a path to remove from an ID like "..".
  const why = invalidIdReason(id);
  if (why) throw new OvError("corrupt", `Refusing to remove layer ${JSON.stringify(id)}: it is not a valid layer ID (${why})`);
  let lid = knownLid ?? null;
  if (lid === null) {
    try {
      lid = readLinkId(paths, id);
    } catch {
      lid = null;
    }
  }
  if (lid) {
    const link = paths.linkPath(lid);
    try {
      if (idFromLinkTarget(readlinkSync(link)) === id) unlinkSync(link);
    } catch (e) {
      if (errCode(e) !== "ENOENT" && errCode(e) !== "EINVAL") throw fsError(`Cannot remove link ${link} of layer ${id}`, e);
    }
  }
  try {
    rmSync(paths.layer(id), { recursive: true, force: true });
  } catch (e) {
    throw fsError(`Cannot remove ${paths.layer(id)}`, e);
  }
}
