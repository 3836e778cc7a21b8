/**
 * openat2(2) and openat(2) through syscall(): no new dlopen'ed symbol.
 *
 * openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS (Linux 5.6+) resolves a
 * relative path under a directory fd without following any symlink; openat
 * with O_NOFOLLOW opens one component without following it. Both return the
 * fd or throw SysError (ENOSYS when the kernel lacks openat2).
 */
import { cstr, O, syscall } from "./libc.ts";

const isArm = process.arch === "arm64";
const NR = { openat2: 437, openat: isArm ? 56 : 257, mkdirat: isArm ? 34 : 258 } as const;

export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;

/** struct open_how { u64 flags; u64 mode; u64 resolve; }: one buffer, the calls are synchronous. */
const how = new BigUint64Array(3);
const howBytes = new Uint8Array(how.buffer);

/** openat2(dirfd, path, {flags | O_CLOEXEC, 0, resolve}). */
export function openat2(dirfd: number, path: string, flags: number, resolve: number): number {
  how[0] = BigInt(flags | O.CLOEXEC);
  how[1] = 0n;
  how[2] = BigInt(resolve);
  return syscall("openat2", NR.openat2, dirfd, cstr(path), howBytes, howBytes.length);
}

/** openat(dirfd, name, flags | O_CLOEXEC). */
export function openat(dirfd: number, name: string, flags: number): number {
  return syscall("openat", NR.openat, dirfd, cstr(name), flags | O.CLOEXEC, 0);
}

/** mkdirat(dirfd, name, mode): creates `name` in the directory `dirfd` (a final symlink is not followed). */
export function mkdirat(dirfd: number, name: string, mode: number): void {
  syscall("mkdirat", NR.mkdirat, dirfd, cstr(name), mode);
}
