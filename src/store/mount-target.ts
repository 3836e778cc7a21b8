/**
 * Which layer a `mount`, `unmount` or `mounted` argument means, before the
 * layer mounting code (mount/layer-mount.ts) runs. As upstream:
 *
 *   mount REF        a container's own read-write layer (on its image's
 *                    stack), else the layer REF names;
 *   mount --ro REF   an image's top layer, mounted read-only (MountImage:
 *                    at R/overlay/<top layer ID>/merged); when REF is not an
 *                    image, the layer or container read-only (ovlayer's own);
 *   unmount REF      a container's layer, else a layer, else an image's top layer.
 *
 * Each record file is read under its read lock and released before the
 * layer code takes layers.lock: nothing here holds two locks at once.
 */
import { OvError } from "../errors.ts";
import { isVolatile } from "./records/containers-json.ts";
import { readContainers } from "./records/container-store.ts";
import { readImages } from "./records/image-store.ts";
import { findRecord } from "./lookup.ts";
import { readLayers } from "./records/layer-store.ts";
import { mapperFor, type IdMapEntry } from "../archive/apply/idmap.ts";
import type { StorePaths } from "./paths.ts";

export interface MountTarget {
  /** Layer ref to hand to the layer code (an ID when resolved from an image or container). */
  layer: string;
  kind: "layer" | "image" | "container";
  /** A container created with --volatile: mount with overlay's "volatile". */
  volatile: boolean;
  /** For an image: its ID (the layer to mount is its top layer with the host's ID maps, mapped-layer.ts). */
  image?: string;
  /** For a container: its ID maps (applied at mount time when its layer does not hold them). */
  maps?: { uidmap: IdMapEntry[]; gidmap: IdMapEntry[] };
}

function imageTop(paths: StorePaths, ref: string): MountTarget | undefined {
  const img = findRecord(readImages(paths), ref, "image");
  if (!img) return undefined;
  if (!img.layer) throw new OvError("not-found", `Cannot mount image ${img.id}: it has no layers`);
  return { layer: img.layer, kind: "image", volatile: false, image: img.id };
}

function containerMaps(c: { [key: string]: unknown }): { uidmap: IdMapEntry[]; gidmap: IdMapEntry[] } {
  const m = mapperFor(c);
  return { uidmap: [...m.uids], gidmap: [...m.gids] };
}

function containerLayer(paths: StorePaths, ref: string): MountTarget | undefined {
  const all = readContainers(paths);
  // As upstream's container lookup: a container's layer ID names the container too (its maps apply).
  const c = findRecord(all, ref, "container") ?? all.find((r) => r.layer === ref);
  return c ? { layer: c.layer, kind: "container", volatile: isVolatile(c), maps: containerMaps(c) } : undefined;
}

/** The layer `mount` mounts for `ref`. */
export function mountTarget(paths: StorePaths, ref: string, readOnly: boolean): MountTarget {
  return (readOnly ? imageTop(paths, ref) : undefined) ?? containerLayer(paths, ref) ?? { layer: ref, kind: "layer", volatile: false };
}

/**
 * The layers `unmount` may mean for `ref`, in upstream's order of trying:
 * a container's layer or the layer itself, then an image's top layer.
 */
export function unmountTargets(paths: StorePaths, ref: string): string[] {
  const c = containerLayer(paths, ref);
  if (c) return [c.layer];
  const img = findRecord(readImages(paths), ref, "image");
  if (!img?.layer) return [ref];
  // The image's mount is its top layer with the host's ID maps: the top layer itself or a mapped copy.
  const layers = readLayers(paths);
  const hostTop = [img.layer, ...(img["mapped-layers"] ?? [])].find((id) => {
    const rec = layers.find((l) => l.id === id);
    return rec !== undefined && mapperFor(rec).identity;
  });
  return [ref, hostTop ?? img.layer];
}
