/**
 * A mount's lower dirs seen through an idmapped mount (the container's ID
 * maps applied by the kernel), as upstream's overlay driver does when it
 * supports shifting: the overlay home is cloned (open_tree, not its
 * submounts), given the maps (mount_setattr MOUNT_ATTR_IDMAP with a user
 * namespace holding them), and attached at R/overlay/<ID>/mapped/0; every
 * lower dir is then named through it. The upper dir is not mapped.
 *
 * Owns R/overlay/<ID>/mapped/: overlay keeps its own reference to the lower
 * dirs, so the idmapped tree is detached and the dirs removed as soon as the
 * overlay is mounted (or has failed). A crash in between leaves mapped/0
 * mounted: unmount and removal detach whatever is mounted below mapped/.
 */
import { mkdirSync, rmdirSync } from "node:fs";
import { join, relative } from "node:path";
import { errCode, OvError, sysError } from "../errors.ts";
import type { StorePaths } from "../store/paths.ts";
import { SysError } from "../sys/libc.ts";
import { moveMountTo } from "../sys/mount-api.ts";
import { closeFd, openTreeClone, setIdmap, userNamespaceFd, type NsMapEntry } from "../sys/userns.ts";
import { MNT_DETACH, realSys, type MountSys } from "./syscalls.ts";
import { unmountBelow } from "./unmount-below.ts";

export interface IdmappedHome {
  /** The attached idmapped view of the overlay home. */
  root: string;
  /** A path under the overlay home, named through the idmapped view (other paths as they are). */
  map(path: string): string;
  /** Detaches the view and removes mapped/; safe to call twice. */
  release(): void;
}

/**
 * User-namespace fds by maps, kept for the rest of the process (close-on-exec):
 * a batch mounting many containers with the same maps makes one namespace.
 */
const namespaces = new Map<string, number>();

/** All 2^32-1 IDs as they are: what an empty map (the host's IDs) means inside the namespace. */
const IDENTITY: readonly NsMapEntry[] = [{ container_id: 0, host_id: 0, size: 4294967295 }];

function namespaceFor(uidmap: readonly NsMapEntry[], gidmap: readonly NsMapEntry[]): number {
  const key = `${formatMaps(uidmap)}/${formatMaps(gidmap)}`;
  let fd = namespaces.get(key);
  if (fd === undefined) {
    // A container with only a UID map (or only a GID map) keeps the host's IDs of the other kind.
    fd = userNamespaceFd(uidmap.length ? uidmap : IDENTITY, gidmap.length ? gidmap : IDENTITY);
    namespaces.set(key, fd);
  }
  return fd;
}

/** The mapped/ dir of a layer. */
export function mappedDir(paths: StorePaths, layerId: string): string {
  return join(paths.layer(layerId), "mapped");
}

/** `path` named through `root` when it is below `home` (pure). */
export function throughView(home: string, root: string, path: string): string {
  const rel = relative(home, path);
  if (rel === "" || rel.startsWith("..") || rel.startsWith("/")) return path;
  return join(root, rel);
}

/** Formats maps as `0:100000:65536` ranges, for messages. */
export function formatMaps(map: readonly NsMapEntry[]): string {
  return map.map((m) => `${m.container_id}:${m.host_id}:${m.size}`).join(",") || "none";
}

/**
 * Attaches the overlay home, ID-mapped by `uidmap`/`gidmap`, at
 * R/overlay/<layerId>/mapped/0.
 * @throws {OvError} naming the layer and the failed call; nothing stays mounted.
 */
export function attachIdmappedHome(paths: StorePaths, layerId: string, uidmap: readonly NsMapEntry[], gidmap: readonly NsMapEntry[], sys: MountSys = realSys): IdmappedHome {
  const dir = mappedDir(paths, layerId);
  const root = join(dir, "0");
  // Leftovers of a crash first: never mount over (or later remove through) an old view.
  unmountBelow(dir, sys);
  let tree = -1;
  let attached = false;
  const release = () => {
    if (attached) {
      try {
        sys.umount2(root, MNT_DETACH);
      } catch (e) {
        if (!(e instanceof SysError && (e.code === "EINVAL" || e.code === "ENOENT"))) throw sysError(`Cannot detach the idmapped view ${root} of layer ${layerId}`, e);
      }
      attached = false;
    }
    for (const d of [root, dir]) {
      try {
        rmdirSync(d);
      } catch (e) {
        if (errCode(e) !== "ENOENT") throw sysError(`Cannot remove ${d} of layer ${layerId}`, e);
      }
    }
  };
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const ns = namespaceFor(uidmap, gidmap);
    tree = openTreeClone(paths.home);
    setIdmap(tree, ns);
    moveMountTo(tree, root);
    attached = true;
  } catch (e) {
    try {
      release();
    } catch {}
    const what = e instanceof Error ? e.message : String(e);
    if (e instanceof OvError) throw e;
    throw new OvError(e instanceof SysError && (e.code === "EPERM" || e.code === "EACCES") ? "permission" : "sys", `Cannot mount layer ${layerId} with ID-mapped lower dirs (uid map ${formatMaps(uidmap)}, gid map ${formatMaps(gidmap)}): ${what}`, {
      cause: e,
      hint: `set ${"_CONTAINERS_OVERLAY_DISABLE_IDMAP"}=yes to copy and shift layers instead`,
    });
  } finally {
    if (tree >= 0) closeFd(tree);
  }
  return { root, map: (p) => throughView(paths.home, root, p), release };
}
