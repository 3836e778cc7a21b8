/**
 * Mount planning, pure: from a layer's chain and options to what must be
 * mounted and which strategies can do it.
 *
 * Strategies (see README "Mounting"):
 *   api     fsopen/fsconfig("lowerdir+")/fsmount/move_mount: no page limit, no /proc
 *   direct  one mount(2) with absolute paths, when the data fits in a page
 *   fd      mount(2) with "lowerdir=5:6:7" while the cwd is /proc/self/fd
 * The kernel copies at most one page of mount(2) data and silently cuts the
 * rest (the last byte is forced to NUL), so "fits" means strictly shorter
 * than the page size.
 */
import { OvError } from "../errors.ts";
import { MAX_DEPTH } from "../store/layers/lower.ts";
import { parseMountOptions } from "./mount-options.ts";

export type Strategy = "api" | "direct" | "fd";
export const STRATEGIES: readonly Strategy[] = ["api", "direct", "fd"];

export interface MountRequest {
  layerId: string;
  /** The layer's own diff (upper dir, or top lower when read-only). */
  diff: string;
  work: string;
  merged: string;
  /** The base layer's empty dir, used as lowerdir when there is no lower. */
  empty: string;
  /** Lower layers' diff dirs, uppermost first. */
  lowers: readonly string[];
  readOnly: boolean;
  /** Mount options: flags (nodev, ro...) and overlay options (metacopy=on...). */
  options: readonly string[];
  /** SELinux context to pass as context="...", if any. */
  label?: string;
}

/** Everything the three strategies need, worked out once. */
export interface MountPlan {
  req: MountRequest;
  /** lowerdir entries in order (for read-only: the layer's diff first). */
  lowerdirs: string[];
  upperdir?: string;
  workdir?: string;
  /** mount(2) flags. */
  flags: number;
  /** Overlay/LSM options other than the dirs, e.g. "metacopy=on", `context="..."`. */
  extra: string[];
  /** Data string for the direct strategy, and its length in bytes. */
  directData: string;
  directLength: number;
}

/** Escapes the characters overlayfs treats specially in a dir option value. */
export function escapeOverlayPath(p: string): string {
  return p.replace(/[\\:,]/g, (c) => "\\" + c);
}

/**
 * Refuses chains the kernel cannot stack, before any syscall.
 * @throws {OvError} unsupported with "max depth exceeded", the layer, the count and the limit.
 */
export function checkDepth(layerId: string, lowerCount: number, readOnly: boolean): void {
  const total = lowerCount + (readOnly ? 1 : 0);
  if (total <= MAX_DEPTH) return;
  const why =
    readOnly && lowerCount <= MAX_DEPTH
      ? `a read-only mount stacks the layer's own diff on its ${lowerCount} lower layers, ${total} in all`
      : `the chain has ${lowerCount} lower layers`;
  throw new OvError("unsupported", `Cannot mount layer ${layerId}: max depth exceeded: ${why}, the limit is ${MAX_DEPTH}`);
}

function dirsOption(lowerdirs: readonly string[], upper?: string, work?: string): string {
  let s = `lowerdir=${lowerdirs.join(":")}`;
  if (upper !== undefined) s += `,upperdir=${upper},workdir=${work}`;
  return s;
}

/** Joins the dirs part and the extra options into one mount(2) data string. */
export function formatData(lowerdirs: readonly string[], upper: string | undefined, work: string | undefined, extra: readonly string[]): string {
  return [dirsOption(lowerdirs, upper, work), ...extra].join(",");
}

/**
 * Builds the plan.
 * @throws {OvError} on too deep a chain (see checkDepth).
 */
export function planMount(req: MountRequest): MountPlan {
  checkDepth(req.layerId, req.lowers.length, req.readOnly);
  const { flags, data } = parseMountOptions(req.options);
  const extra = [...data];
  if (req.label) extra.push(`context="${req.label}"`);
  // overlayfs needs two lower dirs when there is no upper dir: a read-only base layer stacks its diff on its
  // empty dir, as upstream does ("at least 2 lowerdir are needed while upperdir nonexistent").
  const below = req.lowers.length ? [...req.lowers] : [req.empty];
  const lowerdirs = req.readOnly ? [req.diff, ...below] : below;
  const upperdir = req.readOnly ? undefined : req.diff;
  const workdir = req.readOnly ? undefined : req.work;
  const directData = formatData(
    lowerdirs.map(escapeOverlayPath),
    upperdir && escapeOverlayPath(upperdir),
    workdir && escapeOverlayPath(workdir),
    extra,
  );
  const plan: MountPlan = {
    req,
    lowerdirs,
    flags,
    extra,
    directData,
    directLength: Buffer.byteLength(directData),
  };
  if (upperdir !== undefined) plan.upperdir = upperdir;
  if (workdir !== undefined) plan.workdir = workdir;
  return plan;
}

/** The fd strategy's data: every dir named by its fd number, relative to /proc/self/fd. */
export function fdData(lowerFds: readonly number[], upperFd: number | undefined, workFd: number | undefined, extra: readonly string[]): string {
  return formatData(lowerFds.map(String), upperFd === undefined ? undefined : String(upperFd), workFd === undefined ? undefined : String(workFd), extra);
}

/** Upper bound of the fd strategy's data length before any fd is opened (fd numbers below 100000). */
export function fdDataBound(plan: MountPlan): number {
  const n = plan.lowerdirs.length + (plan.upperdir ? 2 : 0);
  return Buffer.byteLength(fdData(new Array(n - (plan.upperdir ? 2 : 0)).fill(99999), plan.upperdir ? 99999 : undefined, plan.upperdir ? 99999 : undefined, plan.extra));
}

export interface KernelSupport {
  pageSize: number;
  /** The new mount API with overlay's lowerdir+ (Linux 6.8+). */
  api: boolean;
  /** /proc is mounted (the fd strategy resolves /proc/self/fd/N). */
  proc: boolean;
}

/**
 * The strategies to try, in order. Default: the mount API where the kernel
 * has it, then direct if the data fits in a page, then fd. A forced strategy
 * is the only candidate.
 * @throws {OvError} unsupported when the forced strategy cannot work here, naming the limit.
 */
export function chooseStrategies(plan: MountPlan, kernel: KernelSupport, forced?: Strategy): Strategy[] {
  const fits = plan.directLength < kernel.pageSize;
  const fdFits = fdDataBound(plan) < kernel.pageSize;
  if (forced) {
    if (forced === "direct" && !fits) {
      throw new OvError(
        "unsupported",
        `Cannot mount layer ${plan.req.layerId} with the direct strategy: the mount data is ${plan.directLength} bytes, it must be under the page size of ${kernel.pageSize} bytes (${plan.lowerdirs.length} lower dirs)`,
        { hint: "use overlay.mount_strategy=fd or api, or leave the strategy automatic" },
      );
    }
    if (forced === "fd" && !fdFits) {
      throw new OvError("unsupported", `Cannot mount layer ${plan.req.layerId} with the fd strategy: even with fd numbers the mount data is over the page size of ${kernel.pageSize} bytes`);
    }
    if (forced === "fd" && !kernel.proc) throw new OvError("unsupported", `Cannot mount layer ${plan.req.layerId} with the fd strategy: /proc is not mounted`);
    if (forced === "api" && !kernel.api) {
      throw new OvError("unsupported", `Cannot mount layer ${plan.req.layerId} with the api strategy: this kernel has no fsopen() with overlay's lowerdir+ (Linux 6.8+)`);
    }
    return [forced];
  }
  const order: Strategy[] = [];
  if (kernel.api) order.push("api");
  if (fits) order.push("direct");
  if (kernel.proc && fdFits) order.push("fd");
  if (order.length === 0) {
    throw new OvError("unsupported", `Cannot mount layer ${plan.req.layerId}: the mount data is ${plan.directLength} bytes (page size ${kernel.pageSize}), /proc is ${kernel.proc ? "mounted" : "not mounted"} and the mount API is ${kernel.api ? "available" : "not available"}`);
  }
  return order;
}
