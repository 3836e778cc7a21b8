/**
 * ID-mapped layers on a real store: a mapped child of an unmapped parent
 * gets the parent's contents copied into its diff1 with owners, ACL entries
 * and the capability rootid shifted; applydiff and diff map IDs both ways;
 * containers-storage 1.43 lists and mounts what ovlayer wrote. This is the
 * copy-and-shift path (_CONTAINERS_OVERLAY_DISABLE_IDMAP=yes, as the upstream
 * suite runs); idmapped-mounts.test.ts tests the path without copies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lgetxattr, lsetxattr } from "../../src/sys/libc.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";
import { acl, capV3 } from "../helpers/xattr-values.ts";

const haveRoot = canMount();
const csAvailable = haveRoot && hasContainersStorage();
const U = 100000;
const G = 200000;

const owner = (p: string) => {
  const st = lstatSync(p);
  return `${st.uid}:${st.gid}`;
};

/** tar listing with numeric owners: "uid/gid name" lines. */
function tarOwners(tar: Uint8Array): string[] {
  const r = Bun.spawnSync(["tar", "--numeric-owner", "-tvf", "-"], { stdin: tar });
  return r.stdout
    .toString()
    .trim()
    .split("\n")
    .map((l) => l.split(/\s+/))
    .map((f) => `${f[1]} ${f[5]}`);
}

describe.skipIf(!haveRoot)("ID-mapped layers", () => {
  let s: TempStore;
  let parent: string;
  let child: string;
  beforeAll(() => {
    s = tempStore("ovl-idmaps-");
    s.env._CONTAINERS_OVERLAY_DISABLE_IDMAP = "yes";
    parent = firstLine(s.ovOk(["create-layer", "--hostuidmap", "--hostgidmap"]));
    const m = s.ovOk(["mount", parent]);
    mkdirSync(join(m, "dir"));
    chownSync(join(m, "dir"), 7, 8);
    writeFileSync(join(m, "dir", "owned"), "owned\n");
    chownSync(join(m, "dir", "owned"), 5, 6);
    writeFileSync(join(m, "suid"), "suid\n");
    chmodSync(join(m, "suid"), 0o4755);
    writeFileSync(join(m, "hard1"), "hard\n");
    linkSync(join(m, "hard1"), join(m, "hard2"));
    symlinkSync("dir/owned", join(m, "link"));
    writeFileSync(join(m, "acl"), "acl\n");
    lsetxattr(join(m, "acl"), "system.posix_acl_access", acl([[1, 6, 0xffffffff], [2, 4, 1000], [4, 4, 0xffffffff], [8, 4, 1001], [0x10, 6, 0xffffffff], [0x20, 4, 0xffffffff]]));
    writeFileSync(join(m, "cap"), "cap\n");
    lsetxattr(join(m, "cap"), "security.capability", capV3(1000));
    s.ovOk(["unmount", parent]);
    child = firstLine(s.ovOk(["create-layer", "--uidmap", `0:${U}:65536`, "--gidmap", `0:${G}:65536`, parent]));
  });
  afterAll(() => {
    s.ov(["wipe"]);
    s.cleanup();
  });

  test("the child's record carries its maps", () => {
    const [rec] = JSON.parse(s.ovOk(["layer", "--json", child]));
    expect(rec.uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    expect(rec.gidmap).toEqual([{ container_id: 0, host_id: G, size: 65536 }]);
    expect(s.ovOk(["layer", child])).toContain(`UID mapping: (container=0, host=${U}, size=65536)`);
  });

  test("diff1 holds the parent's view with owners, ACL ids and the capability rootid shifted", () => {
    const d1 = join(s.graph, "overlay", child, "diff1");
    expect(owner(d1)).toBe(`${U}:${G}`);
    expect(owner(join(s.graph, "overlay", child, "diff"))).toBe(`${U}:${G}`);
    expect(owner(join(d1, "dir"))).toBe(`${U + 7}:${G + 8}`);
    expect(owner(join(d1, "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
    expect(owner(join(d1, "link"))).toBe(`${U}:${G}`);
    expect(statSync(join(d1, "suid")).mode & 0o7777).toBe(0o4755);
    expect(statSync(join(d1, "hard1")).ino).toBe(statSync(join(d1, "hard2")).ino);
    expect(lgetxattr(join(d1, "acl"), "system.posix_acl_access")).toEqual(
      acl([[1, 6, 0xffffffff], [2, 4, U + 1000], [4, 4, 0xffffffff], [8, 4, G + 1001], [0x10, 6, 0xffffffff], [0x20, 4, 0xffffffff]]),
    );
    const cap = lgetxattr(join(d1, "cap"), "security.capability")!;
    expect(cap.length).toBe(24);
    expect(new DataView(cap.buffer, cap.byteOffset).getUint32(20, true)).toBe(U + 1000);
    // The parent is untouched.
    expect(owner(join(s.graph, "overlay", parent, "diff", "dir", "owned"))).toBe("5:6");
  });

  test("the mounted child shows the shifted view; changes against the parent are empty", () => {
    const m = s.ovOk(["mount", child]);
    try {
      expect(owner(join(m, "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
      expect(readFileSync(join(m, "dir", "owned"), "utf8")).toBe("owned\n");
    } finally {
      s.ovOk(["unmount", child]);
    }
    expect(s.ovOk(["changes", child])).toBe("");
  });

  test("applydiff maps container IDs to host IDs, diff maps them back", () => {
    const src = join(s.dir, "tarsrc");
    mkdirSync(src);
    writeFileSync(join(src, "new"), "new\n");
    chownSync(join(src, "new"), 3, 4);
    const tar = Bun.spawnSync(["tar", "--numeric-owner", "-C", src, "-cf", "-", "new"]).stdout;
    s.ovOk(["applydiff", child], { stdin: new Uint8Array(tar) });
    expect(owner(join(s.graph, "overlay", child, "diff", "new"))).toBe(`${U + 3}:${G + 4}`);
    const out = s.ov(["diff", "-u", child]);
    expect(out.code).toBe(0);
    expect(tarOwners(new Uint8Array(Buffer.from(out.stdout, "latin1")))).toContain("3/4 new");
  });

  test("a child with an unmappable owner is refused and leaves nothing", () => {
    const r = s.ov(["create-layer", "--uidmap", `0:${U}:5`, "--gidmap", `0:${G}:65536`, parent]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/layer [0-9a-f]{64}: \/(acl|cap|dir)( security\.capability| system\.posix_acl_access)?: container UID (7|1000) is not in the layer's UID mapping/);
    expect(s.ovOk(["layers", "-q"]).split("\n").sort()).toEqual([parent, child].sort());
  });

  test("bad map flags are refused with exit 2", () => {
    const r = s.ov(["create-layer", "--uidmap", "0:1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--uidmap \"0:1\": expected containerID:hostID:size");
  });

  test("a container with maps on an unmapped image gets a mapped top layer, reused by the next", () => {
    const img = firstLine(s.ovOk(["create-image", parent]));
    const c1 = firstLine(s.ovOk(["create-container", "--uidmap", `0:${U}:65536`, "--gidmap", `0:${G}:65536`, img]));
    const c2 = firstLine(s.ovOk(["create-container", "--uidmap", `0:${U}:65536`, "--gidmap", `0:${G}:65536`, img]));
    const tops = s.ovOk(["image", img]).split("\n").filter((l) => l.startsWith("Top Layer: "));
    expect(tops.length).toBe(2);
    const layerOf = (c: string) => s.ovOk(["container", c]).split("\n").find((l) => l.startsWith("Layer: "))!.slice(7);
    const parentOf = (l: string) => s.ovOk(["layer", l]).split("\n").find((x) => x.startsWith("Parent: "))!.slice(8);
    expect(parentOf(layerOf(c1))).toBe(tops[1]!.slice(11));
    expect(parentOf(layerOf(c2))).toBe(tops[1]!.slice(11));
    const m = s.ovOk(["mount", c1]);
    try {
      expect(owner(join(m, "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
    } finally {
      s.ovOk(["unmount", c1]);
    }
  });

  test.skipIf(!csAvailable)("containers-storage 1.43 lists and mounts the mapped layers", () => {
    const layers = JSON.parse(s.csOk(["layers", "--json"])) as { id: string; uidmap?: unknown }[];
    expect(layers.find((l) => l.id === child)?.uidmap).toEqual([{ container_id: 0, host_id: U, size: 65536 }]);
    expect(s.csOk(["layer", child])).toBe(s.ovOk(["layer", child]));
    const m = s.csOk(["mount", child]);
    try {
      expect(owner(join(m, "dir", "owned"))).toBe(`${U + 5}:${G + 6}`);
      expect(owner(join(m, "new"))).toBe(`${U + 3}:${G + 4}`);
      expect(statSync(join(m, "hard1")).ino).toBe(statSync(join(m, "hard2")).ino);
    } finally {
      s.csOk(["unmount", child]);
    }
  });
});
