/**
 * Opening store directories without following anything out of the store.
 *
 * Owns no files. Every directory ovlayer mounts, writes into, deletes or
 * repairs is reached from an fd of the graph root, one component at a time,
 * with no symlink followed: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
 * where the kernel has it (5.6+), else an openat(O_NOFOLLOW | O_DIRECTORY)
 * walk. The graph root itself is the user's choice and may be reached through
 * a symlink; nothing below it may. A symlink (or a file) where the store keeps
 * a directory is a "corrupt" error naming the path.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { OvError, errCode, sysError } from "../../errors.ts";
import { close, O, open, SysError } from "../../sys/libc.ts";
import { openat, openat2, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS } from "../../sys/openat.ts";

/**
 * The components of `rel` (a path relative to the graph root), refusing
 * anything that could climb out: empty, absolute, "." and ".." components.
 * Pure.
 */
export function storeComponents(rel: string): string[] {
  const parts = rel.split("/").filter((p) => p !== "");
  if (rel.startsWith("/") || parts.length === 0 || parts.some((p) => p === "." || p === "..")) {
    throw new OvError("internal", `Store path ${JSON.stringify(rel)} is not a plain relative path`);
  }
  return parts;
}

/** The path of `abs` relative to `root` when it lies below it, else null. Pure. */
export function relativeToRoot(root: string, abs: string): string | null {
  const rel = relative(root, abs);
  return rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel) ? null : rel;
}

let openat2Missing = process.env.OVLAYER_TEST_NO_OPENAT2 === "1";

/** Whether the openat2 path is used (false after an ENOSYS, or when a test forces the walk). */
export function usesOpenat2(): boolean {
  return !openat2Missing;
}

/** What lstat says of one store path: a real directory, missing, or a description of what else it is. */
function pathKind(p: string): "dir" | "missing" | { what: string } {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return "missing";
  }
  if (st.isSymbolicLink()) {
    let to = "?";
    try {
      to = readlinkSync(p);
    } catch {}
    return { what: `a symlink (to ${to})` };
  }
  return st.isDirectory() ? "dir" : { what: "not a directory" };
}

/** The first component of `rel` below `root` that is not a real directory, with what it is; null if all are (or one is missing). */
export function firstNonDir(root: string, rel: string): { path: string; what: string } | null {
  return checkStoreDirs(root, [join(root, rel)]).bad;
}

/**
 * firstNonDir for several dirs below `root` at once, each component lstat'ed
 * only once (R/overlay is shared by R/overlay and R/overlay/l). Also says
 * which of them do not exist yet (a missing component and all below it).
 * Dirs not below `root` are neither checked nor listed.
 */
export function checkStoreDirs(root: string, dirs: readonly string[]): { bad: { path: string; what: string } | null; missing: string[] } {
  const seen = new Map<string, "dir" | "missing">();
  const missing: string[] = [];
  for (const abs of dirs) {
    const rel = relativeToRoot(root, abs);
    if (rel === null) continue;
    let p = root;
    for (const c of storeComponents(rel)) {
      p = join(p, c);
      let kind = seen.get(p);
      if (kind === undefined) {
        const k = pathKind(p);
        if (typeof k === "object") return { bad: { path: p, what: k.what }, missing };
        seen.set(p, (kind = k));
      }
      if (kind === "missing") {
        missing.push(abs);
        break;
      }
    }
  }
  return { bad: null, missing };
}

/** The corrupt error for a symlink or file where the store keeps a directory. */
export function notADirError(action: string, path: string, what: string): OvError {
  return new OvError("corrupt", `Cannot ${action}: ${path} is ${what}, where the store keeps a directory (nothing is followed out of the store)`, {
    hint: "`ovlayer check` lists it; put the real directory back (or remove the layer)",
  });
}

/** The fallback where openat2 is missing: one openat(O_NOFOLLOW | O_DIRECTORY) per component. */
export function walkBeneath(rootFd: number, parts: readonly string[], flags: number): number {
  let fd = rootFd;
  try {
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const next = openat(fd, parts[i]!, (last ? flags : O.PATH) | O.NOFOLLOW | O.DIRECTORY);
      if (fd !== rootFd) close(fd);
      fd = next;
    }
    return fd;
  } catch (e) {
    if (fd !== rootFd) close(fd);
    throw e;
  }
}

/**
 * Opens directory `rel` beneath `rootFd` (whose path is `root`, for messages)
 * without following a symlink anywhere. Returns the fd (close-on-exec).
 * @throws {OvError} corrupt naming the path when a component is a symlink or a file; not-found, sys otherwise.
 */
export function openBeneath(rootFd: number, root: string, rel: string, action: string, flags: number = O.RDONLY): number {
  const parts = storeComponents(rel);
  try {
    if (!openat2Missing) {
      try {
        return openat2(rootFd, parts.join("/"), flags | O.DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
      } catch (e) {
        if (!(e instanceof SysError && e.code === "ENOSYS")) throw e;
        openat2Missing = true;
      }
    }
    return walkBeneath(rootFd, parts, flags);
  } catch (e) {
    const code = errCode(e);
    if (code === "ELOOP" || code === "ENOTDIR" || code === "EXDEV") {
      const bad = firstNonDir(root, rel);
      if (bad) throw notADirError(action, bad.path, bad.what);
    }
    if (code === "ENOENT") throw new OvError("not-found", `Cannot ${action}: ${join(root, rel)} does not exist`, { cause: e });
    throw sysError(`Cannot ${action}: cannot open ${join(root, rel)}`, e);
  }
}

/**
 * An fd of the graph root, and the store dirs opened beneath it; close() closes them all.
 * With other stores configured (a split image store, read-only additional
 * stores: store-set.ts), a dir below one of their roots is opened beneath that
 * root, the same way; a dir below none of the configured roots is refused.
 */
export class StoreRoot {
  readonly root: string;
  readonly fd: number;
  private readonly opened: number[] = [];
  /** The other stores' roots, with their fds once opened. */
  private readonly others: Map<string, number>;

  private constructor(root: string, fd: number, others: readonly string[]) {
    this.root = root;
    this.fd = fd;
    this.others = new Map(others.filter((o) => o !== root).map((o) => [o, -1]));
  }

  /** Opens the graph root (following a symlink to it: that is the user's choice); `others` are opened when first needed. */
  static open(root: string, action: string, others: readonly string[] = []): StoreRoot {
    return new StoreRoot(root, openRoot(root, action), others);
  }

  /** The configured root `abs` lies below (the longest), with its fd, or null. */
  private rootOf(abs: string, action: string): { root: string; fd: number; rel: string } | null {
    let best: { root: string; rel: string } | null = null;
    for (const r of [this.root, ...this.others.keys()]) {
      const rel = relativeToRoot(r, abs);
      if (rel !== null && (!best || r.length > best.root.length)) best = { root: r, rel };
    }
    if (!best) return null;
    if (best.root === this.root) return { ...best, fd: this.fd };
    let fd = this.others.get(best.root)!;
    if (fd < 0) this.others.set(best.root, (fd = openRoot(best.root, action)));
    return { ...best, fd };
  }

  /** Opens `abs` (a path below the root, or below another configured store's) beneath that root's fd; the fd is closed by close(). */
  dir(abs: string, action: string, flags: number = O.RDONLY): number {
    const at = this.rootOf(abs, action);
    if (at === null) throw new OvError("corrupt", `Cannot ${action}: ${abs} is not below the graph root ${this.root} or another configured store`);
    const fd = openBeneath(at.fd, at.root, at.rel, action, flags);
    this.opened.push(fd);
    return fd;
  }

  /** Checks that `abs` is a real directory beneath the root (nothing followed), without keeping an fd. */
  verify(abs: string, action: string): void {
    const fd = this.dir(abs, action, O.PATH);
    this.opened.pop();
    close(fd);
  }

  close(): void {
    const others = [...this.others.values()].filter((fd) => fd >= 0);
    for (const k of this.others.keys()) this.others.set(k, -1);
    for (const fd of [this.opened.splice(0), this.fd, others].flat()) {
      try {
        close(fd);
      } catch {}
    }
  }
}

function openRoot(root: string, action: string): number {
  try {
    return open(root, O.RDONLY | O.DIRECTORY);
  } catch (e) {
    throw sysError(`Cannot ${action}: cannot open the store root ${root}`, e);
  }
}

/** Runs `fn` with the graph root open; everything opened through it is closed afterwards. */
export function withStoreRoot<T>(root: string, action: string, fn: (r: StoreRoot) => T): T {
  const r = StoreRoot.open(root, action);
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

/** Refuses a store whose R/overlay (or `abs` below the root) is a symlink or a file; a missing one is fine. */
export function refuseSymlinkedDir(root: string, abs: string, action: string): void {
  const { bad } = checkStoreDirs(root, [abs]);
  if (bad) throw notADirError(action, bad.path, bad.what);
}
