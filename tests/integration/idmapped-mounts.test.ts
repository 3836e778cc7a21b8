/**
 * Both ways ID maps reach a container's files, on a real store:
 *  - idmapped mounts (the default where the kernel has them): nothing is
 *    copied, the container's layer and a mapped layer record no maps, the
 *    container record keeps them, and the lower dirs are ID-mapped at mount
 *    time through R/overlay/<ID>/mapped/0, detached right after the mount;
 *  - copy-and-shift (_CONTAINERS_OVERLAY_DISABLE_IDMAP=yes): mapped copies.
 * Both show the same owners, ACL ids and capability rootid through merged,
 * leave no mount behind, and containers-storage 1.43 (and podman 4.3, on the
 * idmap path) mount what they wrote.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { lgetxattr, lsetxattr } from "../../src/sys/libc.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type TempStore } from "../helpers/store.ts";
import { acl, capV3 } from "../helpers/xattr-values.ts";
import { hasPeers, peers } from "../helpers/peers.ts";

const haveRoot = canMount();
const csAvailable = haveRoot && hasContainersStorage();
const U = 100000;
const G = 200000;
const MAPS = ["--uidmap", `0:${U}:65536`, "--gidmap", `0:${G}:65536`];
const ACL_IN = acl([[1, 6, 0xffffffff], [2, 4, 1000], [4, 4, 0xffffffff], [8, 4, 1001], [0x10, 6, 0xffffffff], [0x20, 4, 0xffffffff]]);
const ACL_MAPPED = acl([[1, 6, 0xffffffff], [2, 4, U + 1000], [4, 4, 0xffffffff], [8, 4, G + 1001], [0x10, 6, 0xffffffff], [0x20, 4, 0xffffffff]]);

const owner = (p: string) => {
  const st = lstatSync(p);
  return `${st.uid}:${st.gid}`;
};

/** Mount points at or below `dir`. */
const mountsBelow = (dir: string) => readMountinfo().filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(dir + "/"));

/** An image whose one layer holds: a 0:0 file, a 7:8 dir with a 5:6 file, an ACL and a v3 capability with rootid 0. */
function imageStore(s: TempStore): { base: string; image: string } {
  const base = firstLine(s.ovOk(["create-layer"]));
  const m = s.ovOk(["mount", base]);
  try {
    writeFileSync(join(m, "root-file"), "r\n");
    mkdirSync(join(m, "dir"));
    chownSync(join(m, "dir"), 7, 8);
    writeFileSync(join(m, "dir", "owned"), "owned\n");
    chownSync(join(m, "dir", "owned"), 5, 6);
    writeFileSync(join(m, "acl"), "acl\n");
    lsetxattr(join(m, "acl"), "system.posix_acl_access", ACL_IN);
    writeFileSync(join(m, "cap"), "cap\n");
    lsetxattr(join(m, "cap"), "security.capability", capV3(1000));
  } finally {
    s.ovOk(["unmount", base]);
  }
  return { base, image: firstLine(s.ovOk(["create-image", base])) };
}

/** What a container with MAPS must show through merged, whichever path made it. */
function expectMappedView(m: string): void {
  expect(owner(join(m, "root-file"))).toBe(`${U}:${G}`);
  expect(owner(join(m, "dir"))).toBe(`${U + 7}:${G + 8}`);
  expect(owner(join(m, "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
  expect(lgetxattr(join(m, "acl"), "system.posix_acl_access")).toEqual(ACL_MAPPED);
  const cap = lgetxattr(join(m, "cap"), "security.capability")!;
  expect(cap.length).toBe(24);
  expect(new DataView(cap.buffer, cap.byteOffset).getUint32(20, true)).toBe(U + 1000);
}

const layerDirs = (s: TempStore) => readdirSync(join(s.graph, "overlay")).filter((n) => /^[0-9a-f]{64}$/.test(n));
const layerRecord = (s: TempStore, id: string) => (JSON.parse(s.ovOk(["layer", "--json", id])) as Record<string, unknown>[])[0]!;

function idmapSupported(): boolean {
  if (!haveRoot) return false;
  const s = tempStore("ovl-idmount-probe-");
  try {
    s.ovOk(["create-layer"]);
    return s.ovOk(["status"]).includes("Supports shifting: true");
  } finally {
    s.ov(["wipe"]);
    s.cleanup();
  }
}
const idmapHere = idmapSupported();

describe.skipIf(!idmapHere)("ID maps by idmapped mounts", () => {
  let s: TempStore;
  let img: { base: string; image: string };
  let container: string;
  beforeAll(() => {
    s = tempStore("ovl-idmount-");
    img = imageStore(s);
    container = firstLine(s.ovOk(["create-container", ...MAPS, img.image]));
  });
  afterAll(() => {
    s.ov(["shutdown", "--force"]);
    s.cleanup();
  });

  test("status says so and the answer is cached where containers-storage caches it", () => {
    expect(s.ovOk(["status"])).toMatch(/^Supports shifting: true \(/m);
    expect(existsSync(join(s.runRoot, "overlay", "idmapped-lower-dir-true"))).toBe(true);
  });

  test("the container keeps its maps; its layer has none; the image's top layer is not copied", () => {
    const c = (JSON.parse(s.ovOk(["container", "--json", container])) as Record<string, unknown>[])[0]!;
    expect(c.uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    expect(c.gidmap).toEqual([{ container_id: 0, host_id: G, size: 65536 }]);
    const layer = layerRecord(s, c.layer as string);
    expect(layer.uidmap).toBeUndefined();
    expect(layer.parent).toBe(img.base);
    const image = (JSON.parse(s.ovOk(["image", "--json", img.image])) as Record<string, unknown>[])[0]!;
    expect(image["mapped-layers"]).toBeUndefined();
    expect(layerDirs(s).length).toBe(2);
    expect(existsSync(join(s.graph, "overlay", c.layer as string, "diff1"))).toBe(false);
    // The image's files are as they were written: container IDs.
    expect(owner(join(s.graph, "overlay", img.base, "diff", "dir", "owned"))).toBe("5:6");
  });

  test("mounted, the image's files show the mapped owners, ACL ids and capability rootid", () => {
    const m = s.ovOk(["--debug", "mount", container]);
    try {
      expectMappedView(m);
      const overlay = readMountinfo().find((e) => e.mountPoint === m)!;
      expect(overlay.superOptions).toContain("/mapped/0/");
      // The idmapped view was detached and its dirs removed as soon as overlay held the lower dirs.
      const layer = m.replace(/\/merged$/, "");
      expect(existsSync(join(layer, "mapped"))).toBe(false);
      expect(mountsBelow(join(layer, "mapped")).length).toBe(0);
    } finally {
      s.ovOk(["unmount", container]);
    }
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
  });

  test("every mount strategy (api, direct, fd) takes the idmapped lower dirs", () => {
    for (const strategy of ["api", "direct", "fd"]) {
      const r = s.ov(["--debug", "--storage-opt", `overlay.mount_strategy=${strategy}`, "mount", container]);
      expect(r.code).toBe(0);
      try {
        expect(r.stderr).toContain(`with the ${strategy} strategy`);
        expect(owner(join(r.stdout.trim(), "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
      } finally {
        s.ovOk(["unmount", container]);
      }
    }
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
  });

  test("a container with only a UID map keeps the host's GIDs", () => {
    const c = firstLine(s.ovOk(["create-container", "--uidmap", `0:${U}:65536`, img.image]));
    const m = s.ovOk(["mount", c]);
    try {
      expect(owner(join(m, "dir", "owned"))).toBe(`${U + 5}:6`);
    } finally {
      s.ovOk(["unmount", c]);
    }
    s.ovOk(["delete-container", c]);
  });

  test("a container on an image of a read-only additional store sees that store's lower dirs mapped too (mapped/1)", () => {
    const ro = tempStore("ovl-idmount-ro-");
    try {
      const roImg = imageStore(ro);
      ro.ovOk(["shutdown"]);
      const opt = ["--storage-opt", `overlay.imagestore=${ro.graph}`];
      const c = firstLine(s.ovOk([...opt, "create-container", ...MAPS, roImg.image]));
      const r = s.ov([...opt, "--debug", "mount", c]);
      expect(r.code).toBe(0);
      try {
        expectMappedView(r.stdout.trim());
        const overlay = readMountinfo().find((e) => e.mountPoint === r.stdout.trim())!;
        expect(overlay.superOptions).toContain("/mapped/1/");
        expect(overlay.superOptions).not.toContain(ro.graph);
      } finally {
        s.ovOk([...opt, "unmount", c]);
      }
      s.ovOk([...opt, "delete-container", c]);
      expect(mountsBelow(ro.graph).length).toBe(0);
      expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
    } finally {
      ro.cleanup();
    }
  });

  test("--debug names the path taken", () => {
    const r = s.ov(["--debug", "mount", container]);
    try {
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/lower dirs ID-mapped \(uid map 0:100000:65536, gid map 0:200000:65536\) through .*\/mapped\/0/);
    } finally {
      s.ovOk(["unmount", container]);
    }
  });

  test("a mount that fails leaves no idmapped view behind", () => {
    const r = s.ov(["mount", "-o", "nosuchoption=1", container]);
    expect(r.code).not.toBe(0);
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
    expect(layerDirs(s).some((d) => existsSync(join(s.graph, "overlay", d, "mapped")))).toBe(false);
  });

  test("a mapped layer records no maps and copies nothing (maps apply when a container mounts)", () => {
    const child = firstLine(s.ovOk(["create-layer", ...MAPS, img.base]));
    const rec = layerRecord(s, child);
    expect(rec.uidmap).toBeUndefined();
    expect(rec.gidmap).toBeUndefined();
    expect(existsSync(join(s.graph, "overlay", child, "diff1"))).toBe(false);
    expect(owner(join(s.graph, "overlay", child, "diff"))).toBe("0:0");
    const m = s.ovOk(["mount", child]);
    try {
      expect(owner(join(m, "dir", "owned"))).toBe("5:6");
    } finally {
      s.ovOk(["unmount", child]);
    }
    s.ovOk(["delete-layer", child]);
  });

  test("a child without flags of a layer that has maps (made by copy) gets no maps and a copy back to host IDs", () => {
    const mapped = firstLine(s.ovOk(["create-layer", ...MAPS, img.base], { env: { _CONTAINERS_OVERLAY_DISABLE_IDMAP: "yes" } }));
    expect(layerRecord(s, mapped).uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    const child = firstLine(s.ovOk(["create-layer", mapped]));
    expect(layerRecord(s, child).uidmap).toBeUndefined();
    expect(owner(join(s.graph, "overlay", child, "diff1", "dir", "owned"))).toBe("5:6");
    for (const l of [child, mapped]) s.ovOk(["delete-layer", l]);
  });

  test("with _CONTAINERS_OVERLAY_DISABLE_IDMAP=yes the container is refused, as upstream (shifting not enabled)", () => {
    const r = s.ov(["mount", container], { env: { _CONTAINERS_OVERLAY_DISABLE_IDMAP: "yes" } });
    expect(r.code).toBe(8);
    expect(r.stderr).toContain("shifting not enabled");
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
  });

  test("a view left mounted by a crash is detached at delete, never walked into", () => {
    const other = firstLine(s.ovOk(["create-container", ...MAPS, img.image]));
    const layer = (JSON.parse(s.ovOk(["container", "--json", other])) as Record<string, unknown>[])[0]!.layer as string;
    const view = join(s.graph, "overlay", layer, "mapped", "0");
    mkdirSync(view, { recursive: true });
    expect(run(["mount", "--bind", join(s.graph, "overlay"), view]).code).toBe(0);
    s.ovOk(["delete-container", other]);
    expect(mountsBelow(view).length).toBe(0);
    // The other layers' files are all still there.
    expect(existsSync(join(s.graph, "overlay", img.base, "diff", "dir", "owned"))).toBe(true);
    expect(s.ovOk(["layers", "-q"]).split("\n").length).toBe(2);
  });

  test.skipIf(!csAvailable)("containers-storage 1.43 mounts ovlayer's container the same way, and ovlayer mounts its", () => {
    const m = s.csOk(["mount", container]);
    try {
      expectMappedView(m);
    } finally {
      s.csOk(["unmount", container]);
    }
    const theirs = firstLine(s.csOk(["create-container", ...MAPS, img.image]));
    const layer = (JSON.parse(s.ovOk(["container", "--json", theirs])) as Record<string, unknown>[])[0]!.layer as string;
    expect(layerRecord(s, layer).uidmap).toBeUndefined();
    const m2 = s.ovOk(["mount", theirs]);
    try {
      expectMappedView(m2);
    } finally {
      s.ovOk(["unmount", theirs]);
    }
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
  });

  // Last: podman's unmount shuts the store down (the home's bind mount goes) and leaves mapped/ behind, as upstream.
  test.skipIf(!hasPeers())("podman 4.3 mounts ovlayer's container with the same view", () => {
    const p = peers(s);
    const m = p.podmanOk(["mount", container]);
    try {
      expectMappedView(m);
    } finally {
      p.podmanOk(["umount", container]);
    }
    expect(mountsBelow(join(s.graph, "overlay")).filter((e) => e.mountPoint !== join(s.graph, "overlay"))).toEqual([]);
  });
});

describe.skipIf(!haveRoot)("ID maps by copy-and-shift (_CONTAINERS_OVERLAY_DISABLE_IDMAP=yes)", () => {
  let s: TempStore;
  let img: { base: string; image: string };
  beforeAll(() => {
    s = tempStore("ovl-idcopy-");
    s.env._CONTAINERS_OVERLAY_DISABLE_IDMAP = "yes";
    img = imageStore(s);
  });
  afterAll(() => {
    s.ov(["shutdown", "--force"]);
    s.cleanup();
  });

  test("status says copy-and-shift", () => {
    expect(s.ovOk(["status"])).toContain("Supports shifting: false (copy-and-shift: _CONTAINERS_OVERLAY_DISABLE_IDMAP=yes)");
  });

  test("a container gets a mapped copy of the top layer, shows the same view, and mounts without an idmapped view", () => {
    const c = firstLine(s.ovOk(["create-container", ...MAPS, img.image]));
    const rec = (JSON.parse(s.ovOk(["container", "--json", c])) as Record<string, unknown>[])[0]!;
    expect(layerRecord(s, rec.layer as string).uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    const image = (JSON.parse(s.ovOk(["image", "--json", img.image])) as Record<string, unknown>[])[0]!;
    const copies = image["mapped-layers"] as string[];
    expect(copies.length).toBe(1);
    expect(owner(join(s.graph, "overlay", copies[0]!, "diff1", "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
    const m = s.ovOk(["mount", c]);
    try {
      expectMappedView(m);
      expect(readMountinfo().find((e) => e.mountPoint === m)!.superOptions).not.toContain("/mapped/");
    } finally {
      s.ovOk(["unmount", c]);
    }
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
  });

  test("a mapped layer records its maps and holds its parent's view shifted in diff1", () => {
    const child = firstLine(s.ovOk(["create-layer", ...MAPS, img.base]));
    expect(layerRecord(s, child).uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    expect(owner(join(s.graph, "overlay", child, "diff1", "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
    const m = s.ovOk(["mount", child]);
    try {
      expect(owner(join(m, "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
    } finally {
      s.ovOk(["unmount", child]);
    }
  });

  test("a child without map flags takes its parent's maps and copies nothing; --host*map gets none and a copy", () => {
    const mapped = firstLine(s.ovOk(["create-layer", ...MAPS, img.base]));
    const child = firstLine(s.ovOk(["create-layer", mapped]));
    expect(layerRecord(s, child).uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    expect(layerRecord(s, child).gidmap).toEqual([{ container_id: 0, host_id: G, size: 65536 }]);
    expect(existsSync(join(s.graph, "overlay", child, "diff1"))).toBe(false);
    const host = firstLine(s.ovOk(["create-layer", "--hostuidmap", "--hostgidmap", mapped]));
    expect(layerRecord(s, host).uidmap).toBeUndefined();
    expect(owner(join(s.graph, "overlay", host, "diff1", "dir", "owned"))).toBe("5:6");
    const r = s.ov(["create-layer", "--hostuidmap", "--uidmap", "0:1:1", mapped]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("host uid map specified along with UID mapping");
    for (const l of [host, child, mapped]) s.ovOk(["delete-layer", l]);
  });

  // 1.43 has no _CONTAINERS_OVERLAY_DISABLE_IDMAP: where the kernel has idmapped mounts it maps a
  // container's lowers at mount time whatever its layer holds, and fails on the diff1 of a copied
  // layer (ENOENT on mapped/0/l/diff1), also when given the container's layer ID (it finds the container).
  // A layer no container uses is mounted without maps: the mapped top layer reads as ovlayer copied it.
  test.skipIf(!csAvailable)("containers-storage 1.43 mounts the mapped copy of the top layer with the same owners", () => {
    const image = (JSON.parse(s.ovOk(["image", "--json", img.image])) as Record<string, unknown>[])[0]!;
    const layer = (image["mapped-layers"] as string[])[0]!;
    const m = s.csOk(["mount", layer]);
    try {
      expectMappedView(m);
    } finally {
      s.csOk(["unmount", layer]);
    }
    expect(mountsBelow(join(s.graph, "overlay")).map((e) => e.mountPoint)).toEqual([join(s.graph, "overlay")]);
  });
});
