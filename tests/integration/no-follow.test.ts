/**
 * Nothing is followed out of the store (issue 12, class 1): a symlink where
 * the store keeps a directory makes mount (every strategy, and the openat
 * walk used where openat2 is missing), the writers and repair refuse, check
 * report it, and a sentinel directory outside the store stays exactly as it
 * was. Also: unmount of a mount left without a count.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { canMount, firstLine, tempStore, unmountBelow, type TempStore } from "../helpers/store.ts";

interface Variant {
  name: string;
  strategy: string;
  env: Record<string, string>;
}
const VARIANTS: Variant[] = [
  { name: "api", strategy: "api", env: {} },
  { name: "direct", strategy: "direct", env: {} },
  { name: "fd", strategy: "fd", env: {} },
  { name: "auto with the openat walk (no openat2)", strategy: "auto", env: { OVLAYER_TEST_NO_OPENAT2: "1" } },
];

/** Every entry below `dir`: type, mode, size, mtime and file contents, so any change shows. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p, { bigint: true });
      const kind = st.isSymbolicLink() ? "l" : st.isDirectory() ? "d" : "f";
      out.push(`${kind} ${rel}${name} ${st.mode.toString(8)} ${st.size} ${st.mtimeNs} ${kind === "f" ? readFileSync(p, "utf8") : ""}`);
      if (kind === "d") walk(p, `${rel}${name}/`);
    }
  };
  walk(dir, "");
  return out;
}

const mountsUnder = (dir: string) => readMountinfo().filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(dir + "/"));

interface Store {
  s: TempStore;
  base: string;
  top: string;
  outside: string;
  layer: (id: string, sub?: string) => string;
}

/** A store with a base layer and a child, one file in each, and an outside sentinel dir holding a file. */
function makeStore(): Store {
  const s = tempStore("ovl-nofollow-");
  const base = firstLine(s.ovOk(["create-layer"]));
  const top = firstLine(s.ovOk(["create-layer", base]));
  const layer = (id: string, sub = "") => join(s.graph, "overlay", id, sub);
  writeFileSync(layer(base, "diff/base.txt"), "base\n");
  writeFileSync(layer(top, "diff/top.txt"), "top\n");
  const outside = join(s.dir, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "sentinel"), "untouched\n");
  return { s, base, top, outside, layer };
}

/** Moves `path` into the outside dir and leaves a symlink to it in its place; returns the symlink's path. */
function moveOut(st: Store, path: string, name: string): string {
  const to = join(st.outside, name);
  unmountBelow(st.s.graph); // R/overlay's private bind mount (a mount point cannot be renamed across it)
  renameSync(path, to);
  symlinkSync(to, path);
  return path;
}

interface Case {
  name: string;
  /** Damages the store; returns the layer to mount and the path the error must name. */
  setup(st: Store): { mount: string; path: string };
  /** What the error says about the path (the chain rule words a lower's symlinked diff its own way). */
  says?: string;
}

const CASES: Case[] = [
  {
    name: "the layer's diff and work are symlinks",
    setup: (st) => {
      const path = moveOut(st, st.layer(st.top, "diff"), "diff");
      moveOut(st, st.layer(st.top, "work"), "work");
      return { mount: st.top, path };
    },
  },
  {
    name: "the whole layer dir R/overlay/<ID> is a symlink",
    setup: (st) => ({ mount: st.top, path: moveOut(st, st.layer(st.top), "layer") }),
  },
  {
    name: "merged is a symlink",
    setup: (st) => {
      rmSync(st.layer(st.top, "merged"), { recursive: true, force: true });
      mkdirSync(join(st.outside, "merged"));
      symlinkSync(join(st.outside, "merged"), st.layer(st.top, "merged"));
      return { mount: st.top, path: st.layer(st.top, "merged") };
    },
  },
  {
    name: "a lower layer's diff is a symlink",
    setup: (st) => ({ mount: st.top, path: moveOut(st, st.layer(st.base, "diff"), "lower-diff") }),
    says: "has no diff directory",
  },
  {
    name: "a base layer's empty is a symlink",
    setup: (st) => ({ mount: st.base, path: moveOut(st, st.layer(st.base, "empty"), "empty") }),
  },
  {
    name: "R/overlay itself is a symlink",
    setup: (st) => ({ mount: st.top, path: moveOut(st, join(st.s.graph, "overlay"), "overlay") }),
  },
];

describe.skipIf(!canMount())("nothing is followed out of the store", () => {
  let st: Store | null = null;
  afterEach(() => {
    if (st) {
      unmountBelow(st.outside);
      st.s.cleanup();
    }
    st = null;
  });

  for (const v of VARIANTS) {
    test(`${v.name}: a healthy store mounts, writes land in the layer's diff`, () => {
      st = makeStore();
      const before = tree(st.outside);
      unmountBelow(st.s.graph); // the overlay home not private yet: mount binds it first, then opens the dirs through it
      const merged = st.s.ovOk(["--storage-opt", `overlay.mount_strategy=${v.strategy}`, "mount", st.top], { env: v.env });
      expect(mountsUnder(merged)).toHaveLength(1);
      expect(merged).toBe(st.layer(st.top, "merged"));
      writeFileSync(join(merged, "new.txt"), "through the mount\n");
      expect(readFileSync(st.layer(st.top, "diff/new.txt"), "utf8")).toBe("through the mount\n");
      expect(readdirSync(merged).sort()).toEqual(["base.txt", "new.txt", "top.txt"]);
      st.s.ovOk(["unmount", st.top]);
      expect(mountsUnder(merged)).toEqual([]);
      expect(tree(st.outside)).toEqual(before);
    });

    for (const c of CASES) {
      test(`${v.name}: ${c.name}: mount exits 5 naming the path, nothing mounted, the outside dir unchanged`, () => {
        st = makeStore();
        const { mount, path } = c.setup(st);
        const before = tree(st.outside);
        const r = st.s.ov(["--storage-opt", `overlay.mount_strategy=${v.strategy}`, "mount", mount], { env: v.env });
        expect(r.stdout).toBe("");
        expect(r.code).toBe(5);
        expect(r.stderr).toContain(path);
        expect(r.stderr).toContain(c.says ?? `${path} is a symlink (to ${st.outside}/`);
        expect(mountsUnder(st.s.dir).filter((m) => m.fsType === "overlay")).toEqual([]);
        expect(mountsUnder(st.outside)).toEqual([]);
        expect(tree(st.outside)).toEqual(before);
        // check names the same path with its code.
        const chk = st.s.ov(["check", "--verbose"]);
        expect(chk.code).toBe(1);
        expect(chk.stdout + chk.stderr).toMatch(new RegExp(`(dir-symlink|diff-missing|lower-link-bad|lower-missing-layer)[^\\n]*${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
      });
    }
  }

  test("R/overlay as a symlink: create-layer, delete-layer and repair refuse or change nothing outside", () => {
    st = makeStore();
    const home = moveOut(st, join(st.s.graph, "overlay"), "overlay");
    const before = tree(st.outside);
    const c = st.s.ov(["create-layer", st.top]);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain(`${home} is a symlink`);
    const d = st.s.ov(["delete-layer", st.top]);
    expect(d.code).toBe(5);
    expect(d.stderr).toContain(`${home} is a symlink`);
    const chk = st.s.ov(["check", "--verbose"]);
    expect(chk.code).toBe(1);
    expect(chk.stdout).toContain(`dir-symlink: ${home}: is a symlink to ${JSON.stringify(join(st.outside, "overlay"))}`);
    expect(st.s.ov(["repair"]).code).toBe(1);
    expect(tree(st.outside)).toEqual(before);
  });

  test("l/ as a symlink: create-layer refuses; repair writes no link into the outside dir and reports what it cannot fix", () => {
    st = makeStore();
    const l = moveOut(st, join(st.s.graph, "overlay", "l"), "l");
    const before = tree(st.outside);
    const c = st.s.ov(["create-layer", st.top]);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain(`${l} is a symlink`);
    const chk = st.s.ov(["check", "--verbose"]);
    expect(chk.code).toBe(1);
    expect(chk.stdout).toContain(`dir-symlink: ${l}: is a symlink`);
    const r = st.s.ov(["repair"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`repair: cannot fix: dir-symlink: ${l}: is a symlink`);
    expect(tree(st.outside)).toEqual(before);
    expect(lstatSync(l).isSymbolicLink()).toBe(true);
  });

  test("a layer dir as a symlink: repair neither fills in its missing work dir nor removes its l/ link", () => {
    st = makeStore();
    const dir = moveOut(st, st.layer(st.top), "layer");
    rmSync(join(st.outside, "layer", "work"), { recursive: true });
    const lid = readFileSync(join(st.outside, "layer", "link"), "utf8").trim();
    const before = tree(st.outside);
    const r = st.s.ov(["repair"]);
    expect(r.code).toBe(1);
    expect(tree(st.outside)).toEqual(before);
    expect(existsSync(join(st.s.graph, "overlay", "l", lid))).toBe(true);
    expect(st.s.ov(["check", "--verbose"]).stdout).toContain(`dir-symlink: ${dir}:`);
  });

  test("applydiff refuses a symlinked diff dir and writes nothing outside", () => {
    st = makeStore();
    const diff = moveOut(st, st.layer(st.top, "diff"), "diff");
    const before = tree(st.outside);
    const tarball = Bun.spawnSync(["tar", "-c", "-C", st.s.dir, "storage.conf"]).stdout;
    const r = st.s.ov(["applydiff", st.top], { stdin: tarball });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${diff} is a symlink`);
    expect(tree(st.outside)).toEqual(before);
  });

  for (const how of ["ID", "merged path"] as const) {
    test(`unmount by ${how} of a mount left without a count (a crash after mounting) unmounts it`, () => {
      st = makeStore();
      const merged = st.s.ovOk(["mount", st.top]);
      writeFileSync(join(st.s.runRoot, "overlay-layers", "mountpoints.json"), "[]");
      expect(mountsUnder(merged)).toHaveLength(1);
      const r = st.s.ov(["unmount", how === "ID" ? st.top : merged]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`${how === "ID" ? st.top : merged} mountpoint unmounted`);
      expect(mountsUnder(merged)).toEqual([]);
    });
  }
});
