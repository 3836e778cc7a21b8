/**
 * What a mount of a layer would show, computed in userspace from its stack
 * of diff directories (the layer's own, then its lowers, uppermost first),
 * one directory at a time, without mounting:
 *
 * - the uppermost layer that has a name decides what it is;
 * - a 0:0 character device (whiteout) hides the name in the layers below;
 * - a directory merges with the directories of the same name below it, down
 *   to the first layer where it is opaque or where the name is not a
 *   directory (kernel Documentation/filesystems/overlayfs.rst, "Directories").
 */
import { readdirSync, type BigIntStats, type Dirent } from "node:fs";
import { OvError, errCode, sysError } from "../../errors.ts";
import { fileType, isOpaqueDir, isWhiteoutStat, lstatOrNull, S_IFDIR } from "./fs-info.ts";

export interface MergedEntry {
  name: string;
  /** Path relative to the layer root, without a leading '/'. */
  rel: string;
  /** Absolute path of the file in the layer that provides it. */
  real: string;
  st: BigIntStats;
  /** For a directory: the layer roots whose directory of this name merge into it, uppermost first. */
  layers: string[];
}

/** The merged root of a stack of diff directories. */
export function mergedRoot(stack: readonly string[]): MergedEntry {
  if (stack.length === 0) throw new OvError("internal", "A merged view needs at least one layer");
  const st = lstatOrNull(stack[0]!);
  if (!st) throw new OvError("corrupt", `The diff directory ${stack[0]} does not exist`);
  const layers: string[] = [];
  for (const dir of stack) {
    const s = lstatOrNull(dir);
    if (!s || fileType(s) !== S_IFDIR) break;
    layers.push(dir);
    if (isOpaqueDir(dir)) break;
  }
  return { name: "", rel: "", real: stack[0]!, st, layers };
}

export function isDirEntry(e: MergedEntry): boolean {
  return fileType(e.st) === S_IFDIR;
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = errCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw sysError(`Cannot list ${dir}`, e);
  }
}

/**
 * The entries of a merged directory.
 * @param dir a directory entry of a merged view
 */
export function mergedChildren(dir: MergedEntry): Map<string, MergedEntry> {
  const out = new Map<string, MergedEntry>();
  /** Names settled as deleted (whiteout) by an upper layer. */
  const hidden = new Set<string>();
  /** Directories that take nothing more from lower layers. */
  const closed = new Set<string>();
  for (const layer of dir.layers) {
    const base = dir.rel === "" ? layer : `${layer}/${dir.rel}`;
    for (const d of list(base)) {
      const name = d.name;
      if (hidden.has(name)) continue;
      const have = out.get(name);
      const real = `${base}/${name}`;
      if (have) {
        if (!isDirEntry(have) || closed.has(name)) continue;
        if (d.isDirectory()) {
          have.layers.push(layer);
          if (isOpaqueDir(real)) closed.add(name);
        } else closed.add(name); // a non-directory below ends the merge
        continue;
      }
      const st = lstatOrNull(real);
      if (!st) continue;
      if (isWhiteoutStat(st)) {
        hidden.add(name);
        continue;
      }
      const rel = dir.rel === "" ? name : `${dir.rel}/${name}`;
      const e: MergedEntry = { name, rel, real, st, layers: [] };
      if (fileType(st) === S_IFDIR) {
        e.layers.push(layer);
        if (isOpaqueDir(real)) closed.add(name);
      }
      out.set(name, e);
    }
  }
  return out;
}
