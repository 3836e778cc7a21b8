/**
 * A mount's lower dirs seen through an idmapped mount (the container's ID
 * maps applied by the kernel), as upstream's overlay driver does when it
 * supports shifting: the overlay home is cloned (open_tree, not its
 * submounts), given the maps (mount_setattr MOUNT_ATTR_IDMAP with a user
 * namespace holding them), and attached at R/overlay/<ID>/mapped/0 (the homes
 * of the split image store and of additional stores, where a lower dir lives
 * there, at mapped/1, mapped/2, ...); every lower dir is then named through
 * its view. The upper dir is not mapped.
 *
 * Owns R/overlay/<ID>/mapped/: overlay keeps its own reference to the lower
 * dirs, so the idmapped tree is detached and the dirs removed as soon as the
 * overlay is mounted (or has failed). A crash in between leaves mapped/0
 * mounted: unmount and removal detach whatever is mounted below mapped/.
 */
import { rmdirSync } from "node:fs";
import { join, relative } from "node:path";
import { errCode, OvError, sysError } from "../../errors.ts";
import type { StorePaths } from "../../store/paths.ts";
import { SysError } from "../../sys/libc.ts";
import { moveMountTo } from "../../sys/mount-api.ts";
import { closeFd, openTreeClone, setIdmap, userNamespaceFd, type NsMapEntry } from "../../sys/userns.ts";
import { MNT_DETACH, realSys, type MountSys } from "../syscalls.ts";
import { unmountBelow } from "../unmount-below.ts";
import { mkdirAll } from "../../store/files/mkdir-all.ts";

export interface IdmappedHome {
  /** The idmapped view of the graph root's overlay home (mapped/0); other stores' homes follow at mapped/1, mapped/2, .... */
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
 * `path` named through the view of the first of `homes` that holds it: the
 * view of homes[i] is `base/i` (pure). Paths below no home stay as they are.
 */
export function throughViews(homes: readonly string[], base: string, path: string): string {
  for (let i = 0; i < homes.length; i++) {
    const mapped = throughView(homes[i]!, join(base, String(i)), path);
    if (mapped !== path) return mapped;
  }
  return path;
}

/** The indexes of `homes` that hold at least one of `paths` (pure): the views a mount needs. */
export function homesUsed(homes: readonly string[], paths: readonly string[]): number[] {
  const used = new Set<number>();
  for (const p of paths) {
    const i = homes.findIndex((h) => throughView(h, "/", p) !== p);
    if (i >= 0) used.add(i);
  }
  return [...used].sort((a, b) => a - b);
}

/**
 * Attaches each overlay home of `homes` whose index is in `used`, ID-mapped by
 * `uidmap`/`gidmap`, at R/overlay/<layerId>/mapped/<index>: the graph root's
 * home is 0, the split image store's and the additional stores' follow (a
 * container's lower dirs may live in any of them).
 * @throws {OvError} naming the layer and the failed call; nothing stays mounted.
 */
export function attachIdmappedHomes(
  paths: StorePaths,
  layerId: string,
  homes: readonly string[],
  used: readonly number[],
  uidmap: readonly NsMapEntry[],
  gidmap: readonly NsMapEntry[],
  sys: MountSys = realSys,
): IdmappedHome {
  const dir = mappedDir(paths, layerId);
  const base = dir;
  // Leftovers of a crash first: never mount over (or later remove through) an old view.
  unmountBelow(dir, sys);
  const attached: string[] = [];
  const created: string[] = [];
  const release = () => {
    while (attached.length) {
      const root = attached[attached.length - 1]!;
      try {
        sys.umount2(root, MNT_DETACH);
      } catch (e) {
        if (!(e instanceof SysError && (e.code === "EINVAL" || e.code === "ENOENT"))) throw sysError(`Cannot detach the idmapped view ${root} of layer ${layerId}`, e);
      }
      attached.pop();
    }
    for (const d of [...created.reverse(), dir]) {
      try {
        rmdirSync(d);
      } catch (e) {
        if (errCode(e) !== "ENOENT") throw sysError(`Cannot remove ${d} of layer ${layerId}`, e);
      }
    }
    created.length = 0;
  };
  let tree = -1;
  try {
    const ns = namespaceFor(uidmap, gidmap);
    for (const i of used) {
      const root = join(dir, String(i));
      mkdirAll(root, 0o700);
      created.push(root);
      tree = openTreeClone(homes[i]!);
      setIdmap(tree, ns);
      moveMountTo(tree, root);
      attached.push(root);
      closeFd(tree);
      tree = -1;
    }
  } catch (e) {
    if (tree >= 0) closeFd(tree);
    try {
      release();
    } catch {}
    const what = e instanceof Error ? e.message : String(e);
    if (e instanceof OvError) throw e;
    throw new OvError(e instanceof SysError && (e.code === "EPERM" || e.code === "EACCES") ? "permission" : "sys", `Cannot mount layer ${layerId} with ID-mapped lower dirs (uid map ${formatMaps(uidmap)}, gid map ${formatMaps(gidmap)}): ${what}`, {
      cause: e,
      hint: `set ${"_CONTAINERS_OVERLAY_DISABLE_IDMAP"}=yes to copy and shift layers instead`,
    });
  }
  return { root: join(base, "0"), map: (p) => throughViews(homes, base, p), release };
}
