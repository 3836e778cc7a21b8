/**
 * What a user sees through a mount, mount counts shared with
 * containers-storage, and failures that must leave nothing behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, unmountBelow, type TempStore } from "../helpers/store.ts";

const mountedAt = (p: string) => readMountinfo().filter((m) => m.mountPoint === p);

describe.skipIf(!canMount())("mounting", () => {
  let s: TempStore;
  let a: string, b: string, c: string;
  const dir = (id: string, sub = "") => join(s.graph, "overlay", id, sub);
  beforeAll(() => {
    s = tempStore("ovl-mount-");
    a = firstLine(s.ovOk(["create-layer"]));
    b = firstLine(s.ovOk(["create-layer", a]));
    c = firstLine(s.ovOk(["create-layer", "-n", "top", b]));
    writeFileSync(dir(a, "diff/base.txt"), "from a\n");
    writeFileSync(dir(a, "diff/gone.txt"), "deleted in b\n");
    mkdirSync(dir(a, "diff/etc"));
    writeFileSync(dir(a, "diff/etc/conf"), "a conf\n");
    Bun.spawnSync(["mknod", dir(b, "diff/gone.txt"), "c", "0", "0"]); // overlay whiteout
    writeFileSync(dir(b, "diff/mid.txt"), "from b\n");
    writeFileSync(dir(b, "diff/etc/../base.txt".replace("/etc/..", "")), "b overrides a\n");
  });
  afterEach(() => {
    for (const m of readMountinfo().filter((e) => e.mountPoint.startsWith(join(s.graph, "overlay") + "/") && e.mountPoint.endsWith("/merged"))) {
      unmountBelow(m.mountPoint);
    }
    rmSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), { force: true });
  });
  afterAll(() => s.cleanup());

  test("files from every layer are visible, upper wins, a whiteout hides, writes land in the top diff", () => {
    const merged = s.ovOk(["mount", "top"]);
    expect(merged).toBe(dir(c, "merged"));
    expect(readdirSync(merged).sort()).toEqual(["base.txt", "etc", "mid.txt"]);
    expect(readFileSync(join(merged, "base.txt"), "utf8")).toBe("b overrides a\n");
    expect(readFileSync(join(merged, "etc/conf"), "utf8")).toBe("a conf\n");
    expect(existsSync(join(merged, "gone.txt"))).toBe(false);
    writeFileSync(join(merged, "new.txt"), "written through the mount\n");
    expect(readFileSync(dir(c, "diff/new.txt"), "utf8")).toBe("written through the mount\n");
    expect(existsSync(dir(b, "diff/new.txt"))).toBe(false);
    const [m] = mountedAt(merged);
    expect(m?.fsType).toBe("overlay");
    expect(s.ovOk(["unmount", "top"])).toBe("top mountpoint unmounted");
    expect(mountedAt(merged)).toHaveLength(0);
    unlinkSync(dir(c, "diff/new.txt"));
  });

  test("counts: a second mount only counts; unmount prints nothing until the last", () => {
    const p1 = s.ovOk(["mount", c]);
    const ino = statSync(p1).ino;
    expect(s.ovOk(["mount", c])).toBe(p1);
    expect(statSync(p1).ino).toBe(ino); // not mounted twice
    expect(mountedAt(p1)).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8"))).toEqual([{ id: c, path: p1, count: 2 }]);
    expect(s.ovOk(["mounted", c])).toBe(`${c} mounted`);
    expect(s.ov(["unmount", c]).stdout).toBe("");
    expect(mountedAt(p1)).toHaveLength(1);
    expect(s.ovOk(["unmount", c])).toBe(`${c} mountpoint unmounted`);
    expect(mountedAt(p1)).toHaveLength(0);
    expect(s.ovOk(["mounted", c])).toBe("");
    expect(readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8")).toBe("[]");
  });

  test("unmount --force unmounts whatever the count, and replaces merged by a fresh dir", () => {
    const p = s.ovOk(["mount", c]);
    s.ovOk(["mount", c]);
    s.ovOk(["mount", c]);
    const before = statSync(p).ino;
    expect(s.ovOk(["unmount", "-f", c])).toBe(`${c} mountpoint unmounted`);
    expect(mountedAt(p)).toHaveLength(0);
    expect(statSync(p).ino).not.toBe(before);
    expect(readdirSync(p)).toEqual([]);
    expect(existsSync(`${p}.1`)).toBe(false);
  });

  test("a count whose mount is gone is not trusted", () => {
    mkdirSync(join(s.runRoot, "overlay-layers"), { recursive: true });
    writeFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), JSON.stringify([{ id: c, path: dir(c, "merged"), count: 3 }]));
    expect(s.ovOk(["mounted", c])).toBe("");
    s.ovOk(["mount", c]);
    expect(JSON.parse(readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8"))[0].count).toBe(1);
    expect(mountedAt(dir(c, "merged"))).toHaveLength(1);
    s.ovOk(["unmount", c]);
  });

  test("read-only three ways: --ro, -o ro, and a layer created --readonly", () => {
    for (const args of [["--ro", c], ["-o", "ro", c]]) {
      const p = s.ovOk(["mount", ...args]);
      expect(mountedAt(p)[0]?.superOptions).not.toContain("upperdir=");
      expect(() => writeFileSync(join(p, "x"), "x")).toThrow(/EROFS|read-only/);
      s.ovOk(["unmount", c]);
    }
    const r = firstLine(s.ovOk(["create-layer", "--readonly", c]));
    expect(s.ovOk(["layer", r])).toContain("Read Only: true");
    const p = s.ovOk(["mount", r]);
    expect(() => writeFileSync(join(p, "x"), "x")).toThrow(/EROFS|read-only/);
    expect(readFileSync(join(p, "mid.txt"), "utf8")).toBe("from b\n");
    s.ovOk(["unmount", r]);
  });

  test("storage mount options are added; -o options too", () => {
    const p = s.ovOk(["--storage-opt", "overlay.mountopt=nodev", "mount", "-o", "noatime", c]);
    const [m] = mountedAt(p);
    expect(m?.options.split(",")).toContain("nodev");
    expect(m?.options.split(",")).toContain("noatime");
    s.ovOk(["unmount", c]);
  });

  test("the overlay home is made private, unless skip_mount_home", () => {
    const home = join(s.graph, "overlay");
    unmountBelow(home);
    s.ovOk(["--storage-opt", "overlay.skip_mount_home=true", "mount", c]);
    expect(mountedAt(home)).toHaveLength(0);
    s.ovOk(["unmount", c]);
    s.ovOk(["mount", c]);
    const [h] = mountedAt(home);
    expect(h).toBeDefined();
    expect(h!.optional.some((o) => o.startsWith("shared:"))).toBe(false);
    s.ovOk(["unmount", c]);
  });

  test("the volatile marker is removed before mounting", () => {
    const marker = dir(c, "work/work/incompat/volatile");
    mkdirSync(marker, { recursive: true });
    s.ovOk(["mount", c]);
    expect(existsSync(marker)).toBe(false);
    s.ovOk(["unmount", c]);
  });

  for (const st of ["direct", "fd", "api"]) {
    test(`a failed mount (${st}) leaves nothing mounted, the count unchanged, and names layer, strategy and errno`, () => {
      const bad = firstLine(s.ovOk(["create-layer", c]));
      mkdirSync(join(s.runRoot, "overlay-layers"), { recursive: true });
      const other = s.ovOk(["mount", b]); // some other layer's count must survive untouched
      const counts = readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8");
      expect(JSON.parse(counts)).toEqual([{ id: b, path: other, count: 1 }]);
      // The kernel refuses the option (EINVAL) with every strategy.
      const r = s.ov(["--storage-opt", `overlay.mount_strategy=${st}`, "mount", "-o", "redirect_dir=bogus", bad]);
      expect(r.code).toBe(9);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(bad);
      expect(r.stderr).toContain(`${st} strategy`);
      expect(r.stderr).toMatch(/E[A-Z]+ \(errno \d+\)/);
      if (st !== "api") expect(r.stderr).toContain(`mount ${dir(bad, "merged")}: EINVAL`);
      expect(mountedAt(dir(bad, "merged"))).toHaveLength(0);
      expect(readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8")).toBe(counts);
      // A work dir that is a file is refused before any strategy runs: corrupt, naming it.
      rmSync(dir(bad, "work"), { recursive: true });
      writeFileSync(dir(bad, "work"), "not a directory");
      const w = s.ov(["--storage-opt", `overlay.mount_strategy=${st}`, "mount", bad]);
      expect(w.code).toBe(5);
      expect(w.stderr).toContain(`${dir(bad, "work")} is not a directory`);
      expect(mountedAt(dir(bad, "merged"))).toHaveLength(0);
      expect(readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8")).toBe(counts);
      s.ovOk(["unmount", b]);
      s.ovOk(["delete", bad]);
    });
  }

  test("lower entries are resolved strictly inside the store", () => {
    const bad = firstLine(s.ovOk(["create-layer", c]));
    const cases: [string, string, string][] = [
      ["lower-layers", `${b}:/etc`, '"/etc"'],
      ["lower-layers", `${b}::${a}`, "entry 2 of 3 is empty"],
      ["lower-layers", `../${b}`, "contains '/'"],
      ["lower-layers", `${"f".repeat(64)}`, "does not exist"],
    ];
    for (const [file, content, msg] of cases) {
      writeFileSync(dir(bad, file), content);
      const r = s.ov(["mount", bad]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(dir(bad, file));
      expect(r.stderr).toContain(msg);
      expect(mountedAt(dir(bad, "merged"))).toHaveLength(0);
    }
    // a legacy link pointing outside the store
    rmSync(dir(bad, "lower-layers"));
    const evil = "EVILEVILEVILEVILEVILEVIL22";
    symlinkSync("/etc", join(s.graph, "overlay/l", evil));
    writeFileSync(dir(bad, "lower"), `l/${evil}`);
    const r = s.ov(["mount", bad]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`entry l/${evil}`);
    expect(r.stderr).toContain('points to "/etc"');
    unlinkSync(join(s.graph, "overlay/l", evil));
    s.ovOk(["delete", bad]);
  });

  test("lower is read only when lower-layers does not exist; another read error is an error", () => {
    const x = firstLine(s.ovOk(["create-layer", c]));
    rmSync(dir(x, "lower-layers"));
    const p = s.ovOk(["mount", x]);
    expect(readFileSync(join(p, "mid.txt"), "utf8")).toBe("from b\n");
    s.ovOk(["unmount", x]);
    mkdirSync(dir(x, "lower-layers")); // EISDIR is not ENOENT: no fallback
    const r = s.ov(["mount", x]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(dir(x, "lower-layers"));
    rmSync(dir(x, "lower-layers"), { recursive: true });
    s.ovOk(["delete", x]);
  });

  test("delete-layer refuses a mounted layer; delete unmounts it first", () => {
    const x = firstLine(s.ovOk(["create-layer", c]));
    const p = s.ovOk(["mount", x]);
    const r = s.ov(["delete-layer", x]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("it is mounted (count 1)");
    s.ovOk(["delete", x]);
    expect(mountedAt(p)).toHaveLength(0);
    expect(existsSync(dir(x))).toBe(false);
  });

  test("an unknown layer is not-found for mount, unmount and mounted", () => {
    for (const verb of ["mount", "unmount", "mounted"]) {
      const r = s.ov([verb, "nope"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('"nope"');
    }
  });
});

describe.skipIf(!canMount() || !hasContainersStorage())("mount counts shared with containers-storage 1.43", () => {
  let s: TempStore;
  beforeAll(() => {
    s = tempStore("ovl-mount-cs-");
  });
  afterAll(() => s.cleanup());

  test("it mounts, we mount, it unmounts: still mounted; we unmount: gone", () => {
    const a = firstLine(s.csOk(["create-layer"]));
    const b = firstLine(s.csOk(["create-layer", a]));
    writeFileSync(join(s.graph, "overlay", a, "diff", "hello"), "hi\n");
    const p = s.csOk(["mount", b]);
    expect(s.ovOk(["mount", b])).toBe(p);
    expect(JSON.parse(readFileSync(join(s.runRoot, "overlay-layers/mountpoints.json"), "utf8"))[0].count).toBe(2);
    s.csOk(["unmount", b]);
    expect(mountedAt(p)).toHaveLength(1);
    expect(s.csOk(["mounted", b])).toBe(`${b} mounted`);
    expect(readFileSync(join(p, "hello"), "utf8")).toBe("hi\n");
    expect(s.ovOk(["unmount", b])).toBe(`${b} mountpoint unmounted`);
    expect(mountedAt(p)).toHaveLength(0);
    expect(s.csOk(["mounted", b])).toBe("");
  });

  test("we mount, it mounts, we unmount: still mounted; it unmounts: gone", () => {
    const b = JSON.parse(s.csOk(["layers", "--json"]))[1].id as string;
    const p = s.ovOk(["mount", b]);
    expect(s.csOk(["mount", b])).toBe(p);
    expect(s.ov(["unmount", b]).stdout).toBe("");
    expect(mountedAt(p)).toHaveLength(1);
    expect(s.ovOk(["mounted", b])).toBe(`${b} mounted`);
    s.csOk(["unmount", b]);
    expect(mountedAt(p)).toHaveLength(0);
  });
});
