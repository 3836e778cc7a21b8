/**
 * Read-only additional image stores shared with podman 4.3, both ways, the
 * store made really read-only (a read-only bind mount onto itself):
 *
 *   - an image ovlayer registered (as a pull does) in a store that is then
 *     made read-only serves containers podman creates and mounts with
 *     `--storage-opt overlay.imagestore=`, and containers ovlayer creates;
 *   - an image `podman import` made in podman's store, then made read-only,
 *     is listed read-only by ovlayer, serves an ovlayer container, and
 *     ovlayer's check reports nothing there.
 *
 * Each read-only store's tree is checksummed before and after. Images are
 * made locally (no registry). Every mount is undone even on failure.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasPeers, peers, registerPulledImage, type Peers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, unmountBelow, type TempStore } from "../helpers/store.ts";


function treeSum(root: string): string {
  const lines: string[] = [];
  const walk = (rel: string): void => {
    const p = rel ? join(root, rel) : root;
    const st = lstatSync(p, { bigint: true });
    const what = st.isFile() ? createHash("sha256").update(readFileSync(p)).digest("hex") : st.isSymbolicLink() ? readlinkSync(p) : "";
    lines.push(`${rel || "."} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeNs} ${what}`);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(rel ? join(rel, n) : n);
  };
  walk("");
  return lines.join("\n");
}

/** Makes `dir` read-only in place: a bind mount onto itself, remounted read-only (undone by unmountBelow). */
function makeReadOnly(dir: string): void {
  for (const argv of [["mount", "--bind", dir, dir], ["mount", "-o", "remount,ro,bind", dir]]) {
    const r = run(argv);
    if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  }
  const probe = run(["touch", join(dir, "probe")]);
  if (probe.code === 0) throw new Error(`${dir} is still writable`);
}

describe.skipIf(!canMount() || !hasContainersStorage() || !hasPeers())("read-only image stores shared with podman", () => {
  let ro: TempStore;
  let rw: TempStore;
  let p: Peers;
  beforeAll(() => {
    ro = tempStore("ovl-interop-ro-");
    rw = tempStore("ovl-interop-rw-");
    p = peers(rw);
  });
  afterAll(() => {
    p?.cleanup();
    if (ro) unmountBelow(ro.graph);
    rw?.cleanup();
    ro?.cleanup();
  });

  test("ovlayer's read-only store serves containers podman and ovlayer create on it", () => {
    // An image registered as a pull would: layer, manifest, config.
    const { id, layer } = registerPulledImage(ro, "localhost/ro-image:1", "hello from the read-only store\n");
    ro.ovOk(["shutdown"]);
    makeReadOnly(ro.graph);
    const before = treeSum(ro.graph);
    const opt = ["--storage-opt", `overlay.imagestore=${ro.graph}`];

    // podman: the image is listed, a container made on it mounts the read-only layer's file.
    expect(p.podmanOk([...opt, "images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}", "--no-trunc"])).toBe(`sha256:${id} localhost/ro-image:1`);
    const pc = p.podmanOk([...opt, "create", "--name", "on-ro", "localhost/ro-image:1"]);
    const pm = p.podmanOk([...opt, "mount", pc]);
    expect(readFileSync(join(pm, "hello.txt"), "utf8")).toBe("hello from the read-only store\n");
    p.podmanOk([...opt, "umount", pc]);

    // ovlayer on the same read-write store sees podman's container and the read-only image, and makes its own.
    expect(rw.ovOk([...opt, "image", id])).toContain("Read Only: true");
    expect(rw.ovOk([...opt, "layer", layer])).toContain("Read Only: true");
    const oc = firstLine(rw.ovOk([...opt, "create-container", "--name", "ovl-on-ro", "localhost/ro-image:1"]));
    const om = rw.ovOk([...opt, "mount", oc]);
    expect(readFileSync(join(om, "hello.txt"), "utf8")).toBe("hello from the read-only store\n");
    writeFileSync(join(om, "new.txt"), "written in the container\n");
    rw.ovOk([...opt, "unmount", oc]);
    expect(p.podmanOk([...opt, "ps", "-a", "--external", "--format", "{{.Names}}"]).split("\n").sort()).toEqual(["on-ro", "ovl-on-ro"]);
    // Deleting the layer of a read-only store is refused: only the read-write store's layers.json is changed.
    const refused = rw.ov([...opt, "delete-layer", layer]);
    expect([refused.code, refused.stderr]).toEqual([3, expect.stringContaining(`it is in the image store ${ro.graph}`)]);
    expect(rw.ov([...opt, "check"]).stdout).toBe("");
    rw.ovOk([...opt, "delete-container", oc]);
    p.podmanOk([...opt, "rm", pc]);
    expect(treeSum(ro.graph)).toBe(before);
  });

  test("podman's read-only store serves an ovlayer container", () => {
    const pstore = tempStore("ovl-interop-podstore-");
    const pp = peers(pstore);
    try {
      const src = join(pstore.dir, "src");
      mkdirSync(src);
      writeFileSync(join(src, "from-podman.txt"), "imported by podman\n");
      const tarFile = join(pstore.dir, "rootfs.tar");
      expect(run(["tar", "-C", src, "-cf", tarFile, "from-podman.txt"]).code).toBe(0);
      const imported = pp.podmanOk(["import", "--quiet", tarFile, "localhost/imported:1"]).replace(/^sha256:/, "");
      pp.cleanup();
      unmountBelow(pstore.graph);
      makeReadOnly(pstore.graph);
      const before = treeSum(pstore.graph);
      const opt = ["--storage-opt", `overlay.imagestore=${pstore.graph}`];
      expect(rw.ovOk([...opt, "images", "-q"]).split("\n")).toContain(imported);
      expect(rw.ovOk([...opt, "image", "localhost/imported:1"])).toContain("Read Only: true");
      const c = firstLine(rw.ovOk([...opt, "create-container", "localhost/imported:1"]));
      const m = rw.ovOk([...opt, "mount", c]);
      expect(readFileSync(join(m, "from-podman.txt"), "utf8")).toBe("imported by podman\n");
      rw.ovOk([...opt, "unmount", c]);
      expect(rw.ov([...opt, "check"]).stdout).toBe("");
      rw.ovOk([...opt, "delete-container", c]);
      expect(treeSum(pstore.graph)).toBe(before);
    } finally {
      pp.cleanup();
      pstore.cleanup();
    }
  });
});
