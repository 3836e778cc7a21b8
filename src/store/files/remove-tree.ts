/**
 * `rm -rf` for store trees: a layer's directory, a container's, a data dir.
 * Owns no store file; every removal of a store tree goes through it.
 *
 * Not Bun's rmSync: it answers EFAULT when an unlink, rmdir or directory read
 * inside it fails with EIO, ENOSPC and the like (the user would read "rm:
 * EFAULT" for a disk error), and it re-opens every level from the top for
 * each directory, so a 3,000-level tree takes 45 s. Here: an explicit stack
 * (a tree's depth is input), each failing call throws its own errno and
 * path, and past 512 bytes of path below the last anchor the directory
 * entered is opened and what is below it named `/proc/self/fd/N/...`, so
 * every path stays short and any depth is linear.
 */
import { closeSync, constants, lstatSync, openSync, readdirSync, rmdirSync, unlinkSync, type Dirent } from "node:fs";
import { errCode, utf8Length } from "../../errors.ts";

const ANCHOR_AFTER = 512;

function ignoringMissing(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw e;
  }
}

function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw e;
  }
}

interface Frame {
  /** The path of this directory through its parent's frame (what rmdir gets). */
  self: string;
  /** The path its entries are named under (a /proc/self/fd path when anchored). */
  host: string;
  /** Bytes of `host` below its anchor. */
  bytes: number;
  entries?: Dirent[];
  anchor?: number;
}

function enter(self: string, bytes: number): Frame {
  if (bytes <= ANCHOR_AFTER) return { self, host: self, bytes };
  const anchor = openSync(self, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  return { self, host: `/proc/self/fd/${anchor}`, bytes: 0, anchor };
}

function leave(f: Frame): void {
  if (f.anchor === undefined) return;
  const fd = f.anchor;
  delete f.anchor;
  closeSync(fd);
}

/**
 * Removes a file or a tree; a missing one (or a missing entry in it) is fine.
 * @param recursive false: `path` must not be a non-empty directory
 * @throws the Node fs error of the call that failed, with its own errno and path
 * @example removeTree("/var/lib/containers/storage/overlay/<ID>")
 */
export function removeTree(path: string, recursive = true): void {
  const root = lstatSync(path, { throwIfNoEntry: false });
  if (!root) return;
  if (!root.isDirectory()) return ignoringMissing(() => unlinkSync(path));
  if (!recursive) return ignoringMissing(() => rmdirSync(path));
  const stack: Frame[] = [{ self: path, host: path, bytes: 0 }];
  try {
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      top.entries ??= entriesOf(top.host);
      const d = top.entries.pop();
      if (d === undefined) {
        stack.pop();
        leave(top);
        ignoringMissing(() => rmdirSync(top.self));
        continue;
      }
      const p = `${top.host}/${d.name}`;
      const bytes = top.bytes + utf8Length(d.name) + 1;
      if (d.isDirectory()) {
        stack.push(enter(p, bytes));
        continue;
      }
      try {
        unlinkSync(p);
      } catch (e) {
        const code = errCode(e);
        if (code === "ENOENT") continue;
        if (code !== "EISDIR" && code !== "EPERM") throw e;
        // A filesystem without d_type (DT_UNKNOWN): unlink of a directory says EISDIR (EPERM on some).
        if (!lstatSync(p).isDirectory()) throw e;
        stack.push(enter(p, bytes));
      }
    }
  } finally {
    for (const f of stack) leave(f);
  }
}
