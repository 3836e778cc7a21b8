/**
 * Writes to standard output and standard error, and what a failed write
 * means. A reader that went away (EPIPE: `| head -c0`) ends the run quietly
 * with 141, the code a shell shows for a tool killed by SIGPIPE (what GNU
 * coreutils give). Any other failure (ENOSPC on `> /dev/full`, EBADF, EIO)
 * ends it with one line on stderr (when stderr still works) and exit code 74
 * (EX_IOERR), never with a stack.
 */
import { writeSync } from "node:fs";
import { errCode } from "../errors.ts";

/** Exit code when a reader closed the pipe: 128 + SIGPIPE. */
export const EXIT_PIPE = 141;
/** Exit code for any other failed write to stdout or stderr (sysexits' EX_IOERR). */
export const EXIT_IO = 74;

const NAMES = { 1: "standard output", 2: "standard error" } as const;

/** A write to fd 1 or 2 failed: the run must end, with `exitCode`. */
export class StdioError extends Error {
  readonly fd: 1 | 2;
  readonly code: string;
  readonly exitCode: number;
  constructor(fd: 1 | 2, cause: unknown) {
    const code = errCode(cause) ?? "EIO";
    const what = cause instanceof Error ? cause.message.replace(/^[A-Z0-9]+: /, "").replace(/, write$/, "") : "";
    super(`write error on ${NAMES[fd]}: ${what && what !== code ? `${what} (${code})` : code}`, { cause });
    this.name = "StdioError";
    this.fd = fd;
    this.code = code;
    this.exitCode = code === "EPIPE" ? EXIT_PIPE : EXIT_IO;
  }
}

/**
 * Writes `b` to fd 1 or 2 from `off` on; returns where it stopped: the end, or
 * earlier when a non-blocking pipe is full (EAGAIN).
 * @throws {StdioError} when the write fails.
 */
function writeFrom(fd: 1 | 2, b: Uint8Array, off: number): number {
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      const code = errCode(e);
      if (code === "EINTR") continue;
      if (code === "EAGAIN") return off;
      throw new StdioError(fd, e);
    }
  }
  return off;
}

const bytes = (data: string | Uint8Array): Uint8Array => (typeof data === "string" ? Buffer.from(data, "utf8") : data);

/**
 * Writes all of `data` to fd 1 or 2 with write(2): `Bun.write` to Bun.stdout
 * waits a turn of the event loop (~0.3 ms a call here, once per batch line).
 * A full non-blocking pipe is waited out 1 ms at a time.
 * @throws {StdioError} when the write fails.
 */
export async function writeStd(fd: 1 | 2, data: string | Uint8Array): Promise<void> {
  const b = bytes(data);
  for (let off = writeFrom(fd, b, 0); off < b.length; off = writeFrom(fd, b, off)) await Bun.sleep(1);
}

/** The synchronous form, for stderr lines written as they happen. @throws {StdioError} */
export function writeStdSync(fd: 1 | 2, data: string | Uint8Array): void {
  const b = bytes(data);
  for (let off = writeFrom(fd, b, 0); off < b.length; off = writeFrom(fd, b, off)) Bun.sleepSync(1);
}

/** Reports a failed write (one line on stderr unless the pipe closed or stderr itself failed); returns the exit code. */
export function reportStdioError(e: StdioError): number {
  if (e.fd === 1 && e.code !== "EPIPE") {
    try {
      writeSync(2, `ovlayer: ${e.message}\n`);
    } catch {}
  }
  return e.exitCode;
}
