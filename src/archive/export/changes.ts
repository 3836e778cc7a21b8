/**
 * The changes of a layer, as containers-storage lists them.
 *
 * Against its parent (`overlayChanges`): walk the layer's diff directory; a
 * whiteout is a deletion, an opaque directory that hides something below
 * is a deletion of that directory (then its content is added), a name that
 * exists below is a modification (unless it is a directory with the same
 * size, mode and mtime), anything else an addition; each added or deleted
 * path brings its not-yet-listed parent directories as modifications.
 *
 * Against another layer (`compareViews`): compare the two merged views
 * (merged-view.ts) the way archive.ChangesDirs compares two mounts, skipping
 * names that resolve to the same file in both (shared lower layers).
 */
import { readlinkSync, type BigIntStats } from "node:fs";
import { archiveXattrs, compareNames, fileType, isOpaqueDir, isWhiteoutStat, lstatOrNull, opaqueHidesLower, S_IFDIR, S_IFLNK, sortedNames, xattrNames } from "./fs-info.ts";
import type { IdMapper } from "../apply/idmap.ts";
import { isDirEntry, mergedChildren, type MergedEntry } from "./merged-view.ts";
import { splitPath } from "../apply/path-safety.ts";

/** containers-storage's archive.ChangeType values (the JSON "Kind"). */
export const ChangeKind = { Modify: 0, Add: 1, Delete: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  /** Absolute path inside the layer ("/etc/passwd"). */
  Path: string;
  Kind: ChangeKind;
}

// ---------------------------------------------------------------------------
// Against the parent: the diff directory is the change set.

/** True when `lower` has a whiteout at `rel` or at one of its parents (the name was deleted there). */
function lowerHasWhiteout(lower: string, rel: string): boolean {
  for (let p = rel; p !== ""; p = splitPath(p).dir) {
    const st = lstatOrNull(`${lower}/${p}`);
    if (st && isWhiteoutStat(st)) return true;
  }
  return false;
}

/** Go's sameFsTimeSpec: equal, or same second with one side truncated to whole seconds. */
function sameTime(a: bigint, b: bigint): boolean {
  const NS = 1_000_000_000n;
  if (a === b) return true;
  return a / NS === b / NS && (a % NS === 0n || b % NS === 0n);
}

/**
 * The changes recorded in a layer's diff directory against its lowers.
 * @param lowers diff directories of the lower layers, uppermost first
 */
export function overlayChanges(diffDir: string, lowers: readonly string[]): Change[] {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const visit = (rel: string): void => {
    for (const name of sortedNames(rel === "" ? diffDir : `${diffDir}/${rel}`)) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const path = `${diffDir}/${r}`;
      const st = lstatOrNull(path);
      if (!st) continue;
      const isDir = fileType(st) === S_IFDIR;
      const abs = "/" + r;
      let kind: ChangeKind = ChangeKind.Add;
      let unchangedDir = false;
      if (isWhiteoutStat(st) || (isDir && isOpaqueDir(path) && opaqueHidesLower(r, lowers))) {
        kind = ChangeKind.Delete;
      } else {
        for (const lower of lowers) {
          // A whiteout in a lower layer (for the name or a parent) means the name is new again.
          if (lowerHasWhiteout(lower, r)) break;
          const ls = lstatOrNull(`${lower}/${r}`);
          if (ls) {
            kind = ChangeKind.Modify;
            // A directory listed only because something inside it changed is not a change itself.
            unchangedDir = isDir && fileType(ls) === S_IFDIR && ls.size === st.size && ls.mode === st.mode && sameTime(ls.mtimeNs, st.mtimeNs);
            break;
          }
        }
      }
      if (!unchangedDir) {
        if (isDir) changedDirs.add(abs);
        if (kind === ChangeKind.Add || kind === ChangeKind.Delete) {
          const tail: Change[] = [];
          for (let p = splitPath(r).dir; p !== ""; p = splitPath(p).dir) {
            if (!changedDirs.has("/" + p)) {
              tail.unshift({ Path: "/" + p, Kind: ChangeKind.Modify });
              changedDirs.add("/" + p);
            }
          }
          for (const t of tail) changes.push(t);
        }
        changes.push({ Path: abs, Kind: kind });
      }
      if (isDir) visit(r);
    }
  };
  visit("");
  return changes;
}

// ---------------------------------------------------------------------------
// Against another layer: compare two merged views.

interface Compared {
  st: BigIntStats;
  capability: string;
  target: string;
  xattrs: string;
}

function describe(e: MergedEntry): Compared {
  const names = xattrNames(e.real);
  let capability = "";
  let xattrs = "";
  for (const x of archiveXattrs(e.real, names)) {
    const v = Buffer.from(x.value).toString("hex");
    if (x.name === "security.capability") capability = v;
    else if (x.name.startsWith("user.")) xattrs += `${x.name}=${v};`;
  }
  return { st: e.st, capability, target: fileType(e.st) === S_IFLNK ? readlinkSync(e.real) : "", xattrs };
}

/** archive.statDifferent plus the capability, symlink target and user.* xattr checks of ChangesDirs. */
function entriesDiffer(a: MergedEntry, aIds: IdMapper, b: MergedEntry, bIds: IdMapper): boolean {
  const x = describe(a);
  const y = describe(b);
  const [au, ag] = aIds.toContainer(Number(x.st.uid), Number(x.st.gid), a.real);
  const [bu, bg] = bIds.toContainer(Number(y.st.uid), Number(y.st.gid), b.real);
  if (x.st.mode !== y.st.mode || au !== bu || ag !== bg || x.st.rdev !== y.st.rdev || !sameTime(x.st.mtimeNs, y.st.mtimeNs)) return true;
  if (fileType(x.st) !== S_IFDIR && x.st.size !== y.st.size) return true;
  return x.capability !== y.capability || x.target !== y.target || x.xattrs !== y.xattrs;
}

function sameFile(a: MergedEntry, b: MergedEntry): boolean {
  return a.st.dev === b.st.dev && a.st.ino === b.st.ino;
}

export interface ViewChanges {
  changes: Change[];
  /** The new view's entry of every added or modified path. */
  entries: Map<string, MergedEntry>;
}

/**
 * The changes that turn the `oldRoot` view into the `newRoot` view (no
 * `oldRoot`: everything is added).
 * Order: depth first, names sorted; a directory with changes inside comes
 * before them (as Modify when it did not change itself); deletions of a
 * directory's names come after its other changes.
 */
export function compareViews(newRoot: MergedEntry, newIds: IdMapper, oldRoot: MergedEntry | null, oldIds: IdMapper): ViewChanges {
  const changes: Change[] = [];
  const entries = new Map<string, MergedEntry>();
  const record = (e: MergedEntry, kind: ChangeKind, at?: number): void => {
    const c = { Path: "/" + e.rel, Kind: kind };
    if (at === undefined) changes.push(c);
    else changes.splice(at, 0, c);
    entries.set(c.Path, e);
  };
  const visit = (neu: MergedEntry, old: MergedEntry | null, added: boolean): void => {
    const sizeAtEntry = changes.length;
    if (old === null && neu.rel !== "") {
      record(neu, ChangeKind.Add);
      added = true;
    }
    if (!isDirEntry(neu)) return;
    const newKids = mergedChildren(neu);
    const oldKids = old && isDirEntry(old) ? mergedChildren(old) : new Map<string, MergedEntry>();
    for (const name of [...newKids.keys()].sort(compareNames)) {
      const child = newKids.get(name)!;
      const oldChild = oldKids.get(name) ?? null;
      let childAdded = false;
      if (oldChild) {
        oldKids.delete(name);
        if (sameFile(child, oldChild)) continue; // one file seen through both stacks
        if (entriesDiffer(child, newIds, oldChild, oldIds)) {
          record(child, ChangeKind.Modify);
          childAdded = true;
        }
      }
      visit(child, oldChild, childAdded);
    }
    for (const name of [...oldKids.keys()].sort(compareNames)) changes.push({ Path: "/" + oldKids.get(name)!.rel, Kind: ChangeKind.Delete });
    if (changes.length > sizeAtEntry && !added && neu.rel !== "") record(neu, ChangeKind.Modify, sizeAtEntry);
  };
  visit(newRoot, oldRoot, false);
  return { changes, entries };
}
