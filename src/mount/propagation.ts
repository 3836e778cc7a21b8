/**
 * Like containers-storage, ovlayer makes the overlay home (R/overlay) a
 * private mount before mounting layers, so that layer mounts made here do not
 * propagate into other mount namespaces (and theirs not into ours). If the
 * home is not a mount point yet it is bind-mounted onto itself first; if some
 * layer is already mounted below it the bind is recursive, so that mount stays
 * visible. `overlay.skip_mount_home=true` turns all of this off. Verbs that
 * create layers do it too (prepareHome), as upstream does at store start.
 * Once the home is a mount root, statx and statmount (sys/statmount.ts) tell
 * its propagation in two syscalls; mountinfo is read only before that, or on
 * kernels older than 6.8.
 */
import { OvError, sysError } from "../errors.ts";
import { SysError } from "../sys/libc.ts";
import { MS } from "./mount-options.ts";
import { readMountinfo } from "./mountinfo.ts";
import { mountRootState, MS_SHARED, MS_SLAVE } from "../sys/statmount.ts";
import type { MountSys } from "./syscalls.ts";
import { mkdirAll } from "../store/files/mkdir-all.ts";

export type HomeAction = "none" | "bind+private" | "rbind+private" | "private";

/** Decides what to do with the home, from mountinfo (pure). */
export function planHome(home: string, entries: readonly { mountPoint: string; optional: string[] }[]): HomeAction {
  const own = entries.filter((e) => e.mountPoint === home);
  if (own.length) {
    const top = own[own.length - 1]!;
    return top.optional.some((o) => o.startsWith("shared:") || o.startsWith("master:")) ? "private" : "none";
  }
  const below = entries.some((e) => e.mountPoint.startsWith(home + "/"));
  return below ? "rbind+private" : "bind+private";
}

/** The action for `home` when statx/statmount can tell (it is a mount root, Linux 6.8+); null otherwise. Same answer as planHome. */
export function quickHomeAction(home: string): HomeAction | null {
  let st;
  try {
    st = mountRootState(home);
  } catch {
    return null; // e.g. a missing home: mountinfo decides, as before
  }
  if (!st?.mountRoot) return null; // not a mount root yet: whether mounts lie below it needs mountinfo
  return st.propagation! & (MS_SHARED | MS_SLAVE) ? "private" : "none";
}

export function makeHomePrivate(home: string, sys: MountSys): HomeAction {
  // Two syscalls when the home is already a mount root (every call after the first), instead of a mountinfo read.
  const action = quickHomeAction(home) ?? planHome(home, readMountinfo());
  if (action === "bind+private" || action === "rbind+private") {
    sys.mount(home, home, "none", MS.BIND | (action === "rbind+private" ? MS.REC : 0), "");
  }
  if (action !== "none") sys.mount("none", home, "none", MS.PRIVATE, "");
  return action;
}

/**
 * What verbs that create layers do first, as containers-storage does at every
 * store start: make the home private (creating it when missing). Without the
 * privilege to mount this is skipped, not an error: the bind only matters to
 * layer mounts, which need that privilege anyway and do it themselves.
 * @returns the action taken, or null when skipped for lack of privilege.
 */
export function prepareHome(home: string, skipMountHome: boolean, sys: MountSys): HomeAction | null {
  if (skipMountHome) return "none";
  mkdirAll(home, 0o700);
  try {
    return makeHomePrivate(home, sys);
  } catch (e) {
    if (e instanceof SysError && (e.code === "EPERM" || e.code === "EACCES")) return null;
    throw sysError(`Cannot make the overlay home ${home} a private mount`, e);
  }
}
