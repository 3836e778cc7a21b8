/**
 * The sizes `image` and `container` print, computed as upstream's ImageSize
 * and ContainerSize: an image is its layers (each layer's recorded
 * uncompressed size when it has a diff digest, else its measured diff) plus
 * its big data items; a container is its own layer's diff, its big data
 * items and the files under its userdata directories in both roots.
 */
import { storeOf } from "../../store/store-set.ts";
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { targetDiffSize } from "../../archive/layer-changes.ts";
import { resolveDiffTarget } from "../../archive/layer-target.ts";
import { errCode } from "../../errors.ts";
import { bigDataSize } from "../../store/lifecycle/big-data.ts";
import type { ContainerRecord } from "../../store/records/containers-json.ts";
import type { ImageRecord } from "../../store/records/images-json.ts";
import type { LayerRecord } from "../../store/records/layers-json.ts";
import type { StorePaths } from "../../store/paths.ts";

async function layerSize(paths: StorePaths, layers: LayerRecord[], rec: LayerRecord): Promise<number> {
  const recorded = rec["diff-size"];
  if (rec["diff-digest"] && typeof recorded === "number" && recorded >= 0) return recorded;
  return targetDiffSize(paths, resolveDiffTarget(paths, layers, rec.id, undefined, "measure"));
}

function dataSize(dir: string, rec: ImageRecord | ContainerRecord, what: string): number {
  let n = 0;
  for (const key of rec["big-data-names"] ?? []) n += bigDataSize(dir, rec, key, what);
  return n;
}

/** Bytes of the regular files under `dir` (0 when it does not exist), as directory.Size. */
function treeSize(dir: string): number {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if (errCode(e) === "ENOENT") return 0;
    throw e;
  }
  let n = 0;
  for (const e of entries) {
    const p = join(dir, e);
    const st = lstatSync(p);
    if (st.isDirectory()) n += treeSize(p);
    else n += st.size;
  }
  return n;
}

/** @throws when a layer is missing or cannot be measured (callers print "Size unknown"). */
export async function imageSize(paths: StorePaths, layers: LayerRecord[], img: ImageRecord): Promise<number> {
  let size = 0;
  const seen = new Set<string>();
  const queue = [...(img.layer ? [img.layer] : []), ...(img["mapped-layers"] ?? [])];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const rec = layers.find((l) => l.id === id);
    if (!rec) throw new Error(`locating layer with ID "${id}": layer not known`);
    size += await layerSize(paths, layers, rec);
    if (rec.parent) queue.push(rec.parent);
  }
  // An image of another image store keeps its data there (store-set.ts).
  return size + dataSize(storeOf(img, paths).imageDataDir(img.id), img, "image");
}

export async function containerSize(paths: StorePaths, layers: LayerRecord[], c: ContainerRecord): Promise<number> {
  const rec = layers.find((l) => l.id === c.layer);
  if (!rec) throw new Error(`locating layer with ID "${c.layer}": layer not known`);
  const layer = await targetDiffSize(paths, resolveDiffTarget(paths, layers, rec.id, undefined, "measure"));
  return layer + dataSize(paths.containerDataDir(c.id), c, "container") + treeSize(join(paths.containerDataDir(c.id), "userdata")) + treeSize(join(paths.runContainersDir, c.id, "userdata"));
}
