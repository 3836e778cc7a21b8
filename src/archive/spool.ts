/**
 * A generated tarball spooled to an unlinked temporary file, then handed to
 * the importer as a file descriptor (TarballInput), as containers-storage
 * spools the tarball of applydiff-using-staging-dir. Memory stays at one
 * chunk; the disk holds the tarball until the descriptor is closed.
 */
import { closeSync, openSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sysError } from "../errors.ts";
import { writeTarball, type ChunkSource } from "./export/diff-output.ts";
import type { TarballInput } from "./layer-apply.ts";

/**
 * Writes `src` to a temp file (in $TMPDIR, else /tmp) and returns it opened
 * for reading from its start; the file has no name left.
 * @param what names the tarball in messages ("the tarball of DIR")
 */
export async function spoolTarball(src: ChunkSource, what: string): Promise<TarballInput> {
  const path = join(tmpdir(), `ovlayer-spool-${process.pid}-${Date.now()}.tar`);
  let wfd: number;
  let rfd: number;
  try {
    wfd = openSync(path, "wx", 0o600);
  } catch (e) {
    throw sysError(`Cannot create a temporary file for ${what}`, e);
  }
  try {
    rfd = openSync(path, "r");
  } finally {
    unlinkSync(path);
  }
  try {
    await writeTarball(src, "none", wfd, `temporary file for ${what}`);
  } catch (e) {
    closeSync(rfd);
    throw e;
  } finally {
    closeSync(wfd);
  }
  return {
    fd: rfd,
    source: what,
    close() {
      closeSync(rfd);
    },
  };
}
