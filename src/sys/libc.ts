/**
 * The one place that talks to libc through bun:ffi.
 *
 * Every wrapper here reads errno in the statement right after the failing
 * call (other Bun calls may overwrite it) and throws a
 * {@link SysError} carrying the errno and its name. Callers turn that into an
 * OvError with the layer, path and strategy that matter.
 */
import { dlopen, ptr, read, type Pointer } from "bun:ffi";
import { errnoName } from "./errno.ts";

// bun:ffi compiles a trampoline per declared symbol when dlopen runs: the
// calls every store verb makes are bound at load, the ones only extraction,
// copies and status use (file metadata) on their first use.
const S = dlopen("libc.so.6", {
  __errno_location: { args: [], returns: "ptr" },
  open: { args: ["cstring", "i32", "u32"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64" },
  pwrite: { args: ["i32", "ptr", "u64", "i64"], returns: "i64" },
  mount: { args: ["cstring", "cstring", "cstring", "u64", "cstring"], returns: "i32" },
  umount2: { args: ["cstring", "i32"], returns: "i32" },
  fcntl: { args: ["i32", "i32", "ptr"], returns: "i32" },
  syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
  getpagesize: { args: [], returns: "i32" },
}).symbols;

function bindFileCalls() {
  return dlopen("libc.so.6", {
    chdir: { args: ["cstring"], returns: "i32" },
    fchdir: { args: ["i32"], returns: "i32" },
    mknodat: { args: ["i32", "cstring", "u32", "u64"], returns: "i32" },
    lchown: { args: ["cstring", "u32", "u32"], returns: "i32" },
    lsetxattr: { args: ["cstring", "cstring", "ptr", "u64", "i32"], returns: "i32" },
    lgetxattr: { args: ["cstring", "cstring", "ptr", "u64"], returns: "i64" },
    llistxattr: { args: ["cstring", "ptr", "u64"], returns: "i64" },
    utimensat: { args: ["i32", "cstring", "ptr", "i32"], returns: "i32" },
    futimens: { args: ["i32", "ptr"], returns: "i32" },
    fsetxattr: { args: ["i32", "cstring", "ptr", "u64", "i32"], returns: "i32" },
    statfs: { args: ["cstring", "ptr"], returns: "i32" },
  }).symbols;
}
let fileCalls: ReturnType<typeof bindFileCalls> | undefined;
/** The file-metadata calls, bound on first use (before the call, so errno is still read right after it). */
function F(): ReturnType<typeof bindFileCalls> {
  return (fileCalls ??= bindFileCalls());
}
const errnoPtr: Pointer = S.__errno_location() as Pointer;

/** The current errno; only meaningful right after a failing call. */
function errno(): number {
  return read.i32(errnoPtr, 0);
}

/** A failed libc call: the function, the errno and its symbolic name. */
export class SysError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly call: string;
  constructor(call: string, errnum: number, detail?: string) {
    const code = errnoName(errnum);
    super(`${call}${detail ? ` ${detail}` : ""}: ${code} (errno ${errnum})`);
    this.name = "SysError";
    this.errno = errnum;
    this.code = code;
    this.call = call;
  }
}

function check(call: string, rc: number, detail?: string): number {
  if (rc < 0) throw new SysError(call, errno(), detail);
  return rc;
}

function check64(call: string, rc: number | bigint, detail?: string): number {
  const n = Number(rc);
  if (n < 0) throw new SysError(call, errno(), detail);
  return n;
}

// x86_64 and aarch64 differ in a few open(2) flag values.
const isArm = process.arch === "arm64";
export const O = {
  RDONLY: 0,
  RDWR: 2,
  CREAT: 0o100,
  CLOEXEC: 0o2000000,
  DIRECTORY: isArm ? 0o40000 : 0o200000,
  NOFOLLOW: isArm ? 0o100000 : 0o400000,
  PATH: 0o10000000,
} as const;

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;

export function open(path: string, flags: number, mode = 0): number {
  return check("open", S.open(path, flags | O.CLOEXEC, mode), path);
}

export function close(fd: number): void {
  check("close", S.close(fd));
}

/** Reads up to `max` bytes; returns the bytes read (empty at EOF). */
export function readFd(fd: number, max: number): Uint8Array {
  const buf = new Uint8Array(max);
  const n = check64("read", S.read(fd, buf, max));
  return buf.subarray(0, n);
}

export function pwrite(fd: number, data: Uint8Array, offset: number): void {
  const n = check64("pwrite", S.pwrite(fd, data, data.length, offset));
  if (n !== data.length) throw new SysError("pwrite", 5 /* EIO */, `short write ${n}/${data.length}`);
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  check("mount", S.mount(source, target, fstype, flags, data), target);
}

export function umount2(target: string, flags: number): void {
  check("umount2", S.umount2(target, flags), target);
}

export function fcntlPtr(fd: number, cmd: number, arg: Uint8Array): number {
  return check("fcntl", S.fcntl(fd, cmd, arg));
}

/** Raw syscall(2): arguments are numbers, bigints or buffers (passed by address). */
export function syscall(name: string, nr: number, ...args: (number | bigint | Uint8Array | null)[]): number {
  const a: bigint[] = [];
  for (let i = 0; i < 5; i++) {
    const v = args[i];
    if (v == null) a.push(0n);
    else if (v instanceof Uint8Array) a.push(BigInt(ptr(v)));
    else a.push(BigInt(v));
  }
  const rc = S.syscall(BigInt(nr), a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
  return check64(name, rc);
}

/** A NUL-terminated copy of a string, for syscall() arguments. */
export function cstr(s: string): Uint8Array {
  return Buffer.from(s + "\0", "utf8");
}

export function chdir(path: string): void {
  check("chdir", F().chdir(path), path);
}

export function fchdir(fd: number): void {
  check("fchdir", F().fchdir(fd));
}

export function mknodat(dirfd: number, path: string, mode: number, dev: bigint): void {
  check("mknodat", F().mknodat(dirfd, path, mode, dev), path);
}

/** makedev(3) as glibc encodes it. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function lchown(path: string, uid: number, gid: number): void {
  check("lchown", F().lchown(path, uid, gid), path);
}

export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  // A zero-length value still needs a valid pointer.
  const v = value.length ? value : new Uint8Array(1);
  check("lsetxattr", F().lsetxattr(path, name, v, value.length, 0), `${path} ${name}`);
}

/** Returns the value, or null when the attribute is absent (ENODATA). */
export function lgetxattr(path: string, name: string): Uint8Array | null {
  let size = 256;
  for (;;) {
    const buf = new Uint8Array(size);
    const n = Number(F().lgetxattr(path, name, buf, size));
    if (n >= 0) return buf.slice(0, n);
    const e = errno();
    if (e === 61 /* ENODATA */ || e === 95 /* ENOTSUP */) return null;
    if (e !== 34 /* ERANGE */) throw new SysError("lgetxattr", e, `${path} ${name}`);
    size *= 4;
  }
}

/** Names of every extended attribute of `path` (not following symlinks). */
export function llistxattr(path: string): string[] {
  let size = 1024;
  for (;;) {
    const buf = new Uint8Array(size);
    const n = Number(F().llistxattr(path, buf, size));
    if (n >= 0) {
      if (n === 0) return [];
      return Buffer.from(buf.subarray(0, n - 1)).toString("utf8").split("\0");
    }
    const e = errno();
    if (e === 95 /* ENOTSUP */) return [];
    if (e !== 34 /* ERANGE */) throw new SysError("llistxattr", e, path);
    size *= 4;
  }
}

/**
 * Sets atime and mtime with nanosecond precision, not following a final
 * symlink (utimensat(2) with AT_SYMLINK_NOFOLLOW).
 */
export function lutimens(path: string, atimeNs: bigint, mtimeNs: bigint): void {
  fillTimespecs(atimeNs, mtimeNs);
  check("utimensat", F().utimensat(AT_FDCWD, path, timesBytes, AT_SYMLINK_NOFOLLOW), path);
}

/** Fills the shared timespec pair; tv_nsec must be in [0, 1e9), so seconds round down before 1970. */
function fillTimespecs(atimeNs: bigint, mtimeNs: bigint): void {
  const split = (ns: bigint, i: number): void => {
    const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
    timesBuf[i] = (ns - frac) / 1_000_000_000n;
    timesBuf[i + 1] = frac;
  };
  split(atimeNs, 0);
  split(mtimeNs, 2);
}

/** Sets atime and mtime of an open file with nanosecond precision (futimens(2)). */
export function futimens(fd: number, atimeNs: bigint, mtimeNs: bigint): void {
  fillTimespecs(atimeNs, mtimeNs);
  check("futimens", F().futimens(fd, timesBytes));
}
/** Timestamps are set once per extracted file: one buffer for all calls (the calls are synchronous). */
const timesBuf = new BigInt64Array(4);
const timesBytes = new Uint8Array(timesBuf.buffer);

/** Sets an extended attribute on an open file (fsetxattr(2)); binary values are kept as they are. */
export function fsetxattr(fd: number, name: string, value: Uint8Array): void {
  const v = value.length ? value : new Uint8Array(1);
  check("fsetxattr", F().fsetxattr(fd, name, v, value.length, 0), name);
}

/** statfs(2) f_type: the filesystem magic number of `path`. */
export function statfsType(path: string): number {
  const buf = new BigInt64Array(16); // struct statfs is 120 bytes on 64-bit
  check("statfs", F().statfs(path, new Uint8Array(buf.buffer)), path);
  return Number(buf[0]! & 0xffffffffn);
}

export function pageSize(): number {
  return S.getpagesize();
}
