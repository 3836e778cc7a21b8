/**
 * Atomic whole-file writes: a temp file in the same directory, fsync, rename
 * over the target, like ioutils.AtomicWriteFile upstream. Readers never see a
 * half-written file, and a crash leaves either the old or the new content.
 * Symlinks are replaced the same way (made under a temp name, renamed over).
 */
import { closeSync, fsyncSync, openSync, renameSync, symlinkSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { mkdirAll } from "./mkdir-all.ts";
import { errCode } from "../../errors.ts";

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip fsync (only for data that may be lost on a crash, such as run-root state). */
  noSync?: boolean;
}

/** A fresh temp name next to `path` (same directory, so the rename is atomic). */
function tempPath(path: string): string {
  // Web Crypto, not node:crypto: importing that costs ~2.5 ms of start-up (bench/README.md).
  const suffix = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/** Renames `tmp` over `path`; on failure removes `tmp` and rethrows. */
function renameOver(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
}

/** Writes all of `data` at the fd's offset (write(2) may take less than asked). */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

export function atomicWriteFile(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const tmp = tempPath(path);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", opts.mode ?? 0o600);
  } catch (e) {
    // The directory is made only when it is missing (2 syscalls saved on every save).
    if (errCode(e) !== "ENOENT") throw e;
    mkdirAll(dirname(path), 0o700);
    fd = openSync(tmp, "wx", opts.mode ?? 0o600);
  }
  try {
    writeAll(fd, data);
    if (!opts.noSync) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
  closeSync(fd);
  renameOver(tmp, path);
}

/**
 * Creates or replaces the symlink `path` -> `target` atomically: made under a
 * temp name, renamed over the old one. Missing parent directories are made
 * with `dirMode`.
 */
export function atomicSymlink(path: string, target: string, dirMode = 0o755): void {
  mkdirAll(dirname(path), dirMode);
  const tmp = tempPath(path);
  symlinkSync(target, tmp);
  renameOver(tmp, path);
}
