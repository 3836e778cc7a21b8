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
 * Legacy pieces are written unless the store is symlink-free (store/layers/mode.ts).
 * Removing a layer (removeLayer) also removes what other modules write for
 * it: R/overlay-layers/<ID>.tar-split.gz and R/overlay-layers/<ID>/.
 */
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readdirSync, readlinkSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { OvError, errCode, rollback, sysError } from "../../errors.ts";
import { readChain } from "./chain.ts";
import { readFileState, textOf } from "../files/file-state.ts";
import { generateLinkId, invalidIdReason } from "./ids.ts";
import { readLinkId } from "./link-file.ts";
import { formatLowerLayers, idFromLinkTarget, linkTargetFor } from "./lower.ts";
import type { StorePaths } from "../paths.ts";
import { quoteArg } from "../../quote.ts";
import { umount2 } from "../../sys/libc.ts";
import { removeTree } from "../files/remove-tree.ts";
import { writeAll } from "../files/atomic.ts";

export interface NewLayerFiles {
  /** Content of `lower-layers`, absent for a base layer. */
  lowerLayers?: string;
  /** Content of `lower`, absent for a base layer or without legacy links. */
  lower?: string;
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
 * files, writes nothing). `grandparent` is the parent's own parent in layers.json.
 */
export function planChildLowers(paths: StorePaths, parentId: string, legacyLinks: boolean, grandparent?: string): NewLayerFiles {
  // The parent's chain must be usable (the rule mount and check use): a child would inherit its damage.
  const read = readChain(paths, parentId, { action: "create a child of", ...(grandparent ? { parent: grandparent } : {}) });
  const chain = read.lowers.map((l) => l.id);
  const out: NewLayerFiles = { lowerLayers: formatLowerLayers([parentId, ...chain]) };
  if (legacyLinks) {
    const parentLid = requireLinkId(paths, parentId, "to write the lower file of its child");
    // lower is read only when lower-layers was there; otherwise the chain came from it (or it is absent).
    const parentLower = read.source === "lower-layers" ? readParentLower(paths, parentId) : (read.text ?? null);
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

/** The parent's `lower` when its chain came from `lower-layers`: copied into the child's as it is. */
function readParentLower(paths: StorePaths, parentId: string): string | null {
  const f = readFileState(paths.lowerFile(parentId));
  if (f.kind === "error") throw sysError(`Cannot create a child of layer ${parentId}: cannot read ${paths.lowerFile(parentId)}`, f.cause, { path: paths.lowerFile(parentId) });
  return textOf(f);
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
      throw sysError(`Cannot create link ${paths.linkPath(lid)} for layer ${id}`, e);
    }
  }
}

/** A file of a layer dir made just now: created (never an existing one), written, closed. Mode 0644 less the umask. */
function writeNewFile(path: string, text: string): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
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
  // mkdir answers "exists" itself (for a dir, a file or a symlink alike): no lstat first.
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (errCode(e) === "EEXIST") {
      throw new OvError("conflict", `Cannot create layer ${id}: ${dir} already exists but layers.json has no such layer`, {
        hint: "run `ovlayer check` to list leftover layer directories",
      });
    }
    throw sysError(`Cannot create layer ${id} in ${dir}`, e);
  }
  let lid: string | null = null;
  try {
    chmodSync(dir, 0o700); // the umask applies to mkdir(2)
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
      writeNewFile(paths.linkFile(id), lid);
    }
    mkdirMode(paths.work(id), 0o700);
    mkdirMode(paths.merged(id), 0o700);
    if (!parentId) {
      mkdirMode(paths.empty(id), 0o700);
    } else {
      if (files.lower !== undefined) writeNewFile(paths.lowerFile(id), files.lower);
      if (files.lowerLayers !== undefined) writeNewFile(paths.lowerLayersFile(id), files.lowerLayers);
    }
  } catch (e) {
    rollback(sysError(`Cannot create layer ${id} in ${dir}`, e), () => removeLayer(paths, id, { lid }));
  }
}

export interface RemoveOptions {
  /** The layer's link name when the caller knows it; else its link file is read. */
  lid?: string | null;
  /** Leave `l/` alone (repair removes symlinks as actions of their own). */
  keepLink?: boolean;
}

/**
 * THE layer removal, for delete, a failed create and repair: the layer's
 * directory, its `l/` link (only when it really points at this layer), its
 * tar-split file and its big-data directory R/overlay-layers/<ID>/. Missing
 * pieces are not an error; the layers.json record is the caller's.
 * @throws {OvError} corrupt for an ID that is not a layer ID (never a path to remove); the errno's kind.
 */
export function removeLayer(paths: StorePaths, id: string, opts: RemoveOptions = {}): void {
  // The ID may come from a damaged layers.json: never build a path to remove from an ID like "..".
  const why = invalidIdReason(id);
  if (why) throw new OvError("corrupt", `Refusing to remove layer ${quoteArg(id)}: it is not a valid layer ID (${why})`);
  if (!opts.keepLink) removeOwnLink(paths, id, opts.lid);
  detachLeftoverView(paths.layer(id), id);
  const rm = (path: string, recursive: boolean): void => {
    try {
      removeTree(path, recursive);
    } catch (e) {
      throw sysError(`Cannot remove ${path} of layer ${id}`, e, { path });
    }
  };
  rm(paths.layer(id), true);
  rm(paths.tarSplit(id), false);
  rm(join(paths.layersDir, id), true);
}

/**
 * A crash between attaching and detaching an idmapped view of the overlay
 * home (mount/idmap/lowers.ts) leaves the whole home mounted at
 * <layer>/mapped/0: detach it first, so the removal never walks into it.
 * Unmounted, mapped/0 is an empty dir (or absent).
 */
function detachLeftoverView(layerDir: string, id: string): void {
  const view = join(layerDir, "mapped", "0");
  for (let i = 0; i < 8; i++) {
    let names: string[];
    try {
      names = readdirSync(view);
    } catch {
      return;
    }
    if (names.length === 0) return;
    try {
      umount2(view, 2 /* MNT_DETACH */);
    } catch (e) {
      throw sysError(`Cannot remove layer ${id}: ${view} is not empty and is not an idmapped view that can be detached`, e, { path: view });
    }
  }
}

function removeOwnLink(paths: StorePaths, id: string, knownLid: string | null | undefined): void {
  let lid = knownLid ?? null;
  if (lid === null) {
    try {
      lid = readLinkId(paths, id);
    } catch {
      lid = null; // a damaged link file: the l/ link stays for repair to judge
    }
  }
  if (!lid) return;
  const link = paths.linkPath(lid);
  try {
    if (idFromLinkTarget(readlinkSync(link)) === id) unlinkSync(link);
  } catch (e) {
    if (errCode(e) !== "ENOENT" && errCode(e) !== "EINVAL") throw sysError(`Cannot remove link ${link} of layer ${id}`, e, { path: link });
  }
}
