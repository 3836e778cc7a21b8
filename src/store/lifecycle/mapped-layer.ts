/**
 * An image's mapped top layers (images.json `mapped-layers`): copies of its
 * top layer with other ID maps, made when a container asks for maps that
 * differ from the top layer's, and reused by later containers with the same
 * maps. The copy has the top layer's parent, the top layer's view shifted
 * into its diff1 (shift-copy.ts) with the top layer's whiteouts and opaque
 * directories, and the top layer's digests, sizes and tar-split, so `diff`
 * gives back the same tarball. Owns the new layer's diff1 and tar-split file.
 */
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { OvError, sysError } from "../../errors.ts";
import { updateImages } from "../records/image-store.ts";
import { readLayers, updateLayers } from "../records/layer-store.ts";
import { requireRecord } from "../lookup.ts";
import { AT_FDCWD, lsetxattr, mknodat } from "../../sys/libc.ts";
import { mapperFor, type IdMapEntry } from "../../archive/apply/idmap.ts";
import { sameMap } from "../../archive/apply/idmap-parse.ts";
import { fileType, isOpaqueDir, isWhiteoutStat, lstatOrNull, S_IFDIR } from "../../archive/export/fs-info.ts";
import { layerStack } from "../../archive/layer-target.ts";
import { createLayerInTxn, ownDiffByMappedRoot } from "./create.ts";
import type { ImageRecord } from "../records/images-json.ts";
import type { LayerRecord } from "../records/layers-json.ts";
import type { LayerTxn } from "../records/layer-store.ts";
import type { StorePaths } from "../paths.ts";
import { shiftCopy } from "./shift-copy.ts";

const COPIED_FIELDS = ["compressed-diff-digest", "compressed-size", "diff-digest", "toc-digest", "diff-size", "compression", "uidset", "gidset"] as const;

function mapsOf(rec: LayerRecord): { uids: IdMapEntry[]; gids: IdMapEntry[] } {
  const m = mapperFor(rec);
  return { uids: [...m.uids], gids: [...m.gids] };
}

function matches(rec: LayerRecord, uidmap: readonly IdMapEntry[], gidmap: readonly IdMapEntry[]): boolean {
  const m = mapsOf(rec);
  return sameMap(m.uids, uidmap) && sameMap(m.gids, gidmap);
}

/**
 * The layer a container with these maps stacks on: the top layer when its
 * maps are the same, else a mapped top layer with these maps (made and noted
 * in `img` when there is none yet; the caller saves images.json). With
 * `shifting` (idmapped mounts apply the maps at mount time, as upstream's
 * imageTopLayerForMapping), a layer without maps fits too and a new copy gets
 * no maps: the top layer is not duplicated unless it has maps of its own.
 */
export async function topLayerFor(paths: StorePaths, ltxn: LayerTxn, img: ImageRecord, top: LayerRecord, uidmap: IdMapEntry[], gidmap: IdMapEntry[], shifting = false): Promise<string> {
  const fits = (rec: LayerRecord) => (shifting && mapperFor(rec).identity) || matches(rec, uidmap, gidmap);
  if (fits(top)) return top.id;
  for (const id of img["mapped-layers"] ?? []) {
    const rec = ltxn.records.find((r) => r.id === id);
    if (rec && fits(rec)) return rec.id;
  }
  if (shifting) {
    uidmap = [];
    gidmap = [];
  }
  const req = { ...(top.parent ? { parent: top.parent } : {}), uidmap, gidmap, fillsDiff1: true };
  const rec = await createLayerInTxn(paths, ltxn, req, (rec) => {
    const diff1 = `${paths.diff(rec.id)}1`;
    shiftCopy(layerStack(paths, top), diff1, mapperFor(top), mapperFor(rec), rec.id);
    copyHiding(paths.diff(top.id), diff1, "");
    ownDiffByMappedRoot(paths, rec);
    for (const f of COPIED_FIELDS) if (top[f] !== undefined) rec[f] = top[f];
    const ts = paths.tarSplit(top.id);
    try {
      if (existsSync(ts)) copyFileSync(ts, paths.tarSplit(rec.id));
    } catch (e) {
      throw sysError(`Cannot copy the tar-split file of layer ${top.id} for its mapped copy ${rec.id}`, e);
    }
  });
  img["mapped-layers"] = [...(img["mapped-layers"] ?? []), rec.id];
  return rec.id;
}

/** Whiteouts and opaque markers of `src` (a diff directory) recreated in `dest`, which holds the merged view. */
function copyHiding(src: string, dest: string, rel: string): void {
  const dir = rel === "" ? src : `${src}/${rel}`;
  for (const name of readdirSync(dir)) {
    const r = rel === "" ? name : `${rel}/${name}`;
    const st = lstatOrNull(`${src}/${r}`);
    if (!st) continue;
    if (isWhiteoutStat(st)) {
      if (!lstatOrNull(`${dest}/${r}`) && lstatOrNull(rel === "" ? dest : `${dest}/${rel}`)) mknodat(AT_FDCWD, `${dest}/${r}`, 0o020000, 0n);
    } else if (fileType(st) === S_IFDIR) {
      if (isOpaqueDir(`${src}/${r}`) && lstatOrNull(`${dest}/${r}`)) lsetxattr(`${dest}/${r}`, "trusted.overlay.opaque", new TextEncoder().encode("y"));
      copyHiding(src, dest, r);
    }
  }
}

/**
 * The layer `mount --ro IMAGE` mounts: the image's top layer with the host's
 * ID maps (a mapped copy is made when the top layer has maps), as upstream's
 * MountImage. Takes layers.lock, then images.lock.
 * @throws {OvError} not-found when the image or its top layer is gone.
 */
export async function hostTopLayer(paths: StorePaths, imageId: string, topId: string): Promise<string> {
  // Most top layers have no maps: no write lock for them.
  const top = readLayers(paths).find((r) => r.id === topId);
  if (top && mapperFor(top).identity) return topId;
  return updateLayers(paths, (ltxn) =>
    updateImages(paths, async (itxn) => {
      const img = requireRecord(itxn.records, imageId, "image", "mount image");
      const top = ltxn.records.find((r) => r.id === img.layer);
      if (!top) throw new OvError("not-found", `Cannot mount image ${img.id}: its top layer ${JSON.stringify(img.layer ?? "")} is not known`);
      const before = img["mapped-layers"]?.length ?? 0;
      const id = await topLayerFor(paths, ltxn, img, top, [], []);
      if ((img["mapped-layers"]?.length ?? 0) !== before) itxn.save();
      return id;
    }),
  );
}
