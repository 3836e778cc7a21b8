/**
 * Layer tars, as skopeo reads them: a layer's tar is rebuilt from
 * R/overlay-layers/<ID>.tar-split.gz (headers and padding) and the files in
 * its diff. ovlayer's `diff` must give the bytes skopeo copies from buildah's
 * layers, and a layer ovlayer imports must come back from containers-storage
 * 1.43 (skopeo's code path) as the very tar that was imported.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSampleImages,
  hasPeers,
  parentChain,
  peers,
  readLayerRecords,
  readOciCopy,
  storeProblems,
  treeOf,
  type OciCopy,
  type Peers,
  type SampleImage,
  unmountLayers,
} from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type TempStore } from "../helpers/store.ts";

const enabled = canMount() && hasContainersStorage() && hasPeers();
const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe.skipIf(!enabled)("layer tars shared with skopeo", () => {
  let s: TempStore;
  let p: Peers;
  let app2: SampleImage;
  let copied: OciCopy;

  beforeAll(() => {
    s = tempStore("ovl-interop-tarsplit-");
    p = peers(s);
    app2 = buildSampleImages(p, s.dir).find((i) => i.name === "localhost/ovl-app:2")!;
    p.copyToOci(app2.name, join(s.dir, "oci", "app2"));
    copied = readOciCopy(join(s.dir, "oci", "app2"));
  }, 120_000);
  afterEach(() => {
    unmountLayers(s);
  });
  afterAll(() => {
    p?.cleanup();
    s?.cleanup();
  });

  test("ovlayer diff of each buildah layer gives the bytes skopeo copied", () => {
    const records = readLayerRecords(s);
    const chain = [app2.top, ...parentChain(records, app2.top)].reverse();
    expect(chain).toHaveLength(copied.manifest.layers.length);
    chain.forEach((id, k) => {
      const out = join(s.dir, `ov-diff-${k}.tar`);
      s.ovOk(["diff", "-u", "-f", out, id]);
      const bytes = readFileSync(out);
      const digest = copied.manifest.layers[k]!.digest;
      expect(sha256(bytes)).toBe(digest);
      expect(bytes.equals(Buffer.from(copied.blobs.get(digest)!))).toBe(true);
    });
  }, 60_000);

  test("a layer ovlayer imports comes back from containers-storage as the tar that was imported, and mounts with it", () => {
    const src = join(s.dir, "import-src");
    mkdirSync(join(src, "etc"), { recursive: true });
    writeFileSync(join(src, "etc", "motd"), "replaced by the imported layer\n");
    writeFileSync(join(src, "imported.txt"), "imported by ovlayer\n");
    linkSync(join(src, "imported.txt"), join(src, "hardlink.txt"));
    symlinkSync("imported.txt", join(src, "symlink"));
    const tar = join(s.dir, "import.tar");
    expect(run(["tar", "-C", src, "--numeric-owner", "-cf", tar, "etc", "imported.txt", "hardlink.txt", "symlink"]).code).toBe(0);
    const tarBytes = readFileSync(tar);

    const id = firstLine(s.ovOk(["import-layer", "-f", tar, app2.top]));
    try {
      const rec = readLayerRecords(s).find((r) => r.id === id)!;
      expect(rec["diff-digest"]).toBe(sha256(tarBytes));
      expect(rec["diff-size"]).toBe(tarBytes.length);
      const back = join(s.dir, "cs-diff.tar");
      s.csOk(["diff", "-f", back, id]);
      expect(readFileSync(back).equals(tarBytes)).toBe(true);

      const m = s.csOk(["mount", id]);
      expect(treeOf(m)).toEqual({
        ...app2.tree,
        "etc/motd": "replaced by the imported layer\n",
        "imported.txt": "imported by ovlayer\n",
        "hardlink.txt": "imported by ovlayer\n",
        symlink: "-> imported.txt",
      });
      s.csOk(["unmount", id]);
      expect(storeProblems(s)).toEqual([]);
    } finally {
      s.ov(["delete-layer", id]);
    }
  }, 60_000);
});
