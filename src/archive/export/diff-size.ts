/**
 * `diffsize`: bytes a layer's changes hold, as containers-storage counts them:
 * the sizes of everything but directories, each inode once (hardlinks),
 * whiteouts counting 0 and symlinks the length of their target.
 */
import { readdirSync } from "node:fs";
import { sysError } from "../../errors.ts";
import type { Change } from "./changes.ts";
import { ChangeKind } from "./changes.ts";
import { fileType, lstatOrNull, S_IFDIR } from "./fs-info.ts";
import type { MergedEntry } from "./merged-view.ts";

/**
 * Total size of a directory tree (directory.Size upstream).
 * @throws {OvError} when the directory cannot be read.
 */
export function directorySize(dir: string): number {
  const seen = new Set<bigint>();
  let size = 0;
  const visit = (path: string): void => {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (e) {
      throw sysError(`Cannot list ${path}`, e);
    }
    for (const n of names) {
      const p = `${path}/${n}`;
      const st = lstatOrNull(p);
      if (!st) continue;
      if (seen.has(st.ino)) continue;
      seen.add(st.ino);
      if (fileType(st) === S_IFDIR) visit(p);
      else size += Number(st.size);
    }
  };
  visit(dir);
  return size;
}

/**
 * Size of the added and modified non-directories of a change list, read
 * from the new view (archive.ChangesSize upstream).
 * @param lookup finds the entry of a changed path in the new view
 */
export function changesSize(changes: readonly Change[], lookup: (path: string) => MergedEntry | undefined): number {
  const seen = new Set<string>();
  let size = 0;
  for (const c of changes) {
    if (c.Kind === ChangeKind.Delete) continue;
    const e = lookup(c.Path);
    if (!e || fileType(e.st) === S_IFDIR) continue;
    if (e.st.nlink > 1n) {
      const key = `${e.st.dev}:${e.st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    size += Number(e.st.size);
  }
  return size;
}
