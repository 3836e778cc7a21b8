/**
 * What this kernel supports, found by trying (never by parsing uname): the
 * page size, whether overlay is registered, /proc, and the new mount API with
 * overlay's "lowerdir+" by path (Linux 6.8+) and by fd (Linux 6.13+).
 * Probing opens a filesystem context and never creates a superblock.
 */
import { existsSync, readFileSync } from "node:fs";
import { close, O, open, pageSize, SysError } from "../sys/libc.ts";
import { fsconfigFd, fsconfigString, fsopen } from "../sys/mount-api.ts";
import type { KernelSupport } from "./plan.ts";

export interface KernelProbe extends KernelSupport {
  overlay: boolean;
  /** lowerdir+ accepts file descriptors (FSCONFIG_SET_FD). */
  apiFd: boolean;
  /** Why the api is not available, when it is not. */
  apiReason?: string;
}

function tryApi(): { api: boolean; apiFd: boolean; reason?: string } {
  let fsfd: number;
  try {
    fsfd = fsopen("overlay");
  } catch (e) {
    return { api: false, apiFd: false, reason: e instanceof SysError ? `fsopen: ${e.code}` : String(e) };
  }
  try {
    try {
      fsconfigString(fsfd, "lowerdir+", "/");
    } catch (e) {
      return { api: false, apiFd: false, reason: `lowerdir+: ${e instanceof SysError ? e.code : String(e)}` };
    }
    const root = open("/", O.RDONLY | O.DIRECTORY);
    try {
      fsconfigFd(fsfd, "lowerdir+", root);
      return { api: true, apiFd: true };
    } catch {
      return { api: true, apiFd: false };
    } finally {
      close(root);
    }
  } finally {
    close(fsfd);
  }
}

export function probeKernel(): KernelProbe {
  const overlay = /\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"));
  const { api, apiFd, reason } = tryApi();
  const p: KernelProbe = { pageSize: pageSize(), overlay, api, apiFd, proc: existsSync("/proc/self/fd") };
  if (reason) p.apiReason = reason;
  return p;
}

/**
 * What the mount path assumes without probing: the api is tried first and a
 * kernel without it fails fast (ENOSYS/EINVAL) and falls back.
 */
export function assumedKernel(): KernelSupport {
  return { pageSize: pageSize(), api: true, proc: true };
}

/** SELinux is on when selinuxfs is mounted; only then does a mount label apply. */
export function selinuxEnabled(): boolean {
  return existsSync("/sys/fs/selinux/enforce");
}
