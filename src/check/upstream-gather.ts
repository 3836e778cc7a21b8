/**
 * Reads what upstream's check judges (upstream-judge.ts), on top of the
 * snapshot's one walk of R/overlay and layers.json: images.json,
 * containers.json, the size of every big data item's file
 * (R/overlay-{layers,images,containers}/ID/KEY), and, unless quick, each
 * layer's content (layer-content.ts). Reads only.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { bigDataBaseName } from "../store/big-data.ts";
import { readContainers } from "../store/container-store.ts";
import { readImages } from "../store/image-store.ts";
import { bigDataFileName } from "../store/layer-data.ts";
import type { LayerRecord } from "../store/layers-json.ts";
import { layerContentErrors } from "./layer-content.ts";
import type { StoreSnapshot } from "./snapshot.ts";
import { judgeUpstream, type UpstreamReport } from "./upstream-judge.ts";

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
  const layers = snapshotRecords(snap);
  const contentErrors = new Map<string, string[]>();
  if (!opts.quick) {
    for (const l of layers) {
      const errs = await layerContentErrors(paths, layers, l);
      if (errs.length) contentErrors.set(l.id, errs);
    }
  }
  return judgeUpstream({
    layers,
    images: readImages(paths),
    containers: readContainers(paths),
    driverIds: [...snap.layers.keys()],
    dataSize: (kind, id, key) =>
      kind === "layer"
        ? fileSize(join(paths.layerDataDir(id), bigDataFileName(key)))
        : fileSize(join(kind === "image" ? paths.imageDataDir(id) : paths.containerDataDir(id), bigDataBaseName(key))),
    contentErrors,
    nowMs: Date.now(),
    maxAgeMs: opts.maxAgeMs,
  });
}
