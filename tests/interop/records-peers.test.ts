/**
 * Images and containers shared with the peers: containers-storage 1.43
 * lists, inspects and deletes what ovlayer wrote and the other way round
 * (with images.json and containers.json rewritten byte for byte), and both
 * tools writing the three files at once lose no record.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatContainersJson, parseContainersJson } from "../../src/store/records/containers-json.ts";
import { formatImagesJson, parseImagesJson } from "../../src/store/records/images-json.ts";
import { canMount, firstLine, hasContainersStorage, OVLAYER, runAsync, tempStore, type TempStore } from "../helpers/store.ts";

const ready = canMount() && hasContainersStorage();

describe.skipIf(!ready)("images and containers between ovlayer and containers-storage 1.43", () => {
  let s: TempStore;
  beforeEach(() => {
    s = tempStore("ovl-interop-records-");
    writeFileSync(join(s.dir, "data"), "some data\n");
  });
  afterEach(() => s.cleanup());

  const imagesJson = () => readFileSync(join(s.graph, "overlay-images/images.json"), "utf8");
  const containersJson = () => readFileSync(join(s.graph, "overlay-containers/containers.json"), "utf8");

  test("containers-storage lists, inspects, mounts and deletes what ovlayer wrote", () => {
    const l = s.ovOk(["create-layer"]);
    const img = firstLine(s.ovOk(["create-image", "-n", "localhost/ov:1", "-m", "meta", l]));
    s.ovOk(["set-image-data", "-f", join(s.dir, "data"), img, "manifest"]);
    const c = firstLine(s.ovOk(["create-container", "-n", "ovc", img]));
    s.ovOk(["set-container-data", "-f", join(s.dir, "data"), c, "cfg key"]);
    const csImages = JSON.parse(s.csOk(["images", "--json"]));
    expect(csImages.map((i: { id: string }) => i.id)).toEqual([img]);
    expect(s.csOk(["image", "localhost/ov:1"])).toBe(s.ovOk(["image", "localhost/ov:1"]));
    expect(s.csOk(["container", "ovc"])).toBe(s.ovOk(["container", "ovc"]));
    expect(s.csOk(["get-image-data", img, "manifest"])).toBe("some data");
    expect(s.csOk(["get-container-data", "ovc", "cfg key"])).toBe("some data");
    expect(s.csOk(["get-image-data-digest", img, "manifest"])).toBe(s.ovOk(["get-image-data-digest", img, "manifest"]));
    expect(s.csOk(["metadata", "-q", img])).toBe("meta");
    const mnt = s.csOk(["mount", "ovc"]);
    expect(s.ovOk(["mounted", "ovc"])).toBe("ovc mounted");
    s.csOk(["unmount", "ovc"]);
    expect(mnt).toBe(s.ovOk(["mount", "ovc"]));
    s.ovOk(["unmount", "ovc"]);
    // containers-storage rewrites the files ovlayer wrote: ovlayer would write the same bytes.
    s.csOk(["set-metadata", "-m", "by cs", "ovc"]);
    expect(formatContainersJson(parseContainersJson(containersJson(), "f"))).toBe(containersJson());
    s.csOk(["delete-container", "ovc"]);
    s.csOk(["delete-image", img]);
    expect(s.ovOk(["images"])).toBe("");
    expect(s.ovOk(["containers"])).toBe("");
    expect(s.ovOk(["layers", "-q"])).toBe("");
  });

  test("ovlayer lists, inspects, mounts and deletes what containers-storage wrote, and rewrites it byte for byte", () => {
    const l = s.csOk(["create-layer"]);
    const img = firstLine(s.csOk(["create-image", "-n", "localhost/cs:1", "--digest", "sha256:" + "b".repeat(64), l]));
    s.csOk(["set-image-data", "-f", join(s.dir, "data"), img, "Some Key"]);
    const c = firstLine(s.csOk(["create-container", "-n", "csc", img]));
    s.csOk(["set-container-data", "-f", join(s.dir, "data"), c, "k"]);
    const before = { images: imagesJson(), containers: containersJson() };
    expect(s.ovOk(["images"])).toBe(s.csOk(["images"]));
    expect(s.ovOk(["containers"])).toBe(s.csOk(["containers"]));
    expect(s.ovOk(["images", "--json"])).toBe(s.csOk(["images", "--json"]));
    expect(s.ovOk(["containers", "--json"])).toBe(s.csOk(["containers", "--json"]));
    expect(s.ovOk(["get-image-data", "localhost/cs:1", "Some Key"])).toBe("some data");
    expect(s.ovOk(["images-by-digest", "-q", "sha256:" + "b".repeat(64)])).toBe(img);
    // A change by ovlayer rewrites both files exactly as containers-storage would.
    s.ovOk(["set-names", "-n", "csc", c]);
    s.ovOk(["add-names", "-n", "localhost/cs:1", img]);
    expect(imagesJson()).toBe(formatImagesJson(parseImagesJson(before.images, "f")).replace('"names":["localhost/cs:1"]', '"names":["localhost/cs:1"],"names-history":["localhost/cs:1"]'));
    expect(containersJson()).toBe(before.containers);
    const mnt = s.ovOk(["mount", "csc"]);
    writeFileSync(join(mnt, "from-ovlayer"), "x");
    s.ovOk(["unmount", "csc"]);
    const csMnt = s.csOk(["mount", "csc"]);
    expect(readFileSync(join(csMnt, "from-ovlayer"), "utf8")).toBe("x");
    s.csOk(["unmount", "csc"]);
    s.ovOk(["delete-container", "csc"]);
    s.ovOk(["delete-image", img]);
    expect(s.csOk(["images"])).toBe("");
    expect(s.csOk(["containers"])).toBe("");
    expect(s.csOk(["layers"])).toBe("");
  });
});

/** Images and containers each writer makes; every third pair is deleted again. */
const PER_WRITER = 8;
const WRITERS = [
  { name: "ov1", bin: OVLAYER },
  { name: "ov2", bin: OVLAYER },
  { name: "ov3", bin: OVLAYER },
  { name: "ov4", bin: OVLAYER },
  { name: "cs1", bin: "containers-storage" },
  { name: "cs2", bin: "containers-storage" },
] as const;

describe.skipIf(!ready)("4 ovlayer and 2 containers-storage processes writing images and containers at once", () => {
  let s: TempStore;
  beforeEach(() => {
    s = tempStore("ovl-interop-records-race-");
  });
  afterEach(() => s.cleanup());

  test("no record is lost in layers.json, images.json or containers.json", async () => {
    const base = firstLine(s.ovOk(["create-layer", "-n", "base"]));
    const scripts = WRITERS.map((w) => {
      const tool = `"${w.bin}" --graph "${s.graph}" --run "${s.runRoot}" --storage-driver overlay`;
      return `set -e
for i in $(seq 1 ${PER_WRITER}); do
  ${tool} create-image -n ${w.name}-img-$i base >/dev/null
  ${tool} create-container -n ${w.name}-ctr-$i ${w.name}-img-$i >/dev/null
  if [ $((i % 3)) -eq 0 ]; then
    ${tool} delete-container ${w.name}-ctr-$i >/dev/null
    ${tool} delete-image ${w.name}-img-$i >/dev/null 2>&1
  fi
done`;
    });
    const results = await Promise.all(scripts.map((sc) => runAsync(["sh", "-c", sc], { env: s.env })));
    results.forEach((r, i) => expect({ writer: WRITERS[i]!.name, code: r.code, stderr: r.stderr }).toEqual({ writer: WRITERS[i]!.name, code: 0, stderr: "" }));
    const kept = (kind: string) => WRITERS.flatMap((w) => Array.from({ length: PER_WRITER }, (_, i) => i + 1).filter((i) => i % 3 !== 0).map((i) => `${w.name}-${kind}-${i}`)).sort();
    const images = parseImagesJson(readFileSync(join(s.graph, "overlay-images/images.json"), "utf8"), "images.json");
    const containers = parseContainersJson(readFileSync(join(s.graph, "overlay-containers/containers.json"), "utf8"), "containers.json");
    expect(images.flatMap((i) => i.names ?? []).sort()).toEqual(kept("img"));
    expect(containers.flatMap((c) => c.names ?? []).sort()).toEqual(kept("ctr"));
    // Every container's layer exists, on the base layer; no other layer is left.
    const layers = JSON.parse(readFileSync(join(s.graph, "overlay-layers/layers.json"), "utf8")) as { id: string; parent?: string }[];
    expect(layers.map((l) => l.id).sort()).toEqual([base, ...containers.map((c) => c.layer)].sort());
    for (const c of containers) expect(layers.find((l) => l.id === c.layer)?.parent).toBe(base);
    // Both tools read the result.
    expect(s.ovOk(["containers", "--json"])).toBe(s.csOk(["containers", "--json"]));
    expect(s.ovOk(["images", "--json"])).toBe(s.csOk(["images", "--json"]));
  }, 180_000);
});
