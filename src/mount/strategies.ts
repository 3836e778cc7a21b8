/**
 * Performs a mount plan with one of the three strategies, in ovlayer's own
 * process (no fork, no re-exec). Each strategy either mounts, or fails having
 * closed every fd it opened and put the cwd back; the caller then tries the
 * next strategy when the failure is one that strategy avoids.
 */
import { OvError, errnoHint, errnoKind, errnoText } from "../errors.ts";
import { SysError } from "../sys/libc.ts";
import { fdData, formatData, type MountPlan, type Strategy } from "./plan.ts";
import { mountAttrs, splitOption, superblockFlagNames } from "./mount-options.ts";
import type { MountSys } from "./syscalls.ts";
import { clip } from "../quote.ts";

/**
 * The dirs of a plan already opened beneath the graph root (store/files/safe-open.ts):
 * the strategies hand these fds to the kernel instead of opening the paths.
 * They belong to the caller, which closes them.
 */
export interface OpenedDirs {
  fdOf(path: string): number | undefined;
  /** An fd of the merged dir: the mount goes onto it (move_mount to the fd, or /proc/self/fd/N). */
  mergedFd?: number;
}

const NONE: OpenedDirs = { fdOf: () => undefined };

export interface Applied {
  strategy: Strategy;
  /** Bytes of mount(2) data (0 for the api strategy, which has none). */
  dataLength: number;
  /** Strategies tried before, with why they failed. */
  fellBack: string[];
}

/** A strategy's failure, with what the kernel said and whether another strategy may work. */
export class StrategyError extends Error {
  readonly strategy: Strategy;
  readonly errno: string;
  readonly fallback: boolean;
  readonly kernel: string[];
  constructor(strategy: Strategy, cause: unknown, fallback: boolean, kernel: string[] = [], stage?: string) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const where = stage ? ` (while setting ${clip(stage)})` : "";
    super(`${strategy}: ${msg}${where}${kernel.length ? ` (kernel: ${kernel.join("; ")})` : ""}`, { cause });
    this.strategy = strategy;
    this.errno = cause instanceof SysError ? cause.code : "";
    this.fallback = fallback;
    this.kernel = kernel;
  }
}

function closeAll(sys: MountSys, fds: number[]): void {
  for (const fd of fds.splice(0)) {
    try {
      sys.close(fd);
    } catch {
      // nothing more can be done with a bad fd
    }
  }
}

/**
 * The direct strategy's data and target. With dirs opened beneath the graph
 * root, each is named `/proc/self/fd/N` (the very dir that was checked: a
 * dir swapped for a symlink since cannot redirect the mount) when that data
 * fits in the page; else the paths, as containers-storage passes them.
 */
export function directByFd(plan: MountPlan, pageSize: number, dirs: OpenedDirs): { target: string; data: string } {
  const byFd = (p: string): string | undefined => {
    const fd = dirs.fdOf(p);
    return fd === undefined ? undefined : `/proc/self/fd/${fd}`;
  };
  const all = [...plan.lowerdirs, ...(plan.upperdir ? [plan.upperdir, plan.workdir!] : [])];
  const named = all.map(byFd);
  if (dirs.mergedFd === undefined || named.some((n) => n === undefined)) return { target: plan.req.merged, data: plan.directData };
  const n = plan.lowerdirs.length;
  const data = formatData(named.slice(0, n) as string[], plan.upperdir ? named[n] : undefined, plan.upperdir ? named[n + 1] : undefined, plan.extra);
  if (Buffer.byteLength(data) >= pageSize) return { target: plan.req.merged, data: plan.directData };
  return { target: `/proc/self/fd/${dirs.mergedFd}`, data };
}

function runDirect(plan: MountPlan, sys: MountSys, pageSize: number, dirs: OpenedDirs): number {
  const { target, data } = directByFd(plan, pageSize, dirs);
  try {
    sys.mount("overlay", target, "overlay", plan.flags, data);
  } catch (e) {
    // Named by the merged path, not by the /proc/self/fd/N it was reached through.
    throw new StrategyError("direct", e instanceof SysError ? new SysError("mount", e.errno, plan.req.merged) : e, false);
  }
  return Buffer.byteLength(data);
}

/**
 * Names every dir by fd number (the fds opened beneath the graph root when
 * given, else opened here) and mounts with the cwd at /proc/self/fd (the
 * kernel resolves relative lowerdir paths against the cwd of the calling
 * process). The cwd is process-wide: it is put back before this returns,
 * whatever happens.
 */
function runFd(plan: MountPlan, sys: MountSys, pageSize: number, dirs: OpenedDirs): number {
  const fds: number[] = [];
  try {
    let cwd: number;
    try {
      cwd = sys.openDir(".");
    } catch (e) {
      throw new StrategyError("fd", e, true);
    }
    fds.push(cwd);
    const lowerFds: number[] = [];
    let upperFd: number | undefined;
    let workFd: number | undefined;
    try {
      const openOne = (path: string): number => {
        const given = dirs.fdOf(path);
        if (given !== undefined) return given;
        const fd = sys.openDir(path);
        fds.push(fd);
        return fd;
      };
      for (const l of plan.lowerdirs) lowerFds.push(openOne(l));
      if (plan.upperdir !== undefined) {
        upperFd = openOne(plan.upperdir);
        workFd = openOne(plan.workdir!);
      }
    } catch (e) {
      // EMFILE is avoided by the api strategy with paths; a missing dir is not.
      throw new StrategyError("fd", e, e instanceof SysError && (e.code === "EMFILE" || e.code === "ENFILE"));
    }
    const data = fdData(lowerFds, upperFd, workFd, plan.extra);
    const len = Buffer.byteLength(data);
    if (len >= pageSize) {
      throw new StrategyError("fd", new Error(`mount data is ${len} bytes even with fd numbers, the page size is ${pageSize}`), true);
    }
    try {
      sys.chdir("/proc/self/fd");
    } catch (e) {
      throw new StrategyError("fd", e, true); // no /proc: the api strategy does not need it
    }
    try {
      // The target by its fd too: the kernel follows /proc/self/fd/N to the very dir that was checked.
      const target = dirs.mergedFd !== undefined ? `/proc/self/fd/${dirs.mergedFd}` : plan.req.merged;
      sys.mount("overlay", target, "overlay", plan.flags, data);
    } catch (e) {
      // Named by the merged path, not by the /proc/self/fd/N it was reached through.
      throw new StrategyError("fd", e instanceof SysError ? new SysError("mount", e.errno, plan.req.merged) : e, false);
    } finally {
      sys.fchdir(cwd);
    }
    return len;
  } finally {
    closeAll(sys, fds);
  }
}

/** Errors meaning "this kernel has no usable mount API", where mount(2) may still work. */
function apiMissing(e: unknown): boolean {
  return e instanceof SysError && (e.code === "ENOSYS" || e.code === "EOPNOTSUPP");
}

function runApi(plan: MountPlan, sys: MountSys, dirs: OpenedDirs): number {
  let fsfd: number;
  try {
    fsfd = sys.fsopen("overlay");
  } catch (e) {
    throw new StrategyError("api", e, apiMissing(e));
  }
  const fds: number[] = [fsfd];
  let stage = "lowerdir+";
  try {
    let byFd = true;
    const setDir = (key: string, path: string, first: boolean) => {
      if (byFd) {
        let fd = dirs.fdOf(path);
        if (fd === undefined) {
          fd = sys.openDir(path);
          fds.push(fd);
        }
        try {
          sys.fsconfigFd(fsfd, key, fd);
          return;
        } catch (e) {
          // Before Linux 6.13 overlay takes no fds here (EINVAL): use paths from now on.
          if (!(first && e instanceof SysError && e.code === "EINVAL")) throw e;
          byFd = false;
          sys.fsMessages(fsfd); // drop the message of the refused attempt
        }
      }
      try {
        sys.fsconfigString(fsfd, key, path);
      } catch (e) {
        // Before Linux 6.8 there is no "lowerdir+" (EINVAL); a path over 255 bytes is refused too.
        const fallback = e instanceof SysError && ((first && e.code === "EINVAL") || e.code === "ENAMETOOLONG" || e.code === "E2BIG");
        throw new StrategyError("api", e, fallback, sys.fsMessages(fsfd));
      }
    };
    plan.lowerdirs.forEach((l, i) => setDir("lowerdir+", l, i === 0));
    if (plan.upperdir !== undefined) {
      stage = "upperdir";
      setDir("upperdir", plan.upperdir, false);
      stage = "workdir";
      setDir("workdir", plan.workdir!, false);
    }
    for (const o of [...superblockFlagNames(plan.flags), ...plan.extra]) {
      const [k, v] = splitOption(o);
      stage = k;
      if (v === null) sys.fsconfigFlag(fsfd, k);
      else sys.fsconfigString(fsfd, k, v);
    }
    stage = "create";
    sys.fsconfigCreate(fsfd);
    stage = "fsmount";
    const mfd = sys.fsmount(fsfd, mountAttrs(plan.flags));
    fds.push(mfd);
    stage = "move_mount";
    if (dirs.mergedFd !== undefined) sys.moveMountFd(mfd, dirs.mergedFd);
    else sys.moveMount(mfd, plan.req.merged);
  } catch (e) {
    if (e instanceof StrategyError) throw e;
    let msgs: string[] = [];
    try {
      msgs = sys.fsMessages(fsfd);
    } catch {}
    throw new StrategyError("api", e, apiMissing(e), msgs, stage);
  } finally {
    closeAll(sys, fds);
  }
  return 0;
}

/**
 * Tries `strategies` in order until one mounts.
 * @throws {OvError} naming the layer, the strategy, the errno and the kernel's message;
 *   permission errors carry the root hint.
 */
export function applyPlan(plan: MountPlan, strategies: readonly Strategy[], sys: MountSys, pageSize: number, dirs: OpenedDirs = NONE): Applied {
  const fellBack: string[] = [];
  for (let i = 0; i < strategies.length; i++) {
    const s = strategies[i]!;
    try {
      const dataLength = s === "direct" ? runDirect(plan, sys, pageSize, dirs) : s === "fd" ? runFd(plan, sys, pageSize, dirs) : runApi(plan, sys, dirs);
      return { strategy: s, dataLength, fellBack };
    } catch (e) {
      const err = e instanceof StrategyError ? e : new StrategyError(s, e, false);
      if (err.fallback && i + 1 < strategies.length) {
        fellBack.push(err.message);
        continue;
      }
      const before = fellBack.length ? ` (after ${fellBack.join("; ")})` : "";
      // The errno policy's kind and hint (errors.ts); the message keeps the strategy's text and the kernel's words.
      const hint = errnoHint(err.errno);
      const text = errnoText(err.errno, plan.req.merged);
      throw new OvError(
        errnoKind(err.errno),
        `Cannot mount layer ${plan.req.layerId} with ${plan.lowerdirs.length} lower dir${plan.lowerdirs.length === 1 ? "" : "s"} using the ${err.strategy} strategy: ${err.message.replace(/^\w+: /, "")}${before}${text ? `: ${text}` : ""}`,
        { cause: e, ...(hint ? { hint } : {}) },
      );
    }
  }
  throw new OvError("internal", `No mount strategy to try for layer ${plan.req.layerId}`);
}
