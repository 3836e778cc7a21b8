/**
 * The syscalls mounting uses, behind one small interface so tests can record
 * them (that every fd is closed, the cwd restored, nothing left mounted).
 * `realSys` is the only implementation that touches the kernel.
 */
import { close, chdir, fchdir, mount, O, open, umount2 } from "../sys/libc.ts";
import {
  fsconfigCreate,
  fsconfigFd,
  fsconfigFlag,
  fsconfigString,
  fsMessages,
  fsmount,
  fsopen,
  moveMountTo,
  moveMountToFd,
} from "../sys/mount-api.ts";

export interface MountSys {
  /** Opens a directory (read-only, close-on-exec); returns the fd. */
  openDir(path: string): number;
  close(fd: number): void;
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  chdir(path: string): void;
  fchdir(fd: number): void;
  fsopen(fsname: string): number;
  fsconfigFlag(fsfd: number, key: string): void;
  fsconfigString(fsfd: number, key: string, value: string): void;
  fsconfigFd(fsfd: number, key: string, fd: number): void;
  fsconfigCreate(fsfd: number): void;
  fsmount(fsfd: number, attrs: number): number;
  moveMount(mountFd: number, target: string): void;
  /** move_mount(2) onto the directory open as `targetFd`. */
  moveMountFd(mountFd: number, targetFd: number): void;
  fsMessages(fsfd: number): string[];
}

export const realSys: MountSys = {
  openDir: (path) => open(path, O.RDONLY | O.DIRECTORY),
  close,
  mount: (source, target, fstype, flags, data) => mount(source, target, fstype, flags, data),
  umount2,
  chdir,
  fchdir,
  fsopen,
  fsconfigFlag,
  fsconfigString,
  fsconfigFd,
  fsconfigCreate,
  fsmount,
  moveMount: moveMountTo,
  moveMountFd: moveMountToFd,
  fsMessages,
};

export const MNT_DETACH = 2;
/** umount2(2): do not follow a final symlink of the target. */
export const UMOUNT_NOFOLLOW = 8;
