/**
 * check / repair on stores made by ovlayer and by containers-storage 1.43,
 * broken on purpose in each way power loss or a crash breaks them.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { canMount, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";
import { actionLines, BREAKS, buildStore, checkPairs, listing, mountEveryLayer, type Tool } from "./repair-scenarios.ts";

const runnable = canMount() && hasContainersStorage();

for (const tool of ["ovlayer", "cs"] as Tool[]) {
  describe.skipIf(!runnable)(`repair of a store made by ${tool === "cs" ? "containers-storage 1.43" : "ovlayer"}`, () => {
    let s: TempStore | null = null;
    afterEach(() => {
      s?.cleanup();
      s = null;
    });

    for (const brk of BREAKS) {
      test(`${brk.name}: check reports it, --dry-run changes nothing, repair fixes it, both tools mount every layer`, () => {
        s = tempStore("ovl-repair-");
        const built = buildStore(s, tool);
        expect(checkPairs(s).code).toBe(0);

        const expected = brk.apply(s, built, tool);
        const before = listing(s);
        const found = checkPairs(s);
        expect(found.code).toBe(1);
        expect(found.pairs).toEqual(expected);
        for (const p of found.problems) expect(p.file.startsWith(s.graph) || p.file.startsWith(s.runRoot)).toBe(true);
        expect(listing(s)).toEqual(before); // check wrote nothing

        const dry = s.ov(["repair", "--dry-run"]);
        expect(dry.code).toBe(0);
        expect(dry.stderr).toContain("dry run");
        expect(listing(s)).toEqual(before); // nor did the dry run

        const real = s.ov(["repair"]);
        expect(real.stderr).not.toContain("cannot fix");
        expect(real.code).toBe(0);
        expect(actionLines(real.stdout)).toEqual(actionLines(dry.stdout));
        expect(actionLines(real.stdout).length).toBeGreaterThan(0);

        expect(checkPairs(s)).toMatchObject({ code: 0, pairs: [] });
        const settled = listing(s);
        const again = s.ov(["repair"]);
        expect(again).toMatchObject({ code: 0, stdout: "" });
        expect(again.stderr).toContain("nothing to do");
        expect(listing(s)).toEqual(settled);

        mountEveryLayer(s, built);
        expect(checkPairs(s).code).toBe(0);
      });
    }
  });
}
