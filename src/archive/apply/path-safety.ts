/**
 * Keeping every write inside the layer. Pure: the one piece that looks at
 * the disk (what a path is, where a symlink points) is passed in.
 *
 * - Entry names are made relative to the layer root: a leading '/' is
 *   dropped, '.' is skipped and '..' cannot climb above the root. This is
 *   what containers-storage gets by extracting inside a chroot.
 * - Hardlink targets are names in the same archive: one that climbs above
 *   the root with '..' is refused.
 * - A directory on the way to an entry may be a symlink made earlier (in the
 *   archive or already in the layer). It is followed only while it stays in
 *   the layer; a symlink leading outside is refused, never followed.
 */
import { OvError } from "../../errors.ts";

/** Why a name or path was refused: callers branch on this, never on the message. */
export type PathRefusal = "nul" | "outside" | "layer-root" | "through-missing-dir" | "too-many-symlinks" | "not-a-directory";

/** A refused archive path: always "corrupt", with the reason as data. */
export class PathSafetyError extends OvError {
  readonly reason: PathRefusal;
  constructor(reason: PathRefusal, message: string) {
    super("corrupt", message);
    this.name = "PathSafetyError";
    this.reason = reason;
  }
}

/** What a path in the layer is, as the resolver needs to know it. */
export type Probe = { kind: "dir" } | { kind: "missing" } | { kind: "symlink"; target: string } | { kind: "other"; what: string };

/** Most symlinks followed while resolving one path, as the kernel's ELOOP limit. */
export const MAX_SYMLINK_HOPS = 40;

/**
 * Normalizes an archive name to a path relative to the layer root ("" is the root).
 * @throws {PathSafetyError} corrupt when the name contains a NUL byte.
 * @example normalizeEntryPath("./usr//bin/../lib/") // "usr/lib"
 * @example normalizeEntryPath("/../../etc/passwd") // "etc/passwd"
 */
export function normalizeEntryPath(name: string): string {
  if (name.includes("\0")) throw new PathSafetyError("nul", `Archive entry name ${JSON.stringify(name)} contains a NUL byte`);
  // Fast path: already clean and relative (most names in real layers, once "./" is dropped).
  let s = name.startsWith("./") ? name.slice(2) : name;
  if (s !== "" && !s.startsWith("/") && !s.endsWith("/") && !s.includes("//") && !/(^|\/)\.\.?(\/|$)/.test(s)) return s;
  const out: string[] = [];
  for (const c of name.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") out.pop();
    else out.push(c);
  }
  return out.join("/");
}

/**
 * Normalizes a hardlink target (an archive name) to a path relative to the root.
 * @throws {PathSafetyError} corrupt when it climbs above the root or names the root.
 */
export function normalizeLinkTarget(linkname: string, entryName: string): string {
  if (linkname.includes("\0")) throw new PathSafetyError("nul", `Hardlink ${JSON.stringify(entryName)}: target ${JSON.stringify(linkname)} contains a NUL byte`);
  const out: string[] = [];
  for (const c of linkname.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (out.length === 0) {
        throw new PathSafetyError("outside", `Hardlink ${JSON.stringify(entryName)} -> ${JSON.stringify(linkname)} is refused: the target is outside the layer`);
      }
      out.pop();
    } else out.push(c);
  }
  if (out.length === 0) throw new PathSafetyError("layer-root", `Hardlink ${JSON.stringify(entryName)} -> ${JSON.stringify(linkname)} is refused: the target is the layer root`);
  return out.join("/");
}

/** Splits "a/b/c" into its parent "a/b" and base "c" (parent "" for top-level names). */
export function splitPath(rel: string): { dir: string; base: string } {
  const i = rel.lastIndexOf("/");
  return i < 0 ? { dir: "", base: rel } : { dir: rel.slice(0, i), base: rel.slice(i + 1) };
}

export interface ResolvedDir {
  /** The directory's real path relative to the root, symlinks followed. */
  path: string;
  /** Directories that do not exist yet, outermost first (relative paths). */
  missing: string[];
}

/**
 * Resolves a directory path inside the layer, following symlinks that stay inside.
 * @param root absolute path of the layer root (to recognise absolute symlinks into it)
 * @param dir the directory, relative and normalized
 * @param probe tells what a relative path is (never follows a final symlink)
 * @param entry the archive name, for error messages
 * @throws {PathSafetyError} corrupt when a symlink leads outside the layer, when
 *   there are too many symlinks, or when a component is not a directory.
 */
export function resolveDir(root: string, dir: string, probe: (rel: string) => Probe, entry: string): ResolvedDir {
  const queue = dir === "" ? [] : dir.split("/");
  const resolved: string[] = [];
  const missing: string[] = [];
  let hops = 0;
  let absent = false;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      // Names were normalized, so '..' only comes from a symlink target here.
      if (resolved.length === 0) throw outside(entry, dir);
      if (absent) {
        // The kernel would fail with ENOENT here: '..' of a directory that does not exist.
        throw new PathSafetyError("through-missing-dir", `Archive entry ${JSON.stringify(entry)}: a symlink on the way to ${JSON.stringify(dir)} goes through the missing directory ${JSON.stringify(resolved.join("/"))}`);
      }
      resolved.pop();
      continue;
    }
    resolved.push(c);
    const rel = resolved.join("/");
    if (absent) {
      missing.push(rel);
      continue;
    }
    const p = probe(rel);
    switch (p.kind) {
      case "dir":
        break;
      case "missing":
        absent = true;
        missing.push(rel);
        break;
      case "symlink": {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new PathSafetyError("too-many-symlinks", `Archive entry ${JSON.stringify(entry)}: more than ${MAX_SYMLINK_HOPS} symlinks on the way to ${JSON.stringify(dir)}`);
        }
        resolved.pop();
        let target = p.target;
        if (target.startsWith("/")) {
          // An absolute target is a host path: only one that points into this layer is inside.
          const rootSlash = root.endsWith("/") ? root : root + "/";
          if (target !== root && !target.startsWith(rootSlash)) throw outside(entry, dir, rel, p.target);
          resolved.length = 0;
          target = target.slice(rootSlash.length);
        }
        const parts = target.split("/");
        // Check the target lexically before walking it, so the message names the link.
        let depth = resolved.length;
        for (const t of parts) {
          if (t === "..") {
            if (depth === 0) throw outside(entry, dir, rel, p.target);
            depth--;
          } else if (t !== "" && t !== ".") depth++;
        }
        queue.unshift(...parts);
        break;
      }
      case "other":
        throw new PathSafetyError("not-a-directory", `Archive entry ${JSON.stringify(entry)}: ${JSON.stringify(rel)} is ${p.what}, not a directory`);
    }
  }
  return { path: resolved.join("/"), missing };
}

function outside(entry: string, dir: string, link?: string, target?: string): PathSafetyError {
  const via = link !== undefined ? `: ${JSON.stringify(link)} is a symlink to ${JSON.stringify(target)}, outside the layer` : "";
  return new PathSafetyError("outside", `Archive entry ${JSON.stringify(entry)} is refused: its directory ${JSON.stringify(dir)} leads outside the layer${via}`);
}
