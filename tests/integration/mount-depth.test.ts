/**
 * Mounting at every depth the kernel allows, with each strategy forced and
 * with the default, on one 502-layer chain built once for the file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { planMount } from "../../src/mount/plan.ts";
import { pageSize } from "../../src/sys/libc.ts";
import { buildChain } from "../helpers/chain.ts";
import { canMount, tempStore, unmountBelow, type TempStore } from "../helpers/store.ts";

const DEPTHS = [1, 2, 40, 127, 128, 129, 300, 499, 500];
const STRATEGIES = ["direct", "fd", "api", "default"] as const;

describe.skipIf(!canMount())("mount depth matrix", () => {
  let s: TempStore;
  let ids: string[] = [];
  beforeAll(async () => {
    s = tempStore("ovl-depth-");
    ids = (await buildChain(s.graph, s.runRoot, 502)).ids; // layer i has i lower layers
  }, 120_000);
  afterEach(() => {
    // leave nothing mounted between tests, even after a failure
    for (const m of readMountinfo().filter((e) => e.mountPoint.startsWith(s.graph + "/overlay/") && e.mountPoint.endsWith("/merged"))) {
      unmountBelow(m.mountPoint);
    }
  });
  afterAll(() => s.cleanup());

  const directFits = (depth: number) => {
    const p = planMount({
      layerId: ids[depth]!,
      diff: paths(ids[depth]!, "diff"),
      work: paths(ids[depth]!, "work"),
      merged: paths(ids[depth]!, "merged"),
      empty: paths(ids[depth]!, "empty"),
      lowers: ids.slice(0, depth).reverse().map((l) => paths(l, "diff")),
      readOnly: false,
      options: [],
    });
    return p.directLength < pageSize();
  };
  const paths = (id: string, sub: string) => join(s.graph, "overlay", id, sub);
  const opt = (st: string) => (st === "default" ? [] : ["--storage-opt", `overlay.mount_strategy=${st}`]);

  for (const depth of DEPTHS) {
    for (const st of STRATEGIES) {
      test(`${depth} lowers, ${st}`, () => {
        const id = ids[depth]!;
        // The direct strategy only exists where the data fits in a page (about 35 lowers with these paths).
        const fits = directFits(depth);
        const r = s.ov(["--debug", ...opt(st), "mount", id]);
        if (depth <= 2) expect(fits).toBe(true);
        if (depth >= 127) expect(fits).toBe(false);
        if (st === "direct" && !fits) {
          expect(r.code).toBe(8);
          expect(r.stderr).toContain("it must be under the page size of");
          expect(readMountinfo().some((m) => m.mountPoint === join(s.graph, "overlay", id, "merged"))).toBe(false);
          return;
        }
        // Only --debug lines ("ovlayer: debug: ..."), no error or warning.
        expect(r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("ovlayer: debug: "))).toEqual([]);
        expect(r.code).toBe(0);
        const merged = r.stdout.trim();
        expect(merged).toBe(join(s.graph, "overlay", id, "merged"));
        const used = /with the (\w+) strategy/.exec(r.stderr)?.[1];
        expect(used).toBe(st === "default" ? "api" : st);
        const directLen = Number(/direct data would be (\d+) bytes/.exec(r.stderr)?.[1]);
        if (depth >= 129) expect(directLen).toBeGreaterThan(4096); // the fd and api runs really crossed a page
        const files = readdirSync(merged).sort();
        expect(files).toHaveLength(depth + 1);
        expect(readFileSync(join(merged, "f0"), "utf8")).toBe("layer 0\n");
        expect(readFileSync(join(merged, `f${depth}`), "utf8")).toBe(`layer ${depth}\n`);
        const entry = readMountinfo().find((m) => m.mountPoint === merged);
        expect(entry?.fsType).toBe("overlay");
        const u = s.ov(["unmount", id]);
        expect(u.stdout).toBe(`${id} mountpoint unmounted\n`);
        expect(readMountinfo().some((m) => m.mountPoint === merged)).toBe(false);
      });
    }
  }

  for (const st of STRATEGIES) {
    test(`501 lowers is refused with ${st}, before anything is mounted`, () => {
      const id = ids[501]!;
      const before = readFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "utf8");
      const r = s.ov([...opt(st), "mount", id]);
      expect(r.code).toBe(8);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("max depth exceeded");
      expect(r.stderr).toContain(id);
      expect(r.stderr).toContain("501 lower layers, the limit is 500");
      expect(readFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "utf8")).toBe(before);
      expect(readMountinfo().some((m) => m.mountPoint.includes(id))).toBe(false);
    });
  }

  test("read-only counts the layer's own diff: 499 lowers mount, 500 are refused and say why", () => {
    const ok = s.ov(["mount", "--ro", ids[499]!]);
    expect(ok.code).toBe(0);
    expect(readdirSync(ok.stdout.trim())).toHaveLength(500);
    s.ovOk(["unmount", ids[499]!]);
    const r = s.ov(["mount", "-r", ids[500]!]);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain("max depth exceeded: a read-only mount stacks the layer's own diff on its 500 lower layers, 501 in all");
  });
});
