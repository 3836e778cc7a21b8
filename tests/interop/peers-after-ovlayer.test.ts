/**
 * ovlayer must never be the tool that breaks the others. After ovlayer has
 * created, mounted, unmounted and deleted layers in a store (then after
 * `ovlayer repair`, then after `ovlayer migrate` keeping the legacy links):
 * skopeo 1.9 copies every image byte for byte as before, buildah 1.28 builds
 * on the images, podman 4.3 mounts them and their containers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  buildSampleImages,
  hasPeers,
  imageTopLayer,
  isSymlinkFree,
  legacyProblems,
  mounted,
  parentChain,
  peers,
  readLayerRecords,
  readOciCopy,
  storeProblems,
  treeOf,
  writeLayerFiles,
  type OciCopy,
  type Peers,
  type SampleImage,
  unmountLayers,
} from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type TempStore } from "../helpers/store.ts";

const enabled = canMount() && hasContainersStorage() && hasPeers();

describe.skipIf(!enabled)("buildah, skopeo and podman after ovlayer used the store", () => {
  let s: TempStore;
  let p: Peers;
  let images: SampleImage[];
  /** skopeo's copy of each image, taken before ovlayer touched the store (or right after buildah built it). */
  const before = new Map<string, OciCopy>();
  let copies = 0;
  const home = () => join(s.graph, "overlay");
  const merged = (id: string) => join(home(), id, "merged");
  const img = (name: string) => images.find((i) => i.name === name)!;
  const copy = (image: string) => {
    const dir = join(s.dir, "oci", String(++copies));
    p.copyToOci(image, dir);
    return readOciCopy(dir);
  };

  beforeAll(() => {
    s = tempStore("ovl-interop-after-");
    p = peers(s);
    images = buildSampleImages(p, s.dir);
    for (const i of images) {
      const c = copy(i.name);
      // Each copied layer is the tar the store reassembles: its digest is the layer's diff-digest.
      const records = readLayerRecords(s);
      const chain = [i.top, ...parentChain(records, i.top)].reverse();
      expect(c.manifest.layers.map((l) => l.digest)).toEqual(chain.map((id) => records.find((r) => r.id === id)!["diff-digest"] as string));
      for (const [d, bytes] of c.blobs) expect(`sha256:${createHash("sha256").update(bytes).digest("hex")}`).toBe(d);
      before.set(i.name, c);
    }
  }, 120_000);
  afterEach(() => {
    // Whatever a test mounted is unmounted, even when it failed: peers' mounts first, then ovlayer's.
    p?.podman(["umount", "--all", "--force"]);
    p?.podman(["image", "umount", "--all", "--force"]);
    unmountLayers(s);
  });
  afterAll(() => {
    p?.cleanup();
    s?.cleanup();
  });

  /** The same checks after each thing ovlayer did to the store. */
  function peersStillWork(stage: string) {
    test(`${stage}: skopeo copies every image, byte-identical to the copy taken before`, () => {
      expect(before.size).toBeGreaterThanOrEqual(images.length);
      for (const [name, was] of before) {
        const now = copy(name);
        expect(now.manifestDigest).toBe(was.manifestDigest);
        expect(now.manifest).toEqual(was.manifest);
        expect([...now.blobs.keys()]).toEqual([...was.blobs.keys()]);
        for (const [d, bytes] of was.blobs) expect(Buffer.from(now.blobs.get(d)!).equals(Buffer.from(bytes))).toBe(true);
      }
    }, 60_000);

    test(`${stage}: podman image mount shows every file of every image`, () => {
      for (const i of images) {
        const m = p.podmanOk(["image", "mount", i.name]);
        expect(m).toBe(merged(i.top));
        expect(treeOf(m)).toEqual(i.tree);
        expect(s.ovOk(["mounted", i.top])).toBe(`${i.top} mounted`); // the count podman keeps is the one ovlayer reads
        p.podmanOk(["image", "umount", i.name]);
        expect(mounted(m)).toBe(false);
      }
    }, 60_000);

    test(`${stage}: buildah from + copy + commit on top of an image works, and podman and skopeo read the new image`, () => {
      const base = img("localhost/ovl-app:2");
      const name = `localhost/ovl-built-${stage.replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "")}:1`;
      const src = join(s.dir, `${name.replace(/[^a-z0-9]+/g, "-")}.txt`);
      writeFileSync(src, `built by buildah ${stage}\n`);
      const id = p.build(name, base.name, [{ src, dest: "/built.txt" }]);
      const top = imageTopLayer(s, id);
      expect(parentChain(readLayerRecords(s), top)[0]).toBe(base.top);
      const m = p.podmanOk(["image", "mount", name]);
      expect(treeOf(m)).toEqual({ ...base.tree, "built.txt": `built by buildah ${stage}\n` });
      p.podmanOk(["image", "umount", name]);
      const c = copy(name);
      before.set(name, c); // later stages copy it again
      const was = before.get(base.name)!;
      expect(c.manifest.layers.slice(0, -1)).toEqual(was.manifest.layers);
      for (const l of was.manifest.layers) expect(Buffer.from(c.blobs.get(l.digest)!).equals(Buffer.from(was.blobs.get(l.digest)!))).toBe(true);
      // ovlayer sees the new image like containers-storage does
      expect(s.ovOk(["layers"])).toBe(s.csOk(["layers"]));
      expect(treeOf(s.ovOk(["mount", top]))).toEqual({ ...base.tree, "built.txt": `built by buildah ${stage}\n` });
      s.ovOk(["unmount", top]);
    }, 60_000);

    test(`${stage}: podman creates and mounts a container on every image; ovlayer sees it and will not delete its layer`, () => {
      for (const i of images) {
        const ctr = p.podmanOk(["create", "--network", "none", i.name, "/bin/true"]);
        try {
          const m = p.podmanOk(["mount", ctr]);
          expect(treeOf(m)).toEqual(i.tree);
          const layer = (JSON.parse(readFileSync(join(s.graph, "overlay-containers", "containers.json"), "utf8")) as { id: string; layer: string }[]).find(
            (c) => c.id === ctr,
          )!.layer;
          expect(m).toBe(merged(layer));
          // podman 4.3 writes the legacy files only: no lower-layers, whatever its parents have.
          expect(legacyProblems(s, layer)).toEqual([]);
          expect(existsSync(join(home(), layer, "lower-layers"))).toBe(false);
          expect(s.ovOk(["mounted", layer])).toBe(`${layer} mounted`);
          expect(s.ovOk(["layers"])).toBe(s.csOk(["layers"]));
          expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
          expect(s.ovOk(["layers"])).toMatch(new RegExp(`^${layer}\n(\t.*\n)*\tcontainer: ${ctr}$`, "m"));
          const del = s.ov(["delete-layer", layer]);
          expect(del.code).toBe(4);
          expect(del.stderr).toContain(`used by container ${ctr}`);
          p.podmanOk(["umount", ctr]);
          expect(mounted(m)).toBe(false);
        } finally {
          p.podman(["rm", "--force", ctr]);
        }
        expect(p.podman(["container", "exists", ctr]).code).toBe(1);
      }
    }, 60_000);
  }

  describe("after ovlayer created, mounted, unmounted and deleted layers", () => {
    beforeAll(() => {
      const diff = (id: string) => join(home(), id, "diff");
      // Mount every image's top layer twice (read-write, as users do), read it, unmount twice.
      for (const i of images) {
        const m = s.ovOk(["mount", i.top]);
        expect(s.ovOk(["mount", i.top])).toBe(m);
        expect(treeOf(m)).toEqual(i.tree);
        expect(s.ov(["unmount", i.top]).stdout).toBe("");
        expect(mounted(m)).toBe(true);
        expect(s.ovOk(["unmount", i.top])).toBe(`${i.top} mountpoint unmounted`);
      }
      // delete-layer refuses the layers of images (a layer with children says so first).
      const records = readLayerRecords(s);
      for (const i of images) {
        const r = s.ov(["delete-layer", i.top]);
        expect(r.code).toBe(4);
        expect(r.stderr).toContain(records.some((l) => l.parent === i.top) ? "layer has children" : `used by image ${i.id}`);
      }
      // A layer on every image, written directly and through an ovlayer mount, also mounted by containers-storage.
      const onTop = new Map<string, string>();
      for (const i of images) {
        const id = firstLine(s.ovOk(["create-layer", i.top]));
        expect(legacyProblems(s, id)).toEqual([]);
        writeLayerFiles(s, id, { "ov-layer.txt": `${i.name}\n` });
        const m = s.ovOk(["mount", id]);
        writeFileSync(join(m, "through-mount.txt"), "x\n");
        expect(readFileSync(join(diff(id), "through-mount.txt"), "utf8")).toBe("x\n");
        expect(s.csOk(["mount", id])).toBe(m);
        expect(treeOf(m)).toEqual({ ...i.tree, "ov-layer.txt": `${i.name}\n`, "through-mount.txt": "x\n" });
        s.csOk(["unmount", id]);
        expect(s.ovOk(["unmount", id])).toBe(`${id} mountpoint unmounted`);
        onTop.set(i.name, id);
      }
      // A chain of three on one of them; delete-layer refuses a parent, then removes leaves first.
      const chain: string[] = [];
      let parent = onTop.get("localhost/ovl-app:2")!;
      for (let k = 0; k < 3; k++) chain.push((parent = firstLine(s.ovOk(["create-layer", parent]))));
      expect(s.ov(["delete-layer", chain[0]!]).stderr).toContain("layer has children");
      // `delete` (no safety checks) of a mounted layer unmounts it first.
      const m = s.ovOk(["mount", chain[2]!]);
      s.ovOk(["delete", chain[2]!]);
      expect(mounted(m)).toBe(false);
      s.ovOk(["delete-layer", chain[1]!, chain[0]!]);
      // A layer containers-storage imports (it gets a tar-split file), mounted and deleted by ovlayer.
      const tarSrc = join(s.dir, "import-src");
      mkdirSync(join(tarSrc, "imported"), { recursive: true });
      writeFileSync(join(tarSrc, "imported", "i.txt"), "imported by containers-storage\n");
      const tar = join(s.dir, "import.tar");
      expect(run(["tar", "-C", tarSrc, "-cf", tar, "imported"]).code).toBe(0);
      const app1 = img("localhost/ovl-app:1");
      const imported = firstLine(s.csOk(["import-layer", "-f", tar, app1.top]));
      const tarSplit = join(s.graph, "overlay-layers", `${imported}.tar-split.gz`);
      expect(existsSync(tarSplit)).toBe(true);
      expect(treeOf(s.ovOk(["mount", imported]))).toEqual({ ...app1.tree, "imported/i.txt": "imported by containers-storage\n" });
      s.ovOk(["unmount", imported]);
      const lid = readFileSync(join(home(), imported, "link"), "utf8");
      s.ovOk(["delete-layer", imported]);
      expect(existsSync(tarSplit)).toBe(false);
      expect(existsSync(join(home(), "l", lid))).toBe(false);
      // And every layer made on the images.
      s.ovOk(["delete-layer", ...onTop.values()]);
      expect(storeProblems(s)).toEqual([]);
      expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
      expect(JSON.parse(readFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "utf8"))).toEqual([]);
    }, 120_000);

    peersStillWork("after create, mount, unmount, delete");
  });

  describe("after ovlayer repair", () => {
    beforeAll(() => {
      s.ovOk(["repair"]);
      expect(storeProblems(s)).toEqual([]);
      expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
    }, 120_000);

    peersStillWork("after repair");

    test("after repair: an l/ link lost from a buildah layer is back, and the peers read the image", () => {
      const base = img("localhost/ovl-base:1");
      const lid = readFileSync(join(home(), base.top, "link"), "utf8");
      unlinkSync(join(home(), "l", lid));
      expect(storeProblems(s)).not.toEqual([]);
      // Our peers would recreate the link behind our back on their next read: repair must come first.
      s.ovOk(["repair"]);
      expect(readlinkSync(join(home(), "l", lid))).toBe(`../${base.top}/diff`);
      expect(storeProblems(s)).toEqual([]);
      const app2 = img("localhost/ovl-app:2");
      expect(treeOf(p.podmanOk(["image", "mount", app2.name]))).toEqual(app2.tree);
      p.podmanOk(["image", "umount", app2.name]);
      const now = copy(app2.name);
      expect(now.manifestDigest).toBe(before.get(app2.name)!.manifestDigest);
    }, 60_000);
  });

  describe("after ovlayer migrate, keeping the legacy links", () => {
    beforeAll(() => {
      s.ovOk(["migrate"]);
      // Without --drop-legacy-links the store stays readable by the old tools.
      expect(isSymlinkFree(s)).toBe(false);
      expect(storeProblems(s)).toEqual([]);
      expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
      // Every layer with a parent now has lower-layers (storeProblems checked it agrees with layers.json).
      for (const r of readLayerRecords(s)) if (r.parent) expect(existsSync(join(home(), r.id, "lower-layers"))).toBe(true);
    }, 120_000);

    peersStillWork("after migrate");

    test("after migrate: a layer ovlayer creates still gets legacy links, and containers-storage mounts it", () => {
      const app2 = img("localhost/ovl-app:2");
      const id = firstLine(s.ovOk(["create-layer", app2.top]));
      try {
        expect(legacyProblems(s, id)).toEqual([]);
        writeLayerFiles(s, id, { "after-migrate.txt": "new\n" });
        expect(treeOf(s.csOk(["mount", id]))).toEqual({ ...app2.tree, "after-migrate.txt": "new\n" });
        s.csOk(["unmount", id]);
      } finally {
        s.ov(["delete", id]);
      }
      expect(storeProblems(s)).toEqual([]);
    }, 60_000);
  });
});
