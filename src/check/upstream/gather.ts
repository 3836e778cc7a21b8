/**
 * Reads what upstream's check judges (upstream/judge.ts), on top of the
 * snapshot's one walk of R/overlay and layers.json: images.json,
 * containers.json, the size of every big data item's file
 * (R/overlay-{layers,images,containers}/ID/KEY), and, unless quick, each
 * layer's content (layer-content.ts); the layers and images of the other
 * stores (store-set.ts) too, each read where it lives. Reads only.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { bigDataBaseName } from "../../store/lifecycle/big-data.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { readImages } from "../../store/records/image-store.ts";
import { readOtherLayers } from "../../store/records/layer-store.ts";
import { isFromReadOnlyStore, mergeById, storeOf } from "../../store/store-set.ts";
import { bigDataFileName } from "../../store/lifecycle/layer-data.ts";
import type { LayerRecord } from "../../store/records/layers-json.ts";
import { layerContentErrors } from "../layer-content.ts";
import type { StoreSnapshot } from "../snapshot.ts";
import { judgeUpstream, type UpstreamReport } from "./judge.ts";

export interface UpstreamOptions {
  /** Skip the content checks (upstream's --quick). */
  quick: boolean;
  /** Age an unreferenced layer must reach to be reported (ms; upstream's default is 24h). */
  maxAgeMs: number;
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/** The layer records layers.json holds (none when it cannot be parsed: the own findings say why). */
export function snapshotRecords(snap: StoreSnapshot): LayerRecord[] {
  return snap.layersJson.kind === "ok" ? snap.layersJson.value : [];
}

export async function checkUpstream(snap: StoreSnapshot, opts: UpstreamOptions): Promise<UpstreamReport> {
  const paths = snap.paths;
  // The other stores' layers after the snapshot's (store-set.ts): a read-only store's are only read.
  const layers = mergeById(snapshotRecords(snap), readOtherLayers(paths));
  const contentErrors = new Map<string, string[]>();
  if (!opts.quick) {
    for (const l of layers) {
      // A layer of another store is read through that store's paths (its tar-split is there);
      // as upstream, only a read-write one has its tree compared with its tar-split.
      const errs = await layerContentErrors(storeOf(l, paths), layers, l, !isFromReadOnlyStore(l));
      if (errs.length) contentErrors.set(l.id, errs);
    }
  }
  const images = readImages(paths);
  return judgeUpstream({
    layers,
    images,
    readOnlyLayers: new Set(layers.filter(isFromReadOnlyStore).map((l) => l.id)),
    readOnlyImages: new Set(images.filter(isFromReadOnlyStore).map((i) => i.id)),
    containers: readContainers(paths),
    driverIds: [...snap.layers.keys()],
    dataSize: (kind, id, key) =>
      kind === "layer"
        ? fileSize(join(storeOf(layers.find((l) => l.id === id) ?? {}, paths).layerDataDir(id), bigDataFileName(key)))
        : kind === "image"
          ? fileSize(join(storeOf(images.find((i) => i.id === id) ?? {}, paths).imageDataDir(id), bigDataBaseName(key)))
          : fileSize(join(paths.containerDataDir(id), bigDataBaseName(key))),
    contentErrors,
    nowMs: Date.now(),
    maxAgeMs: opts.maxAgeMs,
  });
}
