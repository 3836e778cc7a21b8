import { describe, expect, test } from "bun:test";
import { describeAction, simulate, type Action } from "../../src/check/actions.ts";
import { checkStore } from "../../src/check/findings.ts";
import { derivedLinkId, planRepair, trueChain } from "../../src/check/repair-plan.ts";
import { MISSING } from "../../src/check/snapshot.ts";
import { codes, FakeStore, freshNames, kinds, lid, NOW, repairSim, type Style } from "./check-fixtures.ts";

/** A store with two branches of three layers each, made in `style`. */
function store(style: Style): FakeStore {
  const s = new FakeStore().chain("a", 3, style);
  s.chain("b", 2, style, "a1");
  return s;
}

const breaks: Record<string, (s: FakeStore) => void> = {
  "delete l/*": (s) => s.links.clear(),
  "delete */link": (s) => {
    for (const l of s.layers.values()) l.link = MISSING;
  },
  "delete l/* and */link": (s) => {
    s.links.clear();
    for (const l of s.layers.values()) l.link = MISSING;
  },
  "empty a lower": (s) => {
    s.layer("a2").lower = { kind: "text", text: "" };
  },
  "delete a lower": (s) => {
    s.layer("b1").lower = MISSING;
  },
  "a link file ending with a newline": (s) => {
    s.layer("a1").link = { kind: "text", text: `${lid("a1")}\n` };
  },
  "truncate layers.json": (s) => {
    const text = JSON.stringify(s.records);
    s.layersJson = { kind: "corrupt", text: text.slice(0, Math.floor(text.length / 2)), error: "JSON Parse error: Unexpected EOF" };
  },
  "empty layers.json": (s) => {
    s.layersJson = { kind: "ok", value: [] };
  },
  "kill a create half-way": (s) => {
    s.add("half", "b1");
    s.records.at(-1)!.flags = { incomplete: true };
    Object.assign(s.layer("half"), { subdirs: new Set(["diff"]), lower: MISSING, lowerLayers: MISSING });
  },
  "stale mount count": (s) => {
    s.mount("a1", 3);
    s.mounted.clear();
  },
  "everything at once": (s) => {
    s.layer("b1").lower = { kind: "text", text: "" };
    s.links.delete(lid("a0"));
    s.layer("a2").link = MISSING;
    s.links.set("DANGLING", { name: "DANGLING", target: "../gone/diff" });
    s.mount("b0", 2);
    s.mounted.clear();
  },
};

for (const style of ["ovlayer", "cs"] as const) {
  describe(`planRepair() on a store made by ${style}`, () => {
    for (const [name, brk] of Object.entries(breaks)) {
      test(`${name}: check finds it, the plan fixes it all, a second plan is empty`, () => {
        const s = store(style);
        brk(s);
        const snap = s.snap();
        expect(checkStore(snap).length).toBeGreaterThan(0);
        const { actions, after, remaining } = repairSim(snap);
        expect(remaining).toEqual([]);
        expect(planRepair(after, { now: NOW, newLinkId: freshNames() })).toEqual([]);
        // Never a complete layer's directory.
        const removed = actions.filter((a) => a.kind === "remove-layer").map((a) => a.layer);
        expect(removed).toEqual(name === "kill a create half-way" ? ["half"] : []);
        for (const id of s.layers.keys()) if (id !== "half") expect(after.layers.has(id)).toBe(true);
      });
    }
  });
}

describe("planRepair() recovers without guessing", () => {
  test("lost l/ links come back under the names in the link files; lower files are untouched", () => {
    const s = store("cs");
    s.links.clear();
    const { actions } = repairSim(s.snap());
    expect(new Set(kinds(actions))).toEqual(new Set(["create-symlink"]));
    expect(actions.map((a) => (a as { name: string }).name).sort()).toEqual([...s.layers.keys()].map(lid).sort());
  });

  test("lost link files and l/ links: names come back from the children's lower files, by position", () => {
    const s = store("cs");
    s.links.clear();
    for (const l of s.layers.values()) l.link = MISSING;
    const { actions } = repairSim(s.snap());
    const names = new Map(actions.filter((a) => a.kind === "write-file" && a.name === "link").map((a) => [(a as { layer: string }).layer, (a as { content: string }).content]));
    // Every layer with a child gets its old name back; the tips (a2, b1) nobody names get fresh ones.
    for (const id of ["a0", "a1", "b0"]) expect(names.get(id)).toBe(lid(id));
    for (const id of ["a2", "b1"]) expect(names.get(id)).toMatch(/^FRESH/);
    expect(actions.some((a) => a.kind === "write-file" && a.name === "lower")).toBe(false);
  });

  test("an empty lower is rebuilt from layers.json's parent chain, with lower-layers", () => {
    const s = store("cs");
    s.layer("a2").lower = { kind: "text", text: "" };
    const { actions } = repairSim(s.snap());
    expect(actions.map((a) => [a.kind, a.file, (a as { content?: string }).content])).toEqual([
      ["write-file", "/s/root/overlay/a2/lower-layers", "a1:a0"],
      ["write-file", "/s/root/overlay/a2/lower", `l/${lid("a1")}:l/${lid("a0")}`],
    ]);
  });

  test("a truncated layers.json keeps its intact records and adopts the rest with their parents", () => {
    const s = store("cs");
    s.records[0]!.names = ["keep-me"];
    s.records[0]!["diff-digest"] = "sha256:abc";
    const text = JSON.stringify(s.records);
    s.layersJson = { kind: "corrupt", text: text.slice(0, text.indexOf('{"id":"a2"') + 3), error: "bad" };
    const { actions, after } = repairSim(s.snap());
    expect(kinds(actions)).toEqual(["backup-file", "adopt-layer", "adopt-layer", "adopt-layer", "write-layers-json"]);
    const recs = after.layersJson.kind === "ok" ? after.layersJson.value : [];
    expect(recs[0]).toEqual({ id: "a0", created: "2026-01-01T00:00:00Z", names: ["keep-me"], "diff-digest": "sha256:abc" });
    expect(recs.map((r) => [r.id, r.parent ?? null])).toEqual([
      ["a0", null],
      ["a1", "a0"],
      ["a2", "a1"],
      ["b0", "a1"],
      ["b1", "b0"],
    ]);
  });

  test("a stale count is dropped; an uncounted mount is counted; an unparseable mountpoints.json is rebuilt", () => {
    const s = store("ovlayer").mount("a1", 3);
    s.mounted.clear();
    s.mounted.add(s.paths.merged("b0"));
    let { actions } = repairSim(s.snap());
    expect(actions.map(describeAction)).toEqual([
      "set-mount-count a1 3 -> 0 in /s/run/overlay-layers/mountpoints.json: /s/root/overlay/a1/merged is not mounted",
      "set-mount-count b0 0 -> 1 in /s/run/overlay-layers/mountpoints.json: /s/root/overlay/b0/merged is mounted but not counted",
    ]);
    s.mountpoints = { kind: "corrupt", text: "[", error: "bad" };
    ({ actions } = repairSim(s.snap()));
    expect(actions).toEqual([
      { kind: "rebuild-mountpoints", file: s.paths.mountpointsJson, records: [{ id: "b0", path: s.paths.merged("b0"), count: 1 }], why: "it does not parse; each mounted layer gets count 1" },
    ]);
  });

  test("dangling, outside and unclaimed l/ links go; a link a lower file still uses stays", () => {
    const s = store("ovlayer");
    s.links.set("DANGLING", { name: "DANGLING", target: "../gone/diff" });
    s.links.set("OUTSIDE", { name: "OUTSIDE", target: "/etc" });
    s.links.set("EXTRA", { name: "EXTRA", target: "../a0/diff" });
    s.links.set("USED", { name: "USED", target: "../a0/diff" });
    s.layer("a1").lower = { kind: "text", text: "l/USED" };
    const { actions, remaining } = repairSim(s.snap());
    expect(remaining).toEqual([]);
    expect(actions.filter((a) => a.kind === "remove-symlink").map((a) => (a as { name: string }).name)).toEqual(["DANGLING", "EXTRA", "OUTSIDE"]);
  });
});

describe("planRepair() leaves what it cannot fix", () => {
  const rest = (s: FakeStore) => repairSim(s.snap());

  test("an incomplete layer under a complete child, or mounted, is not removed", () => {
    const s = store("ovlayer");
    s.records.find((r) => r.id === "b0")!.flags = { incomplete: true };
    let r = rest(s);
    expect(kinds(r.actions)).not.toContain("remove-layer");
    expect(codes(r.remaining)).toEqual(["incomplete"]);
    s.records.find((r) => r.id === "b1")!.flags = { incomplete: true };
    s.mounted.add(s.paths.merged("b1"));
    s.mountRecords.push({ id: "b1", path: s.paths.merged("b1"), count: 1 });
    r = rest(s);
    expect(kinds(r.actions)).not.toContain("remove-layer");
    expect(codes(r.remaining)).toEqual(["incomplete", "incomplete"]);
  });

  test("chain files that agree with each other but not with layers.json: nothing rewritten", () => {
    const s = store("ovlayer").add("z", undefined);
    s.records.find((r) => r.id === "b0")!.parent = "z";
    const r = rest(s);
    expect(r.actions.filter((a) => a.kind === "write-file")).toEqual([]);
    // b0 names the chain a1:a0, layers.json says z; b1 above it inherits the disagreement.
    expect(r.remaining.map((f) => [f.code, f.layer])).toEqual([
      ["parent-mismatch", "b0"],
      ["chain-mismatch", "b1"],
    ]);
  });

  test("a record without a directory, a directory without diff, an orphan without any chain", () => {
    const s = store("cs");
    s.records.push({ id: "ghost" });
    s.layer("a2").subdirs.delete("diff");
    s.add("orphan", "b1");
    s.records.pop();
    Object.assign(s.layer("orphan"), { lower: MISSING, lowerLayers: MISSING });
    s.layer("orphan").subdirs.delete("empty");
    const r = rest(s);
    expect(codes(r.remaining)).toEqual(["diff-missing", "dir-without-entry", "entry-without-dir"]);
    expect(kinds(r.actions)).not.toContain("remove-layer");
  });

  test("an l/ entry that is not a symlink stays, and the layer naming it gets another name", () => {
    const s = store("cs");
    s.links.set(lid("a0"), { name: lid("a0"), target: null });
    const r = rest(s);
    expect(codes(r.remaining)).toEqual(["link-not-symlink"]);
    const a0 = r.actions.find((a): a is Extract<Action, { kind: "write-file" }> => a.kind === "write-file" && a.layer === "a0")!;
    expect(a0.content).toMatch(/^FRESH/);
  });
});

describe("planRepair() in a symlink-free store", () => {
  test("writes a missing lower-layers and drops a broken lower instead of recreating l/ links", () => {
    const s = store("ovlayer");
    s.mode = "symlink-free";
    s.links.clear();
    for (const l of s.layers.values()) l.link = MISSING;
    s.layer("b1").lowerLayers = MISSING;
    const { actions, remaining } = repairSim(s.snap());
    expect(remaining).toEqual([]);
    expect(kinds(actions)).not.toContain("create-symlink");
    expect(actions.find((a) => a.file.endsWith("b1/lower-layers"))).toMatchObject({ kind: "write-file", content: "b0:a1:a0" });
    expect(actions.filter((a) => a.kind === "remove-file").map((a) => a.file).sort()).toEqual(
      ["a1", "a2", "b0", "b1"].map((id) => `/s/root/overlay/${id}/lower`),
    );
  });

  test("the simulation of a plan ends clean even with fresh link names", () => {
    const s = store("cs");
    s.links.clear();
    for (const l of s.layers.values()) l.link = MISSING;
    const actions = planRepair(s.snap(), { now: NOW });
    expect(checkStore(simulate(s.snap(), actions))).toEqual([]);
  });
});

describe("trueChain()", () => {
  const A = ["p", "g"];
  const B = ["q", "g"];
  test("layers.json's chain wins when a chain file agrees with it or none is usable", () => {
    expect(trueChain(A, B, A)).toEqual({ chain: A, source: "layers.json's parent chain, as lower-layers says" });
    expect(trueChain(B, A, A)).toEqual({ chain: A, source: "layers.json's parent chain, as lower says" });
    expect(trueChain(null, null, A)).toEqual({ chain: A, source: "layers.json's parent chain" });
  });
  test("no majority: chain files that disagree with layers.json, or with each other without it", () => {
    expect(trueChain(B, B, A)).toBeNull();
    expect(trueChain(B, null, A)).toBeNull();
    expect(trueChain(A, B, null)).toBeNull();
  });
  test("without layers.json's chain, the chain files when they agree", () => {
    expect(trueChain(A, null, null)).toEqual({ chain: A, source: "lower-layers" });
    expect(trueChain(null, A, null)).toEqual({ chain: A, source: "lower" });
    expect(trueChain(A, A, null)).toEqual({ chain: A, source: "lower-layers and lower" });
    expect(trueChain(null, null, null)).toBeNull();
  });
});

test("derivedLinkId() gives 26 base32 characters, stable for a layer, different per attempt", () => {
  expect(derivedLinkId("abc", 0)).toMatch(/^[A-Z2-7]{26}$/);
  expect(derivedLinkId("abc", 0)).toBe(derivedLinkId("abc", 0));
  expect(derivedLinkId("abc", 1)).not.toBe(derivedLinkId("abc", 0));
});

test("a damaged record whose ID is a path is reported and never planned for removal", () => {
  const s = store("ovlayer");
  s.records.push({ id: "../../etc", flags: { incomplete: true } });
  const snap = s.snap();
  const f = checkStore(snap);
  expect(f.map((x) => x.code)).toEqual(["layers-json-corrupt"]);
  expect(f[0]!.problem).toBe(`record 6 of 6 has the ID "../../etc", which is not a layer ID: it contains '/'`);
  const { actions, remaining } = repairSim(snap);
  expect(actions).toEqual([]);
  expect(codes(remaining)).toEqual(["layers-json-corrupt"]);
});

describe("planRepair() with a directory that could not be listed", () => {
  test("plans nothing: what could not be read looks missing, and acting on that could remove what is there", () => {
    const s = store("cs");
    s.layer("a2").subdirs.delete("empty");
    s.links.clear();
    const broken = s.snap();
    expect(planRepair(broken, { now: NOW, newLinkId: freshNames() }).length).toBeGreaterThan(0);
    const unreadable = { ...broken, unreadable: [{ path: s.paths.layer("a2"), error: "scandir: EIO" }] };
    expect(planRepair(unreadable, { now: NOW, newLinkId: freshNames() })).toEqual([]);
    expect(codes(checkStore(unreadable))).toContain("unreadable");
  });
});
