/**
 * ovlayer and podman 4.3 / buildah 1.28 sharing images and containers:
 * an image ovlayer registers the way a pull does (layer imported with
 * import-layer, image made with create-image --digest, manifest and config
 * stored with set-image-data) is listed, inspected and mounted by podman,
 * which also creates and mounts a container from it; and ovlayer mounts by
 * name an image buildah committed and a container podman created.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasPeers, peers, registerPulledImage, sha256, type Peers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type TempStore } from "../helpers/store.ts";


describe.skipIf(!canMount() || !hasContainersStorage() || !hasPeers())("ovlayer images and containers with podman and buildah", () => {
  let s: TempStore;
  let p: Peers;
  beforeAll(() => {
    s = tempStore("ovl-interop-podman-");
    p = peers(s);
  });
  afterAll(() => {
    p?.cleanup();
    s?.cleanup();
  });

  test("podman lists, inspects and mounts an image ovlayer registered as a pull would; podman create and mount work on it", () => {
    const { id, tar, manifestDigest: mdigest } = registerPulledImage(s, "localhost/ovl-pulled:1", "hello from ovlayer\n");

    expect(p.podmanOk(["images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}", "--no-trunc"])).toBe(`sha256:${id} localhost/ovl-pulled:1`);
    const inspect = JSON.parse(p.podmanOk(["image", "inspect", "localhost/ovl-pulled:1"]))[0];
    expect(inspect.Digest).toBe(mdigest);
    expect(inspect.Config.Cmd).toEqual(["/hello.txt"]);
    expect(inspect.RootFS.Layers).toEqual([sha256(tar)]);
    const imnt = p.podmanOk(["image", "mount", "localhost/ovl-pulled:1"]);
    expect(readFileSync(join(imnt, "hello.txt"), "utf8")).toBe("hello from ovlayer\n");
    p.podmanOk(["image", "umount", "localhost/ovl-pulled:1"]);

    const ctr = p.podmanOk(["create", "--name", "pc", "localhost/ovl-pulled:1"]);
    const cmnt = p.podmanOk(["mount", "pc"]);
    expect(readFileSync(join(cmnt, "hello.txt"), "utf8")).toBe("hello from ovlayer\n");
    p.podmanOk(["umount", "pc"]);
    // ovlayer sees podman's container, on ovlayer's image.
    expect(s.ovOk(["container", "--json", ctr])).toContain(`"image":"${id}"`);
    p.podmanOk(["rm", "pc"]);
    expect(s.ovOk(["containers"])).toBe("");
  }, 120_000);

  test("ovlayer mounts by name an image buildah committed and a container podman created", () => {
    const src = join(s.dir, "build-src");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "f.txt"), "built by buildah\n");
    p.build("localhost/ovl-built:1", "scratch", [{ src: join(src, "f.txt"), dest: "/f.txt" }]);
    const imnt = s.ovOk(["mount", "--ro", "localhost/ovl-built:1"]);
    expect(readFileSync(join(imnt, "f.txt"), "utf8")).toBe("built by buildah\n");
    expect(s.ovOk(["unmount", "localhost/ovl-built:1"])).toBe("localhost/ovl-built:1 mountpoint unmounted");

    p.podmanOk(["create", "--name", "built-ctr", "localhost/ovl-built:1", "/f.txt"]);
    const cmnt = s.ovOk(["mount", "built-ctr"]);
    expect(readFileSync(join(cmnt, "f.txt"), "utf8")).toBe("built by buildah\n");
    writeFileSync(join(cmnt, "by-ovlayer.txt"), "x");
    s.ovOk(["unmount", "built-ctr"]);
    const pmnt = p.podmanOk(["mount", "built-ctr"]);
    expect(existsSync(join(pmnt, "by-ovlayer.txt"))).toBe(true);
    p.podmanOk(["umount", "built-ctr"]);
    p.podmanOk(["rm", "built-ctr"]);
  }, 120_000);
});
