/**
 * Removing stale temporary directories (temp-dirs.ts says which and why):
 * an instance whose `lock-<N>` nobody holds loses its `temp-dir-<N>`, after
 * everything mounted inside is detached, and then its lock file.
 */
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { OvError, errCode, sysError } from "../errors.ts";
import { LockFile } from "./files/lockfile.ts";
import { TEMP_DIR_PREFIX, TEMP_LOCK_PREFIX, type TempInstance } from "./temp-dirs.ts";
import { removeTree } from "./files/remove-tree.ts";

export interface Recovered {
  /** Removed temp dirs (absolute paths). */
  removed: string[];
  /** Instances skipped because their owner still holds the lock. */
  busy: string[];
}

/**
 * Removes the stale ones of `instances`. `unmountBelow` detaches what is
 * mounted inside a directory before it is removed. A lock held by someone
 * else (a running peer) leaves that instance alone.
 * @throws {OvError} naming the directory that could not be removed.
 */
export function recoverStaleTempDirs(instances: readonly TempInstance[], unmountBelow: (dir: string) => void): Recovered {
  const result: Recovered = { removed: [], busy: [] };
  for (const { root, id } of instances) {
    const dir = join(root, TEMP_DIR_PREFIX + id);
    const lock = new LockFile(join(root, TEMP_LOCK_PREFIX + id));
    if (!lock.tryLock("write")) {
      lock.unlock();
      result.busy.push(dir);
      continue;
    }
    try {
      unmountBelow(dir);
      removeTree(dir);
      unlinkSync(lock.path);
    } catch (e) {
      if (e instanceof OvError) throw e;
      if (errCode(e) !== "ENOENT") throw sysError(`Cannot remove the stale temporary directory ${dir}`, e);
    } finally {
      lock.unlock();
    }
    result.removed.push(dir);
  }
  return result;
}
