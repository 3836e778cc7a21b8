/**
 * Shutting the store down, as containers-storage's Shutdown: with layers
 * still mounted (by any tool, per the shared counts) it refuses unless
 * forced, and forced it unmounts them; then it undoes the private bind mount
 * of the overlay home that mounting made (propagation.ts).
 *
 * The home stays mounted when something not counted is still mounted below
 * it: detaching the home would take that mount away from its owner.
 */
import { log } from "../log.ts";
import { withLayersRead } from "../store/records/layer-store.ts";
import { readMountCounts } from "../store/records/mount-counts.ts";
import type { StorePaths } from "../store/paths.ts";
import { SysError } from "../sys/libc.ts";
import { OvError, sysError } from "../errors.ts";
import { dropMount, trustedCount } from "./layer-unmount.ts";
import { isMountPoint, readMountinfo } from "./mountinfo.ts";
import { MNT_DETACH, realSys, type MountSys } from "./syscalls.ts";

export interface ShutdownResult {
  /** Layers that were mounted (unmounted when forced). */
  mounted: string[];
  /** Whether the overlay home's bind mount was undone. */
  homeUnmounted: boolean;
}

/** The error upstream's scripts match ("a layer is mounted: layer is in use by a container"). */
export class LayersMountedError extends OvError {
  readonly layers: string[];
  constructor(layers: string[]) {
    super("busy", `a layer is mounted: layer is in use by a container (${layers.length} mounted: ${layers.join(", ")})`, {
      hint: "unmount them first, or use `ovlayer shutdown --force`",
    });
    this.layers = layers;
  }
}

/**
 * @throws {LayersMountedError} when layers are mounted and `force` is not set.
 * @throws {OvError} sys/permission from an unmount.
 */
export async function shutdownStore(paths: StorePaths, force: boolean, sys: MountSys = realSys): Promise<ShutdownResult> {
  return withLayersRead(paths, async () => {
    const info = readMountinfo();
    const counts = readMountCounts(paths);
    const mounted = counts.filter((c) => trustedCount(paths, c.id, counts, info) > 0).map((c) => c.id);
    if (mounted.length && !force) throw new LayersMountedError(mounted);
    for (const id of mounted) await dropMount(paths, id, true, sys);
    const now = readMountinfo();
    if (!isMountPoint(paths.home, now)) return { mounted, homeUnmounted: false };
    const below = now.filter((e) => e.mountPoint.startsWith(paths.home + "/")).map((e) => e.mountPoint);
    if (below.length) {
      log.debug(`overlay home ${paths.home} stays mounted: ${below.length} mount(s) below it, e.g. ${below[0]}`);
      return { mounted, homeUnmounted: false };
    }
    try {
      sys.umount2(paths.home, MNT_DETACH);
    } catch (e) {
      if (!(e instanceof SysError && e.code === "EINVAL")) throw sysError(`Cannot unmount the overlay home ${paths.home}`, e, { path: paths.home });
    }
    return { mounted, homeUnmounted: true };
  }, { createLock: true });
}
