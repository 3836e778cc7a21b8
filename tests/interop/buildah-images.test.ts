/**
 * Images built by buildah 1.28 (several layers, files in each, a branch):
 * ovlayer lists and mounts their layers, and containers-storage 1.43 mounts a
 * layer ovlayer created on top of them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSampleImages,
  hasPeers,
  legacyProblems,
  mounted,
  parentChain,
  peers,
  readLayerRecords,
  storeProblems,
  treeOf,
  writeLayerFiles,
  type Peers,
  type SampleImage,
  type Tree,
  unmountLayers,
} from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";

describe.skipIf(!canMount() || !hasContainersStorage() || !hasPeers())("ovlayer and images built by buildah", () => {
  let s: TempStore;
  let p: Peers;
  let images: SampleImage[];
  const img = (name: string) => images.find((i) => i.name === name)!;
  const merged = (id: string) => join(s.graph, "overlay", id, "merged");

  beforeAll(() => {
    s = tempStore("ovl-interop-buildah-");
    p = peers(s);
    images = buildSampleImages(p, s.dir);
  }, 120_000);
  afterEach(() => {
    // Nothing a test mounted survives it, even when it failed.
    unmountLayers(s);
  });
  afterAll(() => {
    p?.cleanup();
    s?.cleanup();
  });

  test("buildah wrote the layers old tools read: link, l/ links and lower, no lower-layers", () => {
    // What buildah 1.28 itself writes (it predates lower-layers); the other tests rely on it.
    const records = readLayerRecords(s);
    expect(parentChain(records, img("localhost/ovl-app:2").top)).toHaveLength(2);
    for (const r of records) {
      expect(legacyProblems(s, r.id, records)).toEqual([]);
      expect(existsSync(join(s.graph, "overlay", r.id, "lower-layers"))).toBe(false);
      // skopeo rebuilds each layer's tar from this tar-split file and the diff dir.
      expect(existsSync(join(s.graph, "overlay-layers", `${r.id}.tar-split.gz`))).toBe(true);
    }
    expect(storeProblems(s)).toEqual([]);
    // ovlayer's own check finds nothing wrong in what buildah wrote (a working container included).
    const ctr = p.buildahOk(["from", "--pull=never", "--quiet", "--signature-policy", p.policy, img("localhost/ovl-app:2").name]);
    try {
      p.buildahOk(["mount", ctr]);
      expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
    } finally {
      p.buildah(["rm", ctr]);
    }
  }, 60_000);

  test("ovlayer lists every layer of the images exactly as containers-storage does", () => {
    for (const args of [["layers"], ["layers", "--tree"]]) expect(s.ovOk(args)).toBe(s.csOk(args));
    expect(JSON.parse(s.ovOk(["layers", "--json"]))).toEqual(JSON.parse(s.csOk(["layers", "--json"])));
    const listing = s.ovOk(["layers"]);
    for (const i of images) {
      expect(listing).toContain(`\timage: ${i.id}\n\t\tname: ${i.name}`);
      for (const id of [i.top, ...parentChain(readLayerRecords(s), i.top)]) {
        expect(s.ovOk(["layer", id])).toBe(s.csOk(["layer", id]));
        expect(s.ov(["exists", "-l", id]).code).toBe(0);
      }
    }
  }, 60_000);

  test("ovlayer exists answers as containers-storage for image names, image IDs and layers, with -l, -i or -c", () => {
    const i = img("localhost/ovl-app:2");
    const answers = (run: typeof s.cs) =>
      ["", "-l", "-i", "-c"].flatMap((flag) =>
        [i.name, i.id, i.top, "no-such-thing"].map((ref) => {
          const r = run(["exists", ...(flag ? [flag] : []), ref]);
          return `exists ${flag} ${ref}: exit ${r.code}, ${JSON.stringify(r.stdout)}`;
        }),
      );
    expect(answers(s.ov)).toEqual(answers(s.cs));
  }, 60_000);

  test("ovlayer mounts the top layer of every image and sees exactly the image's files", () => {
    for (const i of images) {
      const m = s.ovOk(["mount", i.top]);
      expect(m).toBe(merged(i.top));
      expect(mounted(m)).toBe(true);
      expect(s.csOk(["mounted", i.top])).toBe(`${i.top} mounted`);
      expect(treeOf(m)).toEqual(i.tree);
      if (i.tree["bin/busybox"]) expect(readFileSync(join(m, "bin/busybox")).equals(readFileSync("/bin/busybox"))).toBe(true);
      expect(s.ovOk(["unmount", i.top])).toBe(`${i.top} mountpoint unmounted`);
      expect(mounted(m)).toBe(false);
    }
  }, 60_000);

  test("ovlayer mounts a buildah layer read-only and sees the files up to that layer", () => {
    const app1 = img("localhost/ovl-app:1");
    const m = s.ovOk(["mount", "--ro", app1.top]);
    expect(treeOf(m)).toEqual(app1.tree);
    expect(() => writeFileSync(join(m, "new.txt"), "x")).toThrow(/read-only file system/);
    s.ovOk(["unmount", app1.top]);
    expect(existsSync(join(s.graph, "overlay", app1.top, "diff", "new.txt"))).toBe(false);
  }, 60_000);

  test("containers-storage mounts a layer ovlayer created on top of a buildah image and sees every file", () => {
    const app2 = img("localhost/ovl-app:2");
    const id = firstLine(s.ovOk(["create-layer", "-n", "ovl-on-app2", app2.top]));
    expect(legacyProblems(s, id)).toEqual([]);
    expect(readFileSync(join(s.graph, "overlay", id, "lower-layers"), "utf8")).toBe(
      [app2.top, ...parentChain(readLayerRecords(s), app2.top)].join(":"),
    );
    writeLayerFiles(s, id, { "ov.txt": "from ovlayer's layer\n", "a.txt": "a replaced by ovlayer's layer\n" });
    mkdirSync(join(s.graph, "overlay", id, "diff", "etc"));
    expect(Bun.spawnSync(["mknod", join(s.graph, "overlay", id, "diff", "etc", "motd"), "c", "0", "0"]).exitCode).toBe(0); // whiteout: deletes /etc/motd
    const want: Tree = { ...app2.tree, "ov.txt": "from ovlayer's layer\n", "a.txt": "a replaced by ovlayer's layer\n" };
    delete want["etc/motd"];

    const m = s.csOk(["mount", id]);
    expect(m).toBe(merged(id));
    expect(treeOf(m)).toEqual(want);
    expect(s.ovOk(["mounted", id])).toBe(`${id} mounted`);
    s.csOk(["unmount", id]);
    expect(mounted(m)).toBe(false);
    expect(treeOf(s.ovOk(["mount", id]))).toEqual(want);
    s.ovOk(["unmount", id]);

    // containers-storage stacks its own layer on ovlayer's, and ovlayer mounts that.
    const csChild = firstLine(s.csOk(["create-layer", id]));
    writeLayerFiles(s, csChild, { "cs.txt": "from containers-storage's layer\n" });
    expect(treeOf(s.ovOk(["mount", csChild]))).toEqual({ ...want, "cs.txt": "from containers-storage's layer\n" });
    s.ovOk(["unmount", csChild]);

    s.csOk(["delete-layer", csChild]);
    const lid = readFileSync(join(s.graph, "overlay", id, "link"), "utf8");
    s.ovOk(["delete-layer", id]);
    expect(s.cs(["exists", "-l", id]).code).toBe(1);
    expect(existsSync(join(s.graph, "overlay", "l", lid))).toBe(false);
    expect(storeProblems(s)).toEqual([]);
  }, 60_000);
});
