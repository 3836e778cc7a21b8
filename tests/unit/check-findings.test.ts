import { describe, expect, test } from "bun:test";
import { checkStore, formatFinding, type Finding } from "../../src/check/findings.ts";
import { MISSING } from "../../src/check/snapshot.ts";
import { codes, FakeStore, lid } from "./check-fixtures.ts";

const only = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);

describe("checkStore() on healthy stores", () => {
  test("finds nothing in stores laid out by ovlayer, by containers-storage 1.43, or both", () => {
    expect(checkStore(new FakeStore().chain("a", 4).snap())).toEqual([]);
    expect(checkStore(new FakeStore().chain("c", 4, "cs").snap())).toEqual([]);
    const mixed = new FakeStore().chain("c", 2, "cs");
    mixed.add("o", "c1", "ovlayer").add("o2", "o", "cs");
    expect(checkStore(mixed.snap())).toEqual([]);
  });

  test("finds nothing in an empty store and in a symlink-free store with no legacy files", () => {
    expect(checkStore(new FakeStore().snap())).toEqual([]);
    const s = new FakeStore().chain("a", 3);
    s.mode = "symlink-free";
    for (const l of s.layers.values()) Object.assign(l, { link: MISSING, lower: MISSING });
    s.links.clear();
    expect(checkStore(s.snap())).toEqual([]);
  });

  test("a counted layer that is mounted is fine", () => {
    expect(checkStore(new FakeStore().chain("a", 2).mount("a1", 2).snap())).toEqual([]);
  });
});

describe("checkStore() names each break", () => {
  test("lost l/ links: one link-missing per layer and one lower-link-missing per lower file, with entries", () => {
    const s = new FakeStore().chain("a", 3, "cs");
    s.links.clear();
    const f = checkStore(s.snap());
    expect(codes(f)).toEqual(["link-missing", "link-missing", "link-missing", "lower-link-missing", "lower-link-missing"]);
    const a2 = only(f, "lower-link-missing").find((x) => x.layer === "a2")!;
    expect(a2.file).toBe("/s/root/overlay/a2/lower");
    expect(a2.problem).toContain(`2 of 2 entries do not resolve: entry 1 of 2 "l/${lid("a1")}": /s/root/overlay/l/${lid("a1")} does not exist (layer a1's link file names it)`);
    expect(only(f, "link-missing").map((x) => x.file)).toContain(`/s/root/overlay/l/${lid("a0")}`);
  });

  test("lost link files are link-file-missing, naming the l/ symlink that still points at the layer", () => {
    const s = new FakeStore().chain("a", 2, "cs");
    for (const l of s.layers.values()) l.link = MISSING;
    const f = checkStore(s.snap());
    expect(codes(f)).toEqual(["link-file-missing", "link-file-missing", "link-unclaimed"]);
    expect(f[0]!).toMatchObject({ layer: "a0", file: "/s/root/overlay/a0/link" });
    expect(f[0]!.problem).toContain(`(l/${lid("a0")} points at its diff)`);
    // The top layer's link is used by no lower file: nothing claims it any more.
    expect(only(f, "link-unclaimed")[0]!.layer).toBe("a1");
  });

  test("an empty lower (podman#12337) is lower-empty on that layer only", () => {
    const s = new FakeStore().chain("a", 3, "cs");
    s.layer("a2").lower = { kind: "text", text: "" };
    expect(checkStore(s.snap())).toEqual([{ code: "lower-empty", layer: "a2", file: "/s/root/overlay/a2/lower", problem: "the file is empty" }]);
  });

  test("malformed, too deep, and missing-layer lower-layers", () => {
    const s = new FakeStore().chain("a", 3);
    s.layer("a1").lowerLayers = { kind: "text", text: "a0::a0" };
    s.layer("a2").lowerLayers = { kind: "text", text: Array(501).fill("a0").join(":") };
    let f = checkStore(s.snap());
    expect(only(f, "lower-layers-malformed")[0]!.problem).toBe("entry 2 of 3 is empty");
    expect(only(f, "lower-layers-too-deep")[0]!.problem).toBe("it names 501 lower layers, the limit is 500 (max depth exceeded)");
    s.layer("a1").lowerLayers = { kind: "text", text: "gone" };
    s.layer("a2").lowerLayers = { kind: "text", text: "a1:a0" };
    f = checkStore(s.snap());
    // An entry that does not resolve is reported alone: the chain it would name is unknown.
    expect(codes(f)).toEqual(["lower-layers-missing-layer"]);
    expect(only(f, "lower-layers-missing-layer")[0]!.problem).toBe('1 of 1 entry does not resolve: entry 1 of 1 "gone": layer gone does not exist (no directory /s/root/overlay/gone)');
  });

  test("lower and lower-layers naming different chains, and layers.json disagreeing with them", () => {
    const s = new FakeStore().chain("a", 2).add("b", undefined).add("x", "a1");
    s.layer("x").lowerLayers = { kind: "text", text: "a1:b" };
    let f = checkStore(s.snap());
    expect(codes(f)).toEqual(["chain-mismatch", "lower-mismatch"]);
    expect(only(f, "lower-mismatch")[0]!.problem).toContain("at entry 2, lower has a0 and lower-layers b");
    expect(only(f, "chain-mismatch")[0]!.problem).toBe("entry 2 of 2 is layer b, but layers.json's parent chain (2 layers) has layer a0 there");
    s.layer("x").lowerLayers = { kind: "text", text: "a1:a0" };
    s.records.find((r) => r.id === "x")!.parent = "b";
    f = checkStore(s.snap());
    expect(f).toEqual([
      { code: "parent-mismatch", layer: "x", file: "/s/root/overlay/x/lower-layers", problem: "entry 1 of 2 is layer a1, but layers.json names parent b" },
    ]);
  });

  test("a truncated layers.json: the damage, and each directory whose record is lost", () => {
    const s = new FakeStore().chain("a", 3, "cs");
    const text = JSON.stringify(s.records);
    s.layersJson = { kind: "corrupt", text: text.slice(0, text.indexOf('{"id":"a1"') + 5), error: "does not parse as JSON: oops" };
    const f = checkStore(s.snap());
    expect(codes(f)).toEqual(["dir-without-entry", "dir-without-entry", "layers-json-corrupt"]);
    expect(only(f, "layers-json-corrupt")[0]!.problem).toMatch(/^does not parse as JSON: oops; 1 record before the damage is intact \(\d+ of \d+ bytes\)$/);
    expect(only(f, "dir-without-entry").map((x) => x.layer)).toEqual(["a1", "a2"]);
  });

  test("records: incomplete, without a directory, with an unknown parent", () => {
    const s = new FakeStore().chain("a", 2);
    s.records.push({ id: "ghost", parent: "nowhere" }, { id: "half", flags: { incomplete: true } });
    const f = checkStore(s.snap());
    expect(codes(f)).toEqual(["entry-without-dir", "incomplete", "parent-missing"]);
    expect(only(f, "incomplete")[0]!.problem).toContain("layer half is flagged incomplete (a create or delete was interrupted); it has no directory left");
  });

  test("the l/ directory: dangling, outside, not a symlink, unclaimed; shared and wrong link names", () => {
    const s = new FakeStore().chain("a", 2);
    s.links.set("DANGLING", { name: "DANGLING", target: "../gone/diff" });
    s.links.set("OUTSIDE", { name: "OUTSIDE", target: "/etc" });
    s.links.set("FILE", { name: "FILE", target: null });
    s.links.set("EXTRA", { name: "EXTRA", target: "../a0/diff" });
    s.layer("a1").link = { kind: "text", text: lid("a0") };
    const f = checkStore(s.snap());
    expect(codes(f)).toEqual(["link-dangling", "link-not-symlink", "link-outside", "link-shared", "link-unclaimed", "link-unclaimed", "link-wrong-target"]);
    expect(only(f, "link-shared")[0]!.problem).toBe(`2 layers name l/${lid("a0")} in their link files: a0, a1 (it points to "../a0/diff")`);
    expect(only(f, "link-wrong-target")[0]).toMatchObject({ layer: "a1", problem: `layer a1's link file names l/${lid("a0")}, which points to "../a0/diff" instead of ../a1/diff` });
    expect(only(f, "link-unclaimed").map((x) => x.file).sort()).toEqual(["/s/root/overlay/l/EXTRA", `/s/root/overlay/l/${lid("a1")}`]);
  });

  test("a link file ending with a newline is invalid: old tools copy it into lower", () => {
    const s = new FakeStore().chain("a", 1);
    s.layer("a0").link = { kind: "text", text: `${lid("a0")}\n` };
    expect(codes(checkStore(s.snap()))).toEqual(["link-file-invalid"]);
  });

  test("mount counts against mountinfo: stale, uncounted, unparseable", () => {
    const s = new FakeStore().chain("a", 3).mount("a0", 2);
    s.mounted.clear();
    s.mounted.add(s.paths.merged("a2"));
    const f = checkStore(s.snap());
    expect(f.map(formatFinding)).toEqual([
      "mount-count-stale: /s/run/overlay-layers/mountpoints.json: layer a0 has mount count 2, but /s/root/overlay/a0/merged is not mounted (per /proc/self/mountinfo)",
      "mount-uncounted: /s/run/overlay-layers/mountpoints.json: /s/root/overlay/a2/merged is mounted, but /s/run/overlay-layers/mountpoints.json has no mount count for layer a2",
    ]);
    s.mountpoints = { kind: "corrupt", text: "[{", error: "JSON Parse error" };
    expect(codes(checkStore(s.snap()))).toEqual(["mountpoints-json-corrupt"]);
  });

  test("missing directories: diff, work, and a base layer's empty", () => {
    const s = new FakeStore().chain("a", 2);
    s.layer("a0").subdirs = new Set(["diff", "work"]);
    s.layer("a1").subdirs = new Set(["merged"]);
    const f = checkStore(s.snap());
    expect(codes(f)).toEqual(["diff-missing", "empty-missing", "work-missing"]);
    expect(only(f, "diff-missing")[0]!.file).toBe("/s/root/overlay/a1/diff");
    expect(only(f, "empty-missing")[0]!.file).toBe("/s/root/overlay/a0/empty");
  });
});

describe("checkStore() and the link mode", () => {
  test("a legacy-compatible store needs lower; a symlink-free store needs lower-layers", () => {
    const s = new FakeStore().chain("a", 2);
    s.layer("a1").lower = MISSING;
    expect(codes(checkStore(s.snap()))).toEqual(["lower-missing"]);
    s.mode = "symlink-free";
    expect(checkStore(s.snap())).toEqual([]);
    s.layer("a1").lowerLayers = MISSING;
    s.layer("a1").lower = { kind: "text", text: `l/${lid("a0")}` };
    expect(codes(checkStore(s.snap()))).toEqual(["lower-layers-missing"]);
  });

  test("a symlink-free store does not ask for link files or their l/ links, but judges the ones left", () => {
    const s = new FakeStore().chain("a", 2);
    s.mode = "symlink-free";
    s.layer("a0").link = MISSING;
    s.links.delete(lid("a1"));
    s.layer("a1").lower = MISSING;
    // a0's l/ link is left with nothing naming or using it.
    expect(codes(checkStore(s.snap()))).toEqual(["link-unclaimed"]);
    s.links.delete(lid("a0"));
    expect(checkStore(s.snap())).toEqual([]);
  });
});
