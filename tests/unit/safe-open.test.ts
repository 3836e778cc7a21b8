/**
 * Opening store dirs without following symlinks (store/files/safe-open.ts), and
 * what check and repair make of a symlink where the store keeps a directory.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkStore } from "../../src/check/findings.ts";
import { planRepair } from "../../src/check/repair-plan.ts";
import { OvError } from "../../src/errors.ts";
import { firstNonDir, openBeneath, relativeToRoot, storeComponents, walkBeneath, withStoreRoot } from "../../src/store/files/safe-open.ts";
import { close, O, open } from "../../src/sys/libc.ts";
import { FakeStore, NOW, freshNames, lid } from "./check-fixtures.ts";

describe("store paths, pure", () => {
  test("storeComponents splits a relative path and refuses anything that could climb out", () => {
    expect(storeComponents("overlay/abc/diff")).toEqual(["overlay", "abc", "diff"]);
    expect(storeComponents("overlay//abc/")).toEqual(["overlay", "abc"]);
    for (const bad of ["", "/", "/etc", "overlay/../x", "./overlay", "overlay/."]) expect(() => storeComponents(bad)).toThrow(OvError);
  });

  test("relativeToRoot: only paths strictly below the root", () => {
    expect(relativeToRoot("/s/root", "/s/root/overlay/a/diff")).toBe("overlay/a/diff");
    expect(relativeToRoot("/s/root/", "/s/root/overlay")).toBe("overlay");
    expect(relativeToRoot("/s/root", "/s/root")).toBeNull();
    expect(relativeToRoot("/s/root", "/s/rootx/overlay")).toBeNull();
    expect(relativeToRoot("/s/root", "/s/other")).toBeNull();
  });
});

describe("openBeneath() on disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "ovl-safe-open-"));
  const root = join(dir, "root");
  const outside = join(dir, "outside");
  mkdirSync(join(root, "overlay", "a", "diff"), { recursive: true });
  mkdirSync(join(outside, "diff"), { recursive: true });
  mkdirSync(join(root, "overlay", "b"));
  symlinkSync(join(outside, "diff"), join(root, "overlay", "b", "diff"));
  symlinkSync("a", join(root, "overlay", "c")); // a relative symlink that stays inside
  writeFileSync(join(root, "overlay", "f"), "");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const corrupt = (fn: () => unknown): OvError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof OvError) return e;
      throw e;
    }
    throw new Error("no error");
  };

  test("a real directory opens; a symlink anywhere on the way is corrupt, naming the symlink and its target", () => {
    withStoreRoot(root, "test", (r) => {
      expect(r.dir(join(root, "overlay/a/diff"), "test")).toBeGreaterThan(2);
      const e = corrupt(() => r.dir(join(root, "overlay/b/diff"), "mount layer b"));
      expect(e.kind).toBe("corrupt");
      expect(e.message).toBe(`Cannot mount layer b: ${root}/overlay/b/diff is a symlink (to ${outside}/diff), where the store keeps a directory (nothing is followed out of the store)`);
      // Even a symlink that stays inside the store is not followed.
      expect(corrupt(() => r.verify(join(root, "overlay/c/diff"), "t")).message).toContain(`${root}/overlay/c is a symlink (to a)`);
      expect(corrupt(() => r.verify(join(root, "overlay/f"), "t")).message).toContain(`${root}/overlay/f is not a directory`);
      expect(corrupt(() => r.verify(join(root, "overlay/none"), "t")).kind).toBe("not-found");
    });
  });

  test("the openat walk (no openat2) gives the same answers", () => {
    const fd = open(root, O.RDONLY | O.DIRECTORY);
    try {
      const ok = walkBeneath(fd, ["overlay", "a", "diff"], O.RDONLY);
      expect(ok).toBeGreaterThan(2);
      close(ok);
      expect(() => walkBeneath(fd, ["overlay", "b", "diff"], O.RDONLY)).toThrow(/ELOOP|ENOTDIR/);
      expect(() => walkBeneath(fd, ["overlay", "c", "diff"], O.RDONLY)).toThrow(/ELOOP|ENOTDIR/);
      expect(corrupt(() => openBeneath(fd, root, "overlay/b/diff", "t")).kind).toBe("corrupt");
    } finally {
      close(fd);
    }
  });

  test("firstNonDir names the first component that is not a real directory", () => {
    expect(firstNonDir(root, "overlay/a/diff")).toBeNull();
    expect(firstNonDir(root, "overlay/b/diff")).toEqual({ path: `${root}/overlay/b/diff`, what: `a symlink (to ${outside}/diff)` });
  });
});

describe("check and repair with a symlink where the store keeps a directory", () => {
  test("check reports dir-symlink with the layer; repair plans nothing behind it and keeps the layer's l/ link", () => {
    const s = new FakeStore().chain("a", 2);
    s.symlinkDir("/s/root/overlay/l", "/elsewhere/l");
    s.symlinkDir("/s/root/overlay/a1/diff", "/elsewhere/diff", "a1");
    const f = checkStore(s.snap()).filter((x) => x.code === "dir-symlink");
    expect(f).toEqual([
      { code: "dir-symlink", file: "/s/root/overlay/l", problem: expect.stringContaining('is a symlink to "/elsewhere/l"') },
      { code: "dir-symlink", layer: "a1", file: "/s/root/overlay/a1/diff", problem: expect.stringContaining('is a symlink to "/elsewhere/diff"') },
    ]);
    s.links.clear(); // would make repair recreate every l/ link, inside the symlinked l/
    const actions = planRepair(s.snap(), { now: NOW, newLinkId: freshNames() });
    expect(actions.filter((a) => a.file.startsWith("/s/root/overlay/l/"))).toEqual([]);
  });

  test("a layer dir that is a symlink: its l/ link is not removed as dangling", () => {
    const s = new FakeStore().chain("a", 2);
    s.layers.delete("a1");
    const withoutNote = planRepair(s.snap(), { now: NOW, newLinkId: freshNames() });
    expect(withoutNote.some((a) => a.kind === "remove-symlink" && a.file === `/s/root/overlay/l/${lid("a1")}`)).toBe(true);
    s.symlinkDir("/s/root/overlay/a1", "/elsewhere/a1", "a1");
    const actions = planRepair(s.snap(), { now: NOW, newLinkId: freshNames() });
    expect(actions.some((a) => a.kind === "remove-symlink" && a.file === `/s/root/overlay/l/${lid("a1")}`)).toBe(false);
  });
});
