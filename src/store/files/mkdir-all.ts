/**
 * `mkdir -p` that reports the real error. Bun's recursive mkdirSync answers
 * EEXIST when the directory exists but the stat that should confirm it
 * fails (EIO, EACCES...): the user would read "mkdir: EEXIST" for a disk
 * error. Owns no store file; every recursive mkdir of ovlayer goes through it.
 */
import { mkdirSync, statSync } from "node:fs";
import { errCode } from "../../errors.ts";

/**
 * Makes `path` and its missing parents with `mode`. An existing directory is
 * fine; an existing non-directory throws ENOTDIR; a failed stat of an
 * existing path throws that stat's error (with its code and path).
 * @throws the Node fs error of the failing call
 * @example mkdirAll("/var/lib/containers/storage/overlay", 0o700)
 */
export function mkdirAll(path: string, mode: number): void {
  try {
    mkdirSync(path, { recursive: true, mode });
  } catch (e) {
    if (errCode(e) !== "EEXIST") throw e;
    if (statSync(path).isDirectory()) return;
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: "ENOTDIR", syscall: "mkdir", path });
  }
}
