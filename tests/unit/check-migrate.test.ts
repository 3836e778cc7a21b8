import { describe, expect, test } from "bun:test";
import { simulate } from "../../src/check/actions.ts";
import { checkStore } from "../../src/check/findings.ts";
import { planMigrate } from "../../src/check/migrate.ts";
import { MISSING } from "../../src/check/snapshot.ts";
import { codes, FakeStore, kinds, lid } from "./check-fixtures.ts";

function mixed(): FakeStore {
  // Made by containers-storage 1.43 (no lower-layers), then extended by ovlayer.
  const s = new FakeStore().chain("c", 3, "cs");
  s.add("o", "c2", "ovlayer").add("p", "o", "cs");
  return s;
}

describe("planMigrate() without --drop-legacy-links", () => {
  test("gives each layer lacking lower-layers one converted from lower; a second plan is empty", () => {
    const s = mixed();
    const plan = planMigrate(s.snap(), { dropLegacyLinks: false });
    expect(plan.blockers).toEqual([]);
    expect(plan.actions.map((a) => [a.kind, a.file, (a as { content?: string }).content])).toEqual([
      ["write-file", "/s/root/overlay/c1/lower-layers", "c0"],
      ["write-file", "/s/root/overlay/c2/lower-layers", "c1:c0"],
      ["write-file", "/s/root/overlay/p/lower-layers", "o:c2:c1:c0"],
    ]);
    const after = simulate(s.snap(), plan.actions);
    expect(checkStore(after)).toEqual([]);
    expect(planMigrate(after, { dropLegacyLinks: false }).actions).toEqual([]);
  });

  test("a layer whose lower does not resolve is a blocker; the others are still migrated", () => {
    const s = mixed();
    s.links.delete(lid("c0"));
    s.add("d1", "c0", "cs");
    s.layer("d1").lower = { kind: "text", text: "c0" }; // a bare ID entry resolves without l/
    const plan = planMigrate(s.snap(), { dropLegacyLinks: false });
    expect(plan.actions.map((a) => [a.file, (a as { content: string }).content])).toEqual([["/s/root/overlay/d1/lower-layers", "c0"]]);
    expect(codes(plan.blockers)).toEqual(["lower-link-missing", "lower-link-missing", "lower-link-missing"]);
    expect(plan.blockers.map((b) => b.layer)).toEqual(["c1", "c2", "p"]);
  });
});

describe("planMigrate() with --drop-legacy-links", () => {
  test("ends symlink-free: lower-layers everywhere, no lower, link or l/; check is clean; a second plan is empty", () => {
    const s = mixed();
    const plan = planMigrate(s.snap(), { dropLegacyLinks: true });
    expect(plan.blockers).toEqual([]);
    expect(kinds(plan.actions).slice(0, 4)).toEqual(["write-file", "write-file", "write-file", "write-marker"]);
    expect(kinds(plan.actions).at(-1)).toBe("remove-dir");
    const after = simulate(s.snap(), plan.actions);
    expect(after.mode).toBe("symlink-free");
    expect(after.links.size).toBe(0);
    expect(after.linkDirExists).toBe(false);
    for (const l of after.layers.values()) {
      expect(l.link).toEqual(MISSING);
      expect(l.lower).toEqual(MISSING);
    }
    expect(checkStore(after)).toEqual([]);
    expect(planMigrate(after, { dropLegacyLinks: true })).toEqual({ actions: [], blockers: [] });
  });

  test("refuses to start on a store check finds anything wrong with, and changes nothing", () => {
    const s = mixed().mount("c1", 1);
    s.mounted.clear();
    const plan = planMigrate(s.snap(), { dropLegacyLinks: true });
    expect(plan.actions).toEqual([]);
    expect(codes(plan.blockers)).toEqual(["mount-count-stale"]);
  });

  test("a layer added by an old tool to a symlink-free store is migrated again", () => {
    const s = new FakeStore().chain("c", 2, "ovlayer");
    s.mode = "symlink-free";
    s.links.clear();
    for (const l of s.layers.values()) Object.assign(l, { link: MISSING, lower: MISSING });
    // containers-storage 1.43 does not know the marker: its layer comes with link, l/ and lower only.
    // (On a parent with a chain it would write a short lower, as the parent has none: check calls that chain-mismatch.)
    s.layer("c0").link = { kind: "text", text: lid("c0") };
    s.links.set(lid("c0"), { name: lid("c0"), target: "../c0/diff" });
    s.add("old", "c0", "cs");
    expect(codes(checkStore(s.snap()))).toEqual(["lower-layers-missing"]);
    const plan = planMigrate(s.snap(), { dropLegacyLinks: true });
    expect(plan.blockers).toEqual([]);
    expect(kinds(plan.actions)).not.toContain("write-marker");
    expect(checkStore(simulate(s.snap(), plan.actions))).toEqual([]);
  });
});
