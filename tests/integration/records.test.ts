/**
 * Image and container verbs against a real store: records, dirs, big data,
 * names, metadata, deletes with their refusals, mounting by name, wipe, and
 * clear errors for damaged images.json / containers.json.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { StorePaths } from "../../src/store/paths.ts";
import { wipeImagesAndContainers } from "../../src/store/wipe-records.ts";
import { deleteHooks } from "../../src/cli/layers/delete-common.ts";
import { canMount, firstLine, tempStore, type TempStore } from "../helpers/store.ts";

const haveRoot = canMount();

describe.skipIf(!haveRoot)("image and container verbs", () => {
  let s: TempStore;
  beforeEach(() => {
    s = tempStore();
  });
  afterEach(() => s.cleanup());

  const images = () => JSON.parse(readFileSync(join(s.graph, "overlay-images/images.json"), "utf8"));
  const containers = () => JSON.parse(readFileSync(join(s.graph, "overlay-containers/containers.json"), "utf8"));

  test("create-image records the image; image, images and images-by-digest print it as containers-storage does", () => {
    const l = s.ovOk(["create-layer"]);
    const digest = "sha256:" + "a".repeat(64);
    const out = s.ovOk(["create-image", "-n", "localhost/app:1", "-m", "meta", "--digest", digest, l]);
    const id = firstLine(out);
    expect(out).toBe(`${id}\n\tlocalhost/app:1`);
    expect(images()).toEqual([{ id, digest, names: ["localhost/app:1"], layer: l, metadata: "meta", created: expect.any(String) }]);
    expect(readFileSync(join(s.graph, "overlay-images/images.lock")).length).toBe(64);
    expect(s.ovOk(["image", "localhost/app:1"])).toBe(`ID: ${id}\nName: localhost/app:1\nTop Layer: ${l}\nDigest: ${digest}\nSize: 0`);
    expect(s.ovOk(["images"])).toBe(`${id}\n\tname: localhost/app:1\n\tdigest: ${digest}`);
    expect(s.ovOk(["images-by-digest", "-q", digest])).toBe(id);
    expect(s.ov(["image", "nope"]).code).toBe(1);
    expect(s.ov(["create-image", "-n", "localhost/app:1"]).code).toBe(4);
    expect(s.ov(["create-image", "no-such-layer"]).code).toBe(3);
  });

  test("image data: files named as upstream, sizes, digests, the manifest digest, errors naming what is missing", () => {
    const id = firstLine(s.ovOk(["createimage"]));
    writeFileSync(join(s.dir, "m"), "hello");
    s.ovOk(["set-image-data", "-f", join(s.dir, "m"), id, "manifest"]);
    s.ovOk(["set-image-data", "-f", join(s.dir, "m"), id, "Big Key/x"]);
    expect(readdirSync(join(s.graph, "overlay-images", id)).sort()).toEqual(["=QmlnIEtleS94", "manifest"]);
    const sum = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    expect(images()[0].digest).toBe(sum);
    expect(s.ovOk(["list-image-data", id])).toBe("manifest\nBig Key/x");
    expect(s.ovOk(["get-image-data-size", id, "Big Key/x"])).toBe("5");
    expect(s.ovOk(["get-image-data-digest", id, "manifest"])).toBe(sum);
    expect(s.ovOk(["get-image-data", id, "Big Key/x"])).toBe("hello");
    expect(s.ovOk(["images-by-digest", "-q", sum])).toBe(id);
    const noImage = s.ov(["get-image-data", "nosuchimage", "x"]);
    expect(noImage.code).toBe(3);
    expect(noImage.stderr).toContain("image not known");
    const noItem = s.ov(["get-image-data", id, "nope"]);
    expect(noItem.code).toBe(3);
    expect(noItem.stderr).toContain("does not exist");
  });

  test("create-container makes a layer on the image's top layer; dirs, data, metadata and names work on it", () => {
    const l = s.ovOk(["create-layer"]);
    const img = firstLine(s.ovOk(["create-image", "-n", "img", l]));
    const c = firstLine(s.ovOk(["create-container", "-n", "ctr", "-m", "hello", "img"]));
    const rec = containers()[0];
    expect(rec).toMatchObject({ id: c, names: ["ctr"], image: img, metadata: "hello", flags: { MountLabel: "", ProcessLabel: "" } });
    expect(JSON.parse(s.ovOk(["layer", "--json", rec.layer]))[0].parent).toBe(l);
    expect(s.ovOk(["get-container-dir", "ctr"])).toBe(join(s.graph, "overlay-containers", c, "userdata"));
    expect(s.ovOk(["get-container-run-dir", "ctr"])).toBe(join(s.runRoot, "overlay-containers", c, "userdata"));
    expect(s.ovOk(["get-image-run-dir", "img"])).toBe(join(s.runRoot, "overlay-images", img, "userdata"));
    expect(s.ovOk(["metadata", "-q", "ctr"])).toBe("hello");
    s.ovOk(["set-metadata", "-m", "new", c]);
    expect(s.ovOk(["metadata", "ctr"])).toBe("ctr: new");
    s.ovOk(["add-names", "-n", "second", "ctr"]);
    expect(s.ovOk(["get-names", c])).toBe("second\nctr");
    expect(s.ovOk(["exists", "-c", "second"])).toBe("second: true");
    expect(s.ov(["exists", "-i", "second"]).code).toBe(1);
    expect(s.ovOk(["container", "ctr"])).toContain(`Layer: ${rec.layer}`);
    expect(s.ovOk(["containers"])).toBe(`${c}\n\tname: second\n\tname: ctr`);
    expect(s.ovOk(["container-parent-owners", "ctr"])).toBe(`ID: ${c}\nUIDs: []\nGIDs: []`);
  });

  test("delete-layer and delete-image refuse what an image or container uses; delete-container and delete-image clean up", () => {
    const l1 = s.ovOk(["create-layer"]);
    const l2 = s.ovOk(["create-layer", l1]);
    const img = firstLine(s.ovOk(["create-image", l2]));
    const r = s.ov(["delete-layer", l2]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`used by image ${img}`);
    const c = firstLine(s.ovOk(["create-container", img]));
    s.ovOk(["get-container-dir", c]);
    const busy = s.ov(["delete-image", img]);
    expect(busy.code).toBe(4);
    expect(busy.stderr).toContain(`image used by ${c}`);
    const cLayer = containers()[0].layer;
    expect(s.ov(["delete-layer", cLayer]).stderr).toContain(`used by container ${c}`);
    s.ovOk(["delete-container", c]);
    expect(existsSync(join(s.graph, "overlay-containers", c))).toBe(false);
    expect(s.ov(["exists", "-l", cLayer]).code).toBe(1);
    const test = s.ov(["delete-image", "--test", img]);
    expect(test.stderr).toBe(`${img}: ${l2}\n${img}: ${l1}\n`);
    expect(s.ov(["exists", "-i", img]).code).toBe(0);
    s.ovOk(["delete-image", img]);
    expect(images()).toEqual([]);
    expect(s.ov(["exists", l1]).code).toBe(1);
  });

  test("mount: a container on its image's stack, an image read-only with --ro; unmount takes all three", () => {
    const l = s.ovOk(["create-layer"]);
    const lm = s.ovOk(["mount", l]);
    writeFileSync(join(lm, "base"), "from the image");
    s.ovOk(["unmount", l]);
    s.ovOk(["create-image", "-n", "img", l]);
    s.ovOk(["create-container", "-n", "ctr", "img"]);
    const cm = s.ovOk(["mount", "ctr"]);
    expect(cm).toBe(join(s.graph, "overlay", containers()[0].layer, "merged"));
    expect(readFileSync(join(cm, "base"), "utf8")).toBe("from the image");
    writeFileSync(join(cm, "mine"), "x");
    expect(s.ovOk(["mounted", "ctr"])).toBe("ctr mounted");
    expect(s.ovOk(["unmount", "ctr"])).toBe("ctr mountpoint unmounted");
    const im = s.ovOk(["mount", "--ro", "img"]);
    expect(im).toBe(join(s.graph, "overlay", l, "merged"));
    expect(() => writeFileSync(join(im, "new"), "x")).toThrow("EROFS");
    expect(readFileSync(join(im, "base"), "utf8")).toBe("from the image");
    expect(existsSync(join(im, "mine"))).toBe(false);
    expect(s.ovOk(["unmount", "img"])).toBe("img mountpoint unmounted");
    expect(readMountinfo().some((m) => m.mountPoint === im)).toBe(false);
  });

  test("wipeImagesAndContainers() removes every container (with its layer) and image, and leaves the image layers", async () => {
    const l = s.ovOk(["create-layer"]);
    const img = firstLine(s.ovOk(["create-image", l]));
    writeFileSync(join(s.dir, "d"), "x");
    s.ovOk(["set-image-data", "-f", join(s.dir, "d"), img, "k"]);
    const c = firstLine(s.ovOk(["create-container", "--volatile", img]));
    s.ovOk(["mount", c]);
    s.ovOk(["get-container-run-dir", c]);
    const paths = new StorePaths(s.graph, s.runRoot);
    expect(await wipeImagesAndContainers(paths, deleteHooks(paths))).toEqual({ containers: 1, images: 1 });
    expect(s.ovOk(["containers"])).toBe("");
    expect(s.ovOk(["images"])).toBe("");
    expect(s.ovOk(["layers", "-q"])).toBe(l);
    expect(existsSync(join(s.runRoot, "overlay-containers", c))).toBe(false);
    expect(existsSync(join(s.graph, "overlay-images", img))).toBe(false);
    expect(readMountinfo().some((m) => m.mountPoint.startsWith(join(s.graph, "overlay") + "/"))).toBe(false);
  });

  test("containers in volatile-containers.json (newer upstream) are read, and stay there when ovlayer rewrites", () => {
    const l = s.ovOk(["create-layer"]);
    const c1 = firstLine(s.ovOk(["create-container", "--volatile", ""]));
    expect(containers()[0].flags.Volatile).toBe(true);
    const vfile = join(s.graph, "overlay-containers/volatile-containers.json");
    writeFileSync(vfile, JSON.stringify([{ id: "v1", names: ["vol"], image: "", layer: l, created: "2020-01-01T00:00:00Z", flags: { Volatile: true } }]));
    expect(s.ovOk(["containers"])).toBe(`${c1}\nv1\n\tname: vol`);
    s.ovOk(["set-metadata", "-m", "m", "vol"]);
    expect(JSON.parse(readFileSync(vfile, "utf8"))[0].metadata).toBe("m");
    expect(containers().map((c: { id: string }) => c.id)).toEqual([c1]);
  });

  test("an image whose layer does not exist gets clear errors, not a crash", () => {
    s.ovOk(["create-image", "-n", "img"]);
    const file = join(s.graph, "overlay-images/images.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"names"', '"layer":"gone","names"'));
    const m = s.ov(["mount", "--ro", "img"]);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain('"gone"');
    const c = s.ov(["create-container", "img"]);
    expect(c.code).toBe(3);
    expect(c.stderr).toContain("gone");
    expect(s.ovOk(["image", "img"])).toContain('Size unknown: locating layer with ID "gone": layer not known');
  });

  test("a damaged images.json or containers.json is a clear corrupt error (exit 5), never a crash", () => {
    s.ovOk(["create-container", firstLine(s.ovOk(["create-image"]))]);
    const file = join(s.graph, "overlay-images/images.json");
    const good = readFileSync(file, "utf8");
    for (const [text, words] of [
      [good.slice(0, 20), "does not parse as JSON"],
      ['[{"id":"a","names":"x"}]', '"names" must be string[]'],
      ['[{"id":"a"},{"id":"a"}]', "the same ID as entry 1"],
    ] as const) {
      writeFileSync(file, text);
      const r = s.ov(["images"]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain(words);
    }
    writeFileSync(file, good);
    const cfile = join(s.graph, "overlay-containers/containers.json");
    writeFileSync(cfile, '[{"id":"c","image":"","layer":{"x":1}}]');
    const r = s.ov(["containers"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('"layer" must be string');
    writeFileSync(cfile, '[{"id":"c","image":"","layer":"no-such-layer"}]');
    const m = s.ov(["mount", "c"]);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain("no-such-layer");
  });
});
