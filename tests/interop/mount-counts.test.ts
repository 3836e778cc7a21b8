/**
 * One mount count per layer, shared by every tool through
 * RR/overlay-layers/mountpoints.json: a layer mounted by containers-storage
 * (or podman) and by ovlayer stays mounted, once, until both have unmounted,
 * whichever order they go in.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { buildSampleImages, hasPeers, peers, treeOf, writeLayerFiles, type Peers, type SampleImage, unmountLayers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, OVLAYER, tempStore, type TempStore } from "../helpers/store.ts";

type Tool = "containers-storage" | "ovlayer" | "podman";

describe.skipIf(!canMount() || !hasContainersStorage() || !hasPeers())("mount counts shared across tools", () => {
  let s: TempStore;
  let p: Peers;
  let image: SampleImage;
  let csLayer: string;
  const merged = (id: string) => join(s.graph, "overlay", id, "merged");

  /** What every tool can see of layer `id`'s mount. */
  function state(id: string) {
    const f = join(s.runRoot, "overlay-layers", "mountpoints.json");
    const entry = existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { id: string; count: number; path: string }[]).find((e) => e.id === id) : undefined;
    return {
      count: entry?.count ?? 0,
      /** Overlay mounts at the mount point: never more than one, whoever mounted. */
      mounts: readMountinfo().filter((m) => m.mountPoint === merged(id) && m.fsType === "overlay").length,
      csSays: s.csOk(["mounted", id]),
      ovSays: s.ovOk(["mounted", id]),
    };
  }
  const isMounted = (id: string, count: number) => ({ count, mounts: 1, csSays: `${id} mounted`, ovSays: `${id} mounted` });
  const notMounted = { count: 0, mounts: 0, csSays: "", ovSays: "" };

  function mount(tool: Tool, id: string): string {
    if (tool === "containers-storage") return s.csOk(["mount", id]);
    if (tool === "ovlayer") return s.ovOk(["mount", id]);
    return p.podmanOk(["image", "mount", image.name]);
  }
  /** Unmounts; returns what the tool printed. */
  function unmount(tool: Tool, id: string): string {
    if (tool === "containers-storage") return s.csOk(["unmount", id]);
    if (tool === "ovlayer") return s.ovOk(["unmount", id]);
    return p.podmanOk(["image", "umount", image.name]);
  }

  beforeAll(() => {
    s = tempStore("ovl-interop-counts-");
    p = peers(s);
    image = buildSampleImages(p, s.dir).find((i) => i.name === "localhost/ovl-app:2")!;
    const base = firstLine(s.csOk(["create-layer"]));
    csLayer = firstLine(s.csOk(["create-layer", base]));
    writeLayerFiles(s, base, { "hello.txt": "hello from containers-storage\n" });
  }, 120_000);
  afterEach(() => {
    p?.podman(["image", "umount", "--all", "--force"]);
    unmountLayers(s);
  });
  afterAll(() => {
    p?.cleanup();
    s?.cleanup();
  });

  const pairs: [Tool, Tool][] = [
    ["containers-storage", "ovlayer"],
    ["ovlayer", "containers-storage"],
    ["podman", "ovlayer"],
    ["ovlayer", "podman"],
  ];
  for (const [first, second] of pairs) {
    test(`${first} mounts, ${second} mounts, ${first} unmounts: still mounted; ${second} unmounts: gone`, () => {
      const id = first === "podman" || second === "podman" ? image.top : csLayer;
      const want = id === image.top ? image.tree : { "hello.txt": "hello from containers-storage\n" };
      expect(state(id)).toEqual(notMounted);
      const m = mount(first, id);
      expect(m).toBe(merged(id));
      expect(state(id)).toEqual(isMounted(id, 1));
      expect(mount(second, id)).toBe(m);
      expect(state(id)).toEqual(isMounted(id, 2));
      // containers-storage and ovlayer print nothing while a mount remains; podman prints the image ID either way.
      const out1 = unmount(first, id);
      if (first === "podman") expect(out1).toBe(image.id);
      else expect(out1).toBe("");
      expect(state(id)).toEqual(isMounted(id, 1));
      expect(treeOf(m)).toEqual(want);
      const out2 = unmount(second, id);
      if (second === "podman") expect(out2).toBe(image.id);
      else expect(out2).toBe(`${id} mountpoint unmounted`);
      expect(state(id)).toEqual(notMounted);
    }, 60_000);
  }

  test("ovlayer and containers-storage mounting and unmounting one layer at the same time: exact count, one mount", async () => {
    const N = 6;
    const all = (verb: string) => Promise.all(["containers-storage", OVLAYER].flatMap((bin) => Array.from({ length: N }, () => s.start(bin, [verb, csLayer]))));
    const mounts = await all("mount");
    expect(mounts.filter((r) => r.code !== 0)).toEqual([]);
    expect(new Set(mounts.map((r) => r.stdout.trim()))).toEqual(new Set([merged(csLayer)]));
    expect(state(csLayer)).toEqual(isMounted(csLayer, 2 * N));
    const unmounts = await all("unmount");
    expect(unmounts.filter((r) => r.code !== 0)).toEqual([]);
    // Exactly one of them really unmounted, and said so.
    expect(unmounts.filter((r) => r.stdout.trim() === `${csLayer} mountpoint unmounted`)).toHaveLength(1);
    expect(state(csLayer)).toEqual(notMounted);
  }, 60_000);

  test("three tools on one layer: the mount goes away with the last of them, whatever the order", () => {
    const orders: Tool[][] = [
      ["ovlayer", "podman", "containers-storage"],
      ["containers-storage", "ovlayer", "podman"],
      ["podman", "containers-storage", "ovlayer"],
    ];
    const tools: Tool[] = ["containers-storage", "podman", "ovlayer"];
    for (const order of orders) {
      for (const t of tools) mount(t, image.top);
      expect(state(image.top)).toEqual(isMounted(image.top, 3));
      order.forEach((t, k) => {
        unmount(t, image.top);
        expect(state(image.top)).toEqual(k < 2 ? isMounted(image.top, 2 - k) : notMounted);
      });
    }
  }, 60_000);
});
