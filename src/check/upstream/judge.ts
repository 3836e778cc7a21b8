/**
 * containers-storage's own `check` findings, judged from plain data (pure):
 * the records of layers.json, images.json and containers.json, the layer
 * directories the overlay driver holds, and what gather (upstream/gather.ts)
 * read of big data items and layer contents. The messages are upstream's
 * words ("layer ID: layer not referenced by any images or containers"),
 * grouped by the layer, image or container they make damaged, as upstream's
 * CheckReport groups them: an image inherits its layers' errors and a
 * container its image's. Layers and images of read-only additional stores
 * are judged too ("read-only layer ID: ..."), but only for what can be read
 * (data items, digests): they are never called unreferenced, and their
 * errors are kept apart (`roLayers`, `roImages`) since repair cannot touch them.
 */
import type { ContainerRecord } from "../../store/records/containers-json.ts";
import type { ImageRecord } from "../../store/records/images-json.ts";
import type { LayerRecord } from "../../store/records/layers-json.ts";

export const UPSTREAM_ERRORS = {
  unaccounted: "layer in lower level storage driver not accounted for",
  unreferenced: "layer not referenced by any images or containers",
  incorrectDigest: "layer content incorrect digest",
  incorrectSize: "layer content incorrect size",
  modified: "layer content modified",
  layerDataMissing: "layer data item is missing",
  layerMissing: "layer is missing",
  imageLayerMissing: "image layer is missing",
  imageDataMissing: "image data item is missing",
  imageDataSize: "image data item has incorrect size",
  containerImageMissing: "image missing",
  containerDataMissing: "container data item is missing",
  containerDataSize: "container data item has incorrect size",
} as const;

/** What gather read: item sizes (null: missing) and content problems per layer. */
export interface UpstreamInput {
  layers: readonly LayerRecord[];
  images: readonly ImageRecord[];
  containers: readonly ContainerRecord[];
  /** Layer directories of the driver, in the order they were listed. */
  driverIds: readonly string[];
  /** Size of a data item's file, null when it is missing. */
  dataSize(kind: "layer" | "image" | "container", id: string, key: string): number | null;
  /** Content problems of a layer (digest, size, modified), in upstream's words without the "layer ID: " prefix. */
  contentErrors: ReadonlyMap<string, string[]>;
  /** Current time and the age an unreferenced layer must reach (ms). */
  nowMs: number;
  maxAgeMs: number;
  /** IDs of the layers and images that come from read-only stores. */
  readOnlyLayers?: ReadonlySet<string>;
  readOnlyImages?: ReadonlySet<string>;
}

export interface UpstreamReport {
  layers: Map<string, string[]>;
  /** Errors of read-only layers and images (reported, never repaired). */
  roLayers: Map<string, string[]>;
  images: Map<string, string[]>;
  roImages: Map<string, string[]>;
  containers: Map<string, string[]>;
  /** Parents by layer ID, and the driver's listing order (for repair's order). */
  parents: Map<string, string>;
  driverOrder: Map<string, number>;
  /** Layer IDs reported as unaccounted (removed at driver level by repair). */
  unaccounted: Set<string>;
}

function names(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function push(m: Map<string, string[]>, id: string, ...msgs: string[]): void {
  if (msgs.length === 0) return;
  const list = m.get(id) ?? [];
  list.push(...msgs);
  m.set(id, list);
}

/** Created time in ms, or null when unknown (Go's zero time). */
function createdMs(r: LayerRecord): number | null {
  if (typeof r.created !== "string") return null;
  const t = Date.parse(r.created);
  return Number.isNaN(t) || t <= Date.parse("0002-01-01T00:00:00Z") ? null : t;
}

export function judgeUpstream(input: UpstreamInput): UpstreamReport {
  const report: UpstreamReport = {
    layers: new Map(),
    roLayers: new Map(),
    images: new Map(),
    roImages: new Map(),
    containers: new Map(),
    parents: new Map(),
    driverOrder: new Map(),
    unaccounted: new Set(),
  };
  const roLayers = input.readOnlyLayers ?? new Set<string>();
  const roImages = input.readOnlyImages ?? new Set<string>();
  const referenced = new Map<string, boolean>();
  const layerErr = (id: string, msg: string) =>
    roLayers.has(id) ? push(report.roLayers, id, `read-only layer ${id}: ${msg}`) : push(report.layers, id, `layer ${id}: ${msg}`);
  const errsOfLayer = (id: string) => [...(report.layers.get(id) ?? []), ...(report.roLayers.get(id) ?? [])];
  for (const l of input.layers) {
    if (referenced.has(l.id)) continue;
    referenced.set(l.id, false);
    report.parents.set(l.id, l.parent ?? "");
    for (const key of names(l["big-data-names"])) {
      if (input.dataSize("layer", l.id, key) === null) layerErr(l.id, `data item ${JSON.stringify(key)}: ${UPSTREAM_ERRORS.layerDataMissing}`);
    }
    for (const msg of input.contentErrors.get(l.id) ?? []) layerErr(l.id, msg);
  }
  // Parents are looked for in every store (upstream looks only in the stores read so far,
  // so it calls a read-only parent of a read-write layer missing).
  for (const [id, parent] of report.parents) {
    if (parent && !referenced.has(parent)) {
      if (roLayers.has(id)) push(report.roLayers, id, `read-only layer ${parent}: ${UPSTREAM_ERRORS.layerMissing}`);
      else push(report.layers, id, `layer ${parent}: ${UPSTREAM_ERRORS.layerMissing}`);
    }
  }
  const examinedImages = new Set<string>();
  for (const img of input.images) {
    if (examinedImages.has(img.id)) continue;
    examinedImages.add(img.id);
    const ro = roImages.has(img.id);
    const errs: string[] = [];
    for (const key of names(img["big-data-names"])) {
      const size = input.dataSize("image", img.id, key);
      const why = size === null ? UPSTREAM_ERRORS.imageDataMissing : size !== (img["big-data-sizes"]?.[key] ?? 0) ? UPSTREAM_ERRORS.imageDataSize : null;
      if (why) errs.push(`${ro ? "read-only " : ""}image ${img.id}: data item ${JSON.stringify(key)}: ${why}`);
    }
    const tops = new Set([img.layer ?? "", ...names(img["mapped-layers"])].filter((t) => t !== ""));
    for (const top of tops) {
      const seen = new Set<string>();
      for (let layer = top; layer !== "" && !seen.has(layer); layer = report.parents.get(layer) ?? "") {
        seen.add(layer);
        if (!referenced.has(layer)) errs.push(`${ro ? "read-only " : ""}image ${img.id}: layer ${layer}: ${UPSTREAM_ERRORS.imageLayerMissing}`);
        else referenced.set(layer, true);
        errs.push(...errsOfLayer(layer));
      }
    }
    push(ro ? report.roImages : report.images, img.id, ...errs);
  }
  for (const c of input.containers) {
    const errs: string[] = [];
    for (const key of names(c["big-data-names"])) {
      const size = input.dataSize("container", c.id, key);
      const why = size === null ? UPSTREAM_ERRORS.containerDataMissing : size !== (c["big-data-sizes"]?.[key] ?? 0) ? UPSTREAM_ERRORS.containerDataSize : null;
      if (why) errs.push(`container ${c.id}: data item ${JSON.stringify(key)}: ${why}`);
    }
    if (c.image) {
      if (!examinedImages.has(c.image)) errs.push(`image ${c.image}: ${UPSTREAM_ERRORS.containerImageMissing}`);
      errs.push(...(report.images.get(c.image) ?? []), ...(report.roImages.get(c.image) ?? []));
    }
    if (c.layer) referenced.set(c.layer, true);
    push(report.containers, c.id, ...errs);
  }
  for (const l of input.layers) {
    if (referenced.get(l.id) || roLayers.has(l.id)) continue;
    const t = createdMs(l);
    if (t === null || t + input.maxAgeMs < input.nowMs) layerErr(l.id, UPSTREAM_ERRORS.unreferenced);
  }
  input.driverIds.forEach((id, i) => {
    if (!referenced.has(id)) {
      layerErr(id, UPSTREAM_ERRORS.unaccounted);
      report.unaccounted.add(id);
    }
    report.driverOrder.set(id, i + 1);
  });
  return report;
}

/** The lines upstream's check prints: "KIND ID:" then each error indented by one space. */
export function formatUpstream(r: UpstreamReport): string[] {
  const lines: string[] = [];
  const groups = [
    ["layer", r.layers],
    ["read-only layer", r.roLayers],
    ["image", r.images],
    ["read-only image", r.roImages],
    ["container", r.containers],
  ] as const;
  for (const [kind, m] of groups) {
    for (const [id, errs] of m) {
      lines.push(`${kind} ${id}:`);
      for (const e of errs) lines.push(` ${e}`);
    }
  }
  return lines;
}

/** Whether the report holds anything. */
export function upstreamCount(r: UpstreamReport): number {
  return r.layers.size + r.roLayers.size + r.images.size + r.roImages.size + r.containers.size;
}

/**
 * A Go duration ("24h", "1h30m", "500ms", "0") in milliseconds, or null.
 * @example parseGoDuration("1h30m") // 5400000
 */
export function parseGoDuration(s: string): number | null {
  if (s === "0" || s === "+0" || s === "-0") return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return null;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  for (const part of s.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * unit[part[2]!]!;
  return m[1] === "-" ? -total : total;
}
