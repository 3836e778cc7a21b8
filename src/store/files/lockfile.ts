/**
 * Store lock files (layers.lock, mountpoints.lock): a whole-file fcntl lock,
 * write-locked to change the JSON next to it, read-locked to read it.
 *
 * We take OFD locks (F_OFD_SETLKW): they conflict with the classic POSIX
 * F_SETLKW locks containers-storage takes on the same file, and unlike those
 * they are not dropped when another fd of the same file is closed somewhere in
 * the process. While write-locked, a writer stores a fresh
 * 64-byte "last writer" token at offset 0 so that long-running peers (a podman
 * service) notice the change and reload: bytes 0-7 time in ns, 8-15 a
 * per-process counter, 16-19 the pid, 20-63 random (lockfile/lastwrite.go).
 */
import { dirname } from "node:path";
import { OvError, sysError } from "../../errors.ts";
import { close, fcntlPtr, open, O, pwrite, SysError } from "../../sys/libc.ts";
import { mkdirAll } from "./mkdir-all.ts";

const F_OFD_SETLK = 37;
const F_OFD_SETLKW = 38;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
export const LAST_WRITER_SIZE = 64;

let writerCounter = 0n;

/** A new last-writer token, laid out as upstream's lastwrite.go does. */
export function newLastWriterToken(nowNs: bigint = nowNanos(), pid: number = process.pid): Uint8Array {
  const buf = new Uint8Array(LAST_WRITER_SIZE);
  const dv = new DataView(buf.buffer);
  writerCounter += 1n;
  dv.setBigUint64(0, nowNs, true);
  dv.setBigUint64(8, writerCounter, true);
  dv.setUint32(16, pid >>> 0, true);
  crypto.getRandomValues(buf.subarray(20)); // Web Crypto: node:crypto costs ~2.5 ms to import
  return buf;
}

/** Wall-clock time in nanoseconds (microsecond resolution is all we can get). */
export function nowNanos(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

function flock(type: number): Uint8Array {
  // struct flock on x86_64/arm64: l_type i16 @0, l_whence i16 @2, l_start i64 @8, l_len i64 @16, l_pid i32 @24.
  const b = new Uint8Array(32);
  new DataView(b.buffer).setInt16(0, type, true);
  return b; // whence SEEK_SET, start 0, len 0 (whole file), pid 0 (required for OFD locks)
}

export type LockMode = "read" | "write";

export class LockFile {
  readonly path: string;
  private fd = -1;
  private mode: LockMode | null = null;

  /** A lock file of a read-only store: opened read-only, never created; only read locks. */
  readonly readOnly: boolean;

  constructor(path: string, opts: { readOnly?: boolean } = {}) {
    this.path = path;
    this.readOnly = opts.readOnly === true;
  }

  /**
   * Opens the lock file read-write (creating it and its directory), or, for a
   * read lock, read-only when it cannot be opened for writing (a read-only
   * store, a non-root reader of a root-owned store): F_RDLCK needs no write
   * access, as upstream's read-only lock files show.
   */
  private openFd(mode: LockMode): number {
    if (this.fd >= 0) return this.fd;
    if (this.readOnly) {
      if (mode === "write") throw new OvError("internal", `Write lock asked for on ${this.path}, the lock file of a read-only store`);
      try {
        this.fd = open(this.path, O.RDONLY, 0);
        return this.fd;
      } catch (e) {
        throw sysError(`Cannot open lock file ${this.path}`, e, { path: this.path });
      }
    }
    try {
      this.fd = open(this.path, O.RDWR | O.CREAT, 0o644);
    } catch (e) {
      const code = e instanceof SysError ? e.code : undefined;
      if (mode === "read" && (code === "EACCES" || code === "EPERM" || code === "EROFS")) {
        try {
          this.fd = open(this.path, O.RDONLY, 0);
          return this.fd;
        } catch {
          throw sysError(`Cannot open lock file ${this.path}`, e, { path: this.path });
        }
      }
      if (code !== "ENOENT") throw sysError(`Cannot open lock file ${this.path}`, e, { path: this.path });
      try {
        mkdirAll(dirname(this.path), 0o700);
        this.fd = open(this.path, O.RDWR | O.CREAT, 0o644);
      } catch (e2) {
        throw sysError(`Cannot create lock file ${this.path}`, e2, { path: this.path });
      }
    }
    return this.fd;
  }

  /** Blocks until the lock is held. */
  lock(mode: LockMode): void {
    if (this.mode) throw new OvError("internal", `Lock ${this.path} is already held (${this.mode})`);
    const fd = this.openFd(mode);
    for (;;) {
      try {
        fcntlPtr(fd, F_OFD_SETLKW, flock(mode === "write" ? F_WRLCK : F_RDLCK));
        break;
      } catch (e) {
        if (e instanceof SysError && e.code === "EINTR") continue;
        throw sysError(`Cannot lock ${this.path}`, e, { path: this.path });
      }
    }
    this.mode = mode;
  }

  /**
   * Takes the read lock when the lock file exists, without creating it (reads
   * never create files); returns false, holding nothing, when it does not.
   * One open instead of a stat and an open.
   */
  lockReadIfPresent(): boolean {
    if (this.mode) throw new OvError("internal", `Lock ${this.path} is already held (${this.mode})`);
    try {
      this.fd = open(this.path, this.readOnly ? O.RDONLY : O.RDWR, 0);
    } catch (e) {
      const code = e instanceof SysError ? e.code : undefined;
      if (code === "ENOENT") return false;
      if (this.readOnly || !(code === "EACCES" || code === "EPERM" || code === "EROFS")) throw sysError(`Cannot open lock file ${this.path}`, e, { path: this.path });
      try {
        this.fd = open(this.path, O.RDONLY, 0);
      } catch (e2) {
        if (e2 instanceof SysError && e2.code === "ENOENT") return false;
        throw sysError(`Cannot open lock file ${this.path}`, e2, { path: this.path });
      }
    }
    this.lock("read");
    return true;
  }

  /** Takes the lock if nobody holds a conflicting one; returns false otherwise. */
  tryLock(mode: LockMode): boolean {
    const fd = this.openFd(mode);
    try {
      fcntlPtr(fd, F_OFD_SETLK, flock(mode === "write" ? F_WRLCK : F_RDLCK));
    } catch (e) {
      if (e instanceof SysError && (e.code === "EAGAIN" || e.code === "EACCES")) return false;
      throw sysError(`Cannot lock ${this.path}`, e, { path: this.path });
    }
    this.mode = mode;
    return true;
  }

  /** Records a fresh last-writer token; only valid under the write lock. */
  recordWrite(): void {
    if (this.mode !== "write") throw new OvError("internal", `recordWrite on ${this.path} without the write lock`);
    pwrite(this.fd, newLastWriterToken(), 0);
  }

  unlock(): void {
    if (this.fd < 0) return;
    if (this.mode) {
      try {
        fcntlPtr(this.fd, F_OFD_SETLK, flock(F_UNLCK));
      } catch {
        // closing the fd below releases an OFD lock anyway
      }
    }
    this.mode = null;
    close(this.fd);
    this.fd = -1;
  }

  get held(): LockMode | null {
    return this.mode;
  }
}

/**
 * Runs `fn` under the read lock of `path`, or with no lock at all when that
 * lock file does not exist yet: reads never create files.
 */
export function withReadLockIfPresent<T>(path: string, fn: () => T, opts: { readOnly?: boolean } = {}): T {
  const lock = new LockFile(path, opts);
  if (!lock.lockReadIfPresent()) return fn();
  try {
    return fn();
  } finally {
    lock.unlock();
  }
}
