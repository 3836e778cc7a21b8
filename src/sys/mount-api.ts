/**
 * The new mount API (fsopen(2), fsconfig(2), fsmount(2), move_mount(2)),
 * through syscall(2): glibc 2.36 has no wrappers we can rely on. The numbers
 * are the same on x86_64 and arm64 (they come from the unified table).
 */
import { AT_FDCWD, cstr, readFd, SysError, syscall } from "./libc.ts";
import { clip } from "../quote.ts"; // a mount option from the command line may be any length: messages show 200 characters

const NR = { open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432 } as const;

export const FSOPEN_CLOEXEC = 0x1;
export const FSMOUNT_CLOEXEC = 0x1;
export const FSCONFIG = {
  SET_FLAG: 0,
  SET_STRING: 1,
  SET_BINARY: 2,
  SET_PATH: 3,
  SET_PATH_EMPTY: 4,
  SET_FD: 5,
  CMD_CREATE: 6,
} as const;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
export const MOVE_MOUNT_T_EMPTY_PATH = 0x40;

/** fsopen(2): a filesystem context for `fsname`. */
export function fsopen(fsname: string): number {
  return syscall("fsopen", NR.fsopen, cstr(fsname), FSOPEN_CLOEXEC);
}

export function fsconfigFlag(fsfd: number, key: string): void {
  syscall(`fsconfig ${clip(key)}`, NR.fsconfig, fsfd, FSCONFIG.SET_FLAG, cstr(key), null, 0);
}

export function fsconfigString(fsfd: number, key: string, value: string): void {
  syscall(`fsconfig ${clip(key)}=${clip(value)}`, NR.fsconfig, fsfd, FSCONFIG.SET_STRING, cstr(key), cstr(value), 0);
}

export function fsconfigFd(fsfd: number, key: string, fd: number): void {
  syscall(`fsconfig ${clip(key)} fd ${fd}`, NR.fsconfig, fsfd, FSCONFIG.SET_FD, cstr(key), null, fd);
}

export function fsconfigCreate(fsfd: number): void {
  syscall("fsconfig create", NR.fsconfig, fsfd, FSCONFIG.CMD_CREATE, null, null, 0);
}

/** fsmount(2): a detached mount of the created superblock; returns its fd. */
export function fsmount(fsfd: number, attrFlags: number): number {
  return syscall("fsmount", NR.fsmount, fsfd, FSMOUNT_CLOEXEC, attrFlags);
}

/** move_mount(2) of a detached mount fd onto `target`. */
export function moveMountTo(mountFd: number, target: string): void {
  syscall(`move_mount ${target}`, NR.move_mount, mountFd, cstr(""), AT_FDCWD, cstr(target), MOVE_MOUNT_F_EMPTY_PATH);
}

/** move_mount(2) of a detached mount fd onto the directory open as `targetFd` (nothing resolved by path). */
export function moveMountToFd(mountFd: number, targetFd: number): void {
  syscall(`move_mount fd ${targetFd}`, NR.move_mount, mountFd, cstr(""), targetFd, cstr(""), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/**
 * The messages the kernel left in a filesystem context ("e overlay: ..."),
 * read until it has no more (ENODATA).
 */
export function fsMessages(fsfd: number): string[] {
  const msgs: string[] = [];
  for (let i = 0; i < 32; i++) {
    let b: Uint8Array;
    try {
      b = readFd(fsfd, 1024);
    } catch (e) {
      if (e instanceof SysError) break; // ENODATA: no more messages
      throw e;
    }
    if (b.length === 0) break;
    msgs.push(Buffer.from(b).toString("utf8").trim());
  }
  return msgs;
}
