import { describe, expect, test } from "bun:test";
import { compareTrees, expectedPaths } from "../../src/check/layer-content.ts";
import { formatUpstream, judgeUpstream, parseGoDuration, upstreamCount, type UpstreamInput } from "../../src/check/upstream/judge.ts";
import { layerRemovalOrder } from "../../src/check/upstream/repair.ts";
import type { ContainerRecord } from "../../src/store/records/containers-json.ts";
import type { ImageRecord } from "../../src/store/records/images-json.ts";
import type { LayerRecord } from "../../src/store/records/layers-json.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const HOUR = 3600_000;
const recent = new Date(NOW - HOUR).toISOString();
const old = new Date(NOW - 48 * HOUR).toISOString();

function input(over: Partial<UpstreamInput> = {}): UpstreamInput {
  const layers: LayerRecord[] = over.layers ? [...over.layers] : [{ id: "base", created: old }, { id: "top", parent: "base", created: old }];
  return {
    layers,
    images: [{ id: "img", layer: "top" }],
    containers: [],
    driverIds: layers.map((l) => l.id),
    dataSize: () => 10,
    contentErrors: new Map(),
    nowMs: NOW,
    maxAgeMs: 24 * HOUR,
    ...over,
  };
}

describe("judgeUpstream()", () => {
  test("a clean store has no findings and prints nothing", () => {
    const r = judgeUpstream(input());
    expect(upstreamCount(r)).toBe(0);
    expect(formatUpstream(r)).toEqual([]);
  });

  test("a driver layer without a record is unaccounted; a record without a driver dir is not (upstream lists the driver)", () => {
    const r = judgeUpstream(input({ driverIds: ["base", "top", "stray"] }));
    expect(r.layers.get("stray")).toEqual(["layer stray: layer in lower level storage driver not accounted for"]);
    expect([...r.unaccounted]).toEqual(["stray"]);
    expect(formatUpstream(r)).toEqual(["layer stray:", " layer stray: layer in lower level storage driver not accounted for"]);
  });

  test("an unreferenced layer is reported only once older than the maximum age, or with no creation time", () => {
    const layers: LayerRecord[] = [{ id: "base", created: old }, { id: "top", parent: "base", created: old }, { id: "young", created: recent }, { id: "aged", created: old }, { id: "timeless" }];
    const r = judgeUpstream(input({ layers }));
    expect([...r.layers.keys()].sort()).toEqual(["aged", "timeless"]);
    expect(r.layers.get("aged")).toEqual(["layer aged: layer not referenced by any images or containers"]);
    expect([...judgeUpstream(input({ layers, maxAgeMs: 0 })).layers.keys()].sort()).toEqual(["aged", "timeless", "young"]);
  });

  test("a container's layer counts as referenced; a container whose image is gone names it, and inherits nothing else", () => {
    const containers: ContainerRecord[] = [{ id: "ctr", image: "gone", layer: "clayer" }];
    const layers: LayerRecord[] = [{ id: "base", created: old }, { id: "top", parent: "base", created: old }, { id: "clayer", created: old }];
    const r = judgeUpstream(input({ layers, containers }));
    expect(r.layers.size).toBe(0);
    expect(r.containers.get("ctr")).toEqual(["image gone: image missing"]);
  });

  test("an image with a missing layer; layer errors become the image's, and the image's the container's", () => {
    const layers: LayerRecord[] = [{ id: "top", parent: "base", created: old }];
    const containers: ContainerRecord[] = [{ id: "ctr", image: "img", layer: "" }];
    const r = judgeUpstream(input({ layers, containers }));
    expect(r.layers.get("top")).toEqual(["layer base: layer is missing"]);
    expect(r.images.get("img")).toEqual(["layer base: layer is missing", "image img: layer base: image layer is missing"]);
    expect(r.containers.get("ctr")).toEqual(r.images.get("img")!);
  });

  test("data items: missing, and a size that differs from the recorded one", () => {
    const layers: LayerRecord[] = [{ id: "base", created: old, "big-data-names": ["blob"] }, { id: "top", parent: "base", created: old }];
    const images: ImageRecord[] = [{ id: "img", layer: "top", "big-data-names": ["manifest", "config"], "big-data-sizes": { manifest: 10, config: 11 } }];
    const containers: ContainerRecord[] = [{ id: "ctr", image: "", layer: "", "big-data-names": ["x"], "big-data-sizes": { x: 10 } }];
    const sizes: Record<string, number | null> = { "layer/base/blob": null, "image/img/manifest": null, "image/img/config": 10, "container/ctr/x": null };
    const r = judgeUpstream(input({ layers, images, containers, dataSize: (k, id, key) => sizes[`${k}/${id}/${key}`] ?? null }));
    expect(r.layers.get("base")).toEqual(['layer base: data item "blob": layer data item is missing']);
    expect(r.images.get("img")).toEqual([
      'image img: data item "manifest": image data item is missing',
      'image img: data item "config": image data item has incorrect size',
      'layer base: data item "blob": layer data item is missing',
    ]);
    expect(r.containers.get("ctr")).toEqual(['container ctr: data item "x": container data item is missing']);
  });

  test("content errors are the layer's, prefixed", () => {
    const r = judgeUpstream(input({ contentErrors: new Map([["top", ["layer content incorrect digest", "+/new, layer content modified"]]]) }));
    expect(r.layers.get("top")).toEqual(["layer top: layer content incorrect digest", "layer top: +/new, layer content modified"]);
    expect(r.images.get("img")).toEqual(r.layers.get("top")!);
  });
});

describe("layerRemovalOrder()", () => {
  test("known layers child first, then unaccounted ones in the driver's order", () => {
    const layers: LayerRecord[] = [{ id: "a" }, { id: "b", parent: "a" }, { id: "c", parent: "b" }];
    const r = judgeUpstream(input({ layers, images: [], driverIds: ["z", "a", "b", "c", "y"] }));
    expect(layerRemovalOrder(r)).toEqual(["c", "b", "a", "z", "y"]);
  });
});

describe("parseGoDuration()", () => {
  test("Go's units and forms", () => {
    expect(parseGoDuration("0")).toBe(0);
    expect(parseGoDuration("24h")).toBe(24 * HOUR);
    expect(parseGoDuration("1h30m")).toBe(90 * 60_000);
    expect(parseGoDuration("1.5s")).toBe(1500);
    expect(parseGoDuration("500ms")).toBe(500);
    expect(parseGoDuration("-2m")).toBe(-120_000);
    for (const bad of ["", "1", "h", "1d", "1h 2m", "abc"]) expect(parseGoDuration(bad)).toBeNull();
  });
});

describe("content comparison", () => {
  test("tar-split names map to diff-directory paths: whiteouts to their target, opaque markers dropped", () => {
    expect([...expectedPaths(["./", "etc/", "etc/hosts", "./usr/.wh.old", "usr/", "var/.wh..wh..opq", "var/"])].sort()).toEqual(["etc", "etc/hosts", "usr", "usr/old", "var"]);
  });
  test("added and removed paths, sorted by path", () => {
    expect(compareTrees(new Set(["a", "b", "d"]), new Set(["a", "c", "d", "e"]))).toEqual(["-/b", "+/c", "+/e"]);
    expect(compareTrees(new Set(["a"]), new Set(["a"]))).toEqual([]);
  });
});
