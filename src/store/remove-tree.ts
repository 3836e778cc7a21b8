/**
 * `rm -rf` that reports the real error. Bun's rmSync answers EFAULT when an
 * unlink, rmdir or directory read inside it fails with EIO, ENOSPC and the
 * like: the user would read "rm: EFAULT" for a disk error. Then the removal
 * is redone one call at a time (an explicit stack, no recursion: a tree's
 * depth is input), so the failing call throws its own errno and path.
 * Owns no store file; every removal of a store tree goes through it.
 */
import { lstatSync, readdirSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import { errCode } from "../errors.ts";

function ignoringMissing(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw e;
  }
}

function namesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw e;
  }
}

/** Removes `path` entry by entry, deepest first; a missing entry is fine. */
export function removeStepwise(path: string): void {
  const root = lstatSync(path, { throwIfNoEntry: false });
  if (!root) return;
  if (!root.isDirectory()) return ignoringMissing(() => unlinkSync(path));
  const stack: { dir: string; names?: string[] }[] = [{ dir: path }];
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    top.names ??= namesOf(top.dir);
    const name = top.names.pop();
    if (name === undefined) {
      stack.pop();
      ignoringMissing(() => rmdirSync(top.dir));
      continue;
    }
    const p = `${top.dir}/${name}`;
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) stack.push({ dir: p });
    else ignoringMissing(() => unlinkSync(p));
  }
}

/**
 * Removes a file or a tree, as `rmSync(path, { recursive, force: true })`.
 * @throws the Node fs error of the call that failed, with its own errno
 * @example removeTree("/var/lib/containers/storage/overlay/<ID>")
 */
export function removeTree(path: string, recursive = true): void {
  try {
    rmSync(path, { recursive, force: true });
  } catch (e) {
    if (errCode(e) !== "EFAULT") throw e;
    removeStepwise(path);
  }
}
