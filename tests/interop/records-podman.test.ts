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
import { hasPeers, peers, type Peers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type TempStore } from "../helpers/store.ts";

const sha256 = (b: Uint8Array | string) => "sha256:" + new Bun.CryptoHasher("sha256").update(b).digest("hex");

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
    const src = join(s.dir, "layer-src");
    mkdirSync(src);
    writeFileSync(join(src, "hello.txt"), "hello from ovlayer\n");
    const tarFile = join(s.dir, "layer.tar");
    expect(run(["tar", "-C", src, "-cf", tarFile, "hello.txt"]).code).toBe(0);
    const tar = readFileSync(tarFile);
    const layer = firstLine(s.ovOk(["import-layer", "-f", tarFile]));
    const config = JSON.stringify({
      architecture: process.arch === "arm64" ? "arm64" : "amd64",
      os: "linux",
      config: { Cmd: ["/hello.txt"] },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
      history: [{ created_by: "ovlayer interop test" }],
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256(tar), size: tar.length }],
    });
    const mdigest = sha256(manifest);
    const id = sha256(config).slice("sha256:".length);
    writeFileSync(join(s.dir, "config.json"), config);
    writeFileSync(join(s.dir, "manifest.json"), manifest);
    s.ovOk(["create-image", "--id", id, "--digest", mdigest, "-n", "localhost/ovl-pulled:1", layer]);
    s.ovOk(["set-image-data", "-f", join(s.dir, "manifest.json"), id, `manifest-${mdigest}`]);
    s.ovOk(["set-image-data", "-f", join(s.dir, "manifest.json"), id, "manifest"]);
    s.ovOk(["set-image-data", "-f", join(s.dir, "config.json"), id, sha256(config)]);

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
