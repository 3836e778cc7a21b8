/**
 * Image stores (store-set.ts): the options that name them, layer lookups and
 * chains across them, the rule that a chain entry resolves inside one of the
 * configured stores and nowhere else, and that a full cycle of work on top of
 * a read-only store writes nothing into it (its tree checksummed before and
 * after, modes and times included). In-process, no mounts.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyStorageOpts, parseImageStores, resolveStoreOptions } from "../../src/config/options.ts";
import { parseStorageConf } from "../../src/config/storage-conf.ts";
import { OvError } from "../../src/errors.ts";
import { updateNames } from "../../src/store/any-kind.ts";
import { readChain } from "../../src/store/layers/chain.ts";
import { createContainer, deleteContainer } from "../../src/store/lifecycle/containers.ts";
import { createLayer } from "../../src/store/lifecycle/create.ts";
import { readImages } from "../../src/store/records/image-store.ts";
import { createImage, deleteImage } from "../../src/store/lifecycle/images.ts";
import { readLayers } from "../../src/store/records/layer-store.ts";
import { isReadOnlyLayer } from "../../src/store/records/layers-json.ts";
import { StorePaths } from "../../src/store/paths.ts";
import { StoreRoot } from "../../src/store/files/safe-open.ts";
import { isFromReadOnlyStore, readOnlyLayerStore } from "../../src/store/store-set.ts";
import { deleteLayer, type DeleteHooks } from "../../src/store/lifecycle/delete.ts";

const noMounts: DeleteHooks = { mountCount: () => 0, unmountAll: async () => {} };

function thrown(f: () => unknown): OvError {
  try {
    f();
  } catch (e) {
    if (e instanceof OvError) return e;
    throw e;
  }
  throw new Error("expected an OvError");
}

/** Every entry below `root`: type, mode, owner, size, mtime, and the content (files) or target (symlinks). */
function treeSum(root: string): string {
  const lines: string[] = [];
  const walk = (rel: string): void => {
    const p = rel ? join(root, rel) : root;
    const st = lstatSync(p, { bigint: true });
    let what = "";
    if (st.isFile()) what = createHash("sha256").update(readFileSync(p)).digest("hex");
    else if (st.isSymbolicLink()) what = readlinkSync(p);
    lines.push(`${rel || "."} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeNs} ${st.ctimeNs} ${what}`);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(rel ? join(rel, n) : n);
  };
  walk("");
  return lines.join("\n");
}

describe("image store options", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ovl-is-"));
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "file"), "");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const base = { mountOptions: [], skipMountHome: false, imageStores: [] };

  test("overlay.imagestore and additionalimagestore add stores in order; '.KEY' and 'overlay2.KEY' are the driver's too", () => {
    const o = applyStorageOpts(base, [`overlay.imagestore=${dir}/a,${dir}/b/`, `.additionalimagestore=${dir}/b`, `overlay2.imagestore=`]);
    expect(o.imageStores).toEqual([`${dir}/a`, `${dir}/b`, `${dir}/b`]);
  });

  test("a relative path or a file is refused, naming it; a missing directory is an empty store", () => {
    expect(thrown(() => applyStorageOpts(base, ["overlay.imagestore=rel/dir"])).message).toContain('"rel/dir" is not absolute');
    expect(thrown(() => applyStorageOpts(base, [`overlay.imagestore=${dir}/file`])).message).toContain(`${dir}/file is not a directory`);
    expect(parseImageStores("overlay.imagestore", `${dir}/missing`)).toEqual([`${dir}/missing`]);
  });

  test("storage.conf: additionalimagestores become overlay.imagestore options, imagestore is the split store", () => {
    const c = parseStorageConf(`[storage]\nimagestore = "/split"\n[storage.options]\nadditionalimagestores = ["${dir}/a", "${dir}/b"]\n`, "f");
    expect(c.imageStore).toBe("/split");
    expect(c.overlayOptions).toEqual([`overlay.imagestore=${dir}/a`, `overlay.imagestore=${dir}/b`]);
    const o = resolveStoreOptions(c, {}, { graph: join(dir, "g"), storageOpts: [] });
    expect(o.overlay.imageStores).toEqual([`${dir}/a`, `${dir}/b`]);
    expect(o.imageStore).toBe("/split");
    expect(() => parseStorageConf("[storage.options]\nadditionalimagestores = [3]\n", "f")).toThrow("must be a list of strings");
  });

  test("--image-store is made absolute and must differ from the graph root", () => {
    const o = resolveStoreOptions({ overlayOptions: [] }, {}, { graph: "/g", imageStore: "is", storageOpts: [] }, "/cwd");
    expect(o.imageStore).toBe("/cwd/is");
    expect(thrown(() => resolveStoreOptions({ overlayOptions: [] }, {}, { graph: "/g", imageStore: "/g/", storageOpts: [] })).kind).toBe("usage");
  });
});

describe("layers across stores", () => {
  let dir: string;
  let ro: StorePaths;
  let rw: StorePaths;
  let roBase: string;
  let roTop: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-is-"));
    ro = new StorePaths(join(dir, "ro"), join(dir, "run"));
    roBase = (await createLayer(ro, {})).id;
    roTop = (await createLayer(ro, { parent: roBase })).id;
    writeFileSync(join(ro.diff(roTop), "f"), "ro\n");
    rw = new StorePaths(join(dir, "rw"), join(dir, "run"), null, [ro.graphRoot]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("a layer of a read-only store is listed read-only, found by its paths there, and is the parent of a new layer", async () => {
    const all = readLayers(rw);
    expect(all.map((l) => l.id)).toEqual([roBase, roTop]);
    expect(all.every((l) => isReadOnlyLayer(l) && isFromReadOnlyStore(l))).toBe(true);
    expect(rw.diff(roTop)).toBe(join(ro.home, roTop, "diff"));
    const child = await createLayer(rw, { parent: roTop });
    expect(rw.layer(child.id)).toBe(join(rw.home, child.id));
    expect(readFileSync(rw.lowerLayersFile(child.id), "utf8")).toBe(`${roTop}:${roBase}`);
    // The legacy lower file names the read-only store's l/ links, found there as upstream's driver finds them.
    expect(readFileSync(rw.lowerFile(child.id), "utf8")).toMatch(/^l\/[A-Z0-9]{26}:l\/[A-Z0-9]{26}$/);
    const chain = readChain(rw, child.id);
    expect(chain.lowers).toEqual([
      { id: roTop, diff: join(ro.home, roTop, "diff") },
      { id: roBase, diff: join(ro.home, roBase, "diff") },
    ]);
    rmSync(rw.lowerLayersFile(child.id));
    expect(readChain(rw, child.id).lowers.map((l) => l.id)).toEqual([roTop, roBase]);
    // Without the store configured, the same layer's chain does not resolve.
    const alone = new StorePaths(rw.graphRoot, rw.runRoot);
    expect(thrown(() => readChain(alone, child.id)).kind).toBe("corrupt");
  });

  test("a chain entry found only in a store that is not configured is refused", async () => {
    const other = new StorePaths(join(dir, "other"), join(dir, "run"));
    const stray = (await createLayer(other, {})).id;
    const child = await createLayer(rw, { parent: roTop });
    writeFileSync(rw.lowerLayersFile(child.id), `${stray}:${roBase}`);
    const e = thrown(() => readChain(rw, child.id, { action: "mount" }));
    expect(e.kind).toBe("corrupt");
    expect(e.message).toContain(`layer ${stray} does not exist`);
    // An l/ link of the read-write store pointing at it is refused the same way.
    rmSync(rw.lowerLayersFile(child.id));
    symlinkSync(`../${stray}/diff`, join(rw.linkDir, "STRAYLINK0000000000000000A"));
    writeFileSync(rw.lowerFile(child.id), "l/STRAYLINK0000000000000000A");
    expect(thrown(() => readChain(rw, child.id)).message).toContain(`it points at ${stray}, but layer ${stray} does not exist`);
    // Nothing is opened below a root that is not configured.
    const root = StoreRoot.open(rw.graphRoot, "test", rw.roots);
    try {
      expect(root.dir(ro.diff(roTop), "test")).toBeGreaterThan(0);
      expect(thrown(() => root.dir(other.diff(stray), "test")).message).toContain("is not below the graph root");
    } finally {
      root.close();
    }
  });

  test("a --readonly layer goes to the split image store, which finds its parent in the graph root", async () => {
    const graphParent = (await createLayer(rw, {})).id;
    const split = new StorePaths(rw.graphRoot, rw.runRoot, join(dir, "split"), [ro.graphRoot]);
    const target = readOnlyLayerStore(split);
    expect(target.layersJson).toBe(join(dir, "split", "overlay-layers", "layers.json"));
    const rec = await createLayer(target, { parent: graphParent, readonly: true });
    expect(split.layer(rec.id)).toBe(join(dir, "split", "overlay", rec.id));
    expect(readLayers(split).find((l) => l.id === rec.id)?.parent).toBe(graphParent);
    expect(split.imagesJson).toBe(join(dir, "split", "overlay-images", "images.json"));
    // Deleting: a split-store layer with a child in the graph root is refused; an image takes its split-store layers along.
    const child = await createLayer(split, { parent: rec.id });
    await expect(deleteLayer(split, rec.id, true, noMounts)).rejects.toThrow("layer has children");
    await deleteLayer(split, child.id, true, noMounts);
    const img = await createImage(split, { layer: rec.id });
    expect(await deleteImage(split, img.id, true, noMounts)).toEqual([rec.id, graphParent]);
    expect(readLayers(split).map((l) => l.id)).toEqual([roBase, roTop]);
    expect(readdirSync(join(dir, "split", "overlay")).sort()).toEqual(["l"]);
    const other = (await createLayer(target, { readonly: true })).id;
    expect(await deleteLayer(split, other, true, noMounts)).toBe(other);
    expect(readFileSync(target.layersJson, "utf8")).toBe("[]");
  });

  test("a full cycle on top of a read-only store writes nothing into it", async () => {
    const roImage = await createImage(ro, { layer: roTop, names: ["ro-image"] });
    const before = treeSum(ro.graphRoot);
    expect(readImages(rw).map((i) => [i.id, isFromReadOnlyStore(i)])).toEqual([[roImage.id, true]]);
    const child = await createLayer(rw, { parent: roTop });
    const img = await createImage(rw, { layer: child.id });
    const ctr = await createContainer(rw, { image: roImage.id });
    const mapped = await createContainer(rw, { image: "ro-image", uidmap: [{ container_id: 0, host_id: 100000, size: 65536 }], gidmap: [{ container_id: 0, host_id: 100000, size: 65536 }] });
    // Renaming a read-only image copies it into the read-write store first (upstream's pull-up).
    expect(await updateNames(rw, "ro-image", ["renamed"], "add")).toEqual(["renamed", "ro-image"]);
    expect(readImages(rw).filter((i) => i.id === roImage.id).map((i) => isFromReadOnlyStore(i))).toEqual([false]);
    await deleteContainer(rw, ctr.id, noMounts);
    await deleteContainer(rw, mapped.id, noMounts);
    expect(await deleteImage(rw, img.id, true, noMounts)).toEqual([child.id]);
    // Deleting the copy lists the read-only top layer (as upstream, which cannot see its parent) but leaves it alone.
    expect(await deleteImage(rw, "renamed", true, noMounts)).toEqual([roTop]);
    expect(readLayers(rw).map((l) => l.id)).toEqual([roBase, roTop]);
    expect(treeSum(ro.graphRoot)).toBe(before);
  });
});
