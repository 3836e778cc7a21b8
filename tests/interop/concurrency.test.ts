/**
 * ovlayer and containers-storage 1.43 creating and deleting layers at the same
 * time in one store (each also deleting layers the other made), while
 * layers.json is polled and both tools keep listing it: no entry is lost, no
 * l/ link dangles, and layers.json is readable by both at every moment.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readLayerRecords, storeProblems, type LayerRec } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, OVLAYER, runAsync, tempStore, type TempStore } from "../helpers/store.ts";

/** Layers each writer creates; every 4th is deleted again right away. */
const PER_WRITER = 24;
/** Base layers made up front by each tool; the other tool's writers delete them during the run. */
const SEEDS = 12;
const WRITERS = [
  { name: "ov1", bin: OVLAYER, deletes: "cs" },
  { name: "ov2", bin: OVLAYER, deletes: "cs" },
  { name: "cs1", bin: "containers-storage", deletes: "ov" },
  { name: "cs2", bin: "containers-storage", deletes: "ov" },
] as const;

describe.skipIf(!canMount() || !hasContainersStorage())("ovlayer and containers-storage writing one store at once", () => {
  let s: TempStore;
  const names = (records: readonly LayerRec[]) => records.flatMap((r) => r.names ?? []).sort();

  beforeAll(() => {
    s = tempStore("ovl-interop-concurrent-");
    s.ovOk(["create-layer", "-n", "anchor"]);
    for (let i = 1; i <= SEEDS; i++) {
      s.csOk(["create-layer", "-n", `seed-cs-${i}`]);
      s.ovOk(["create-layer", "-n", `seed-ov-${i}`]);
    }
  }, 60_000);
  afterAll(() => s?.cleanup());

  /**
   * Writer `w`: layer w-i on the anchor (odd i) or on w-(i-1) (even i), so it
   * builds little chains on both tools' layers; deletes w-i again when i is a
   * multiple of 4 (a leaf), and deletes one of the other tool's seeds per step.
   */
  function script(w: (typeof WRITERS)[number], k: number): string {
    const tool = `"${w.bin}" --graph "${s.graph}" --run "${s.runRoot}" --storage-driver overlay`;
    const half = SEEDS / 2;
    return `set -e
for i in $(seq 1 ${PER_WRITER}); do
  if [ $((i % 2)) -eq 0 ]; then parent=${w.name}-$((i - 1)); else parent=anchor; fi
  ${tool} create-layer -n ${w.name}-$i $parent >/dev/null
  if [ $((i % 4)) -eq 0 ]; then ${tool} delete-layer ${w.name}-$i >/dev/null; fi
  if [ $i -le ${half} ]; then ${tool} delete-layer seed-${w.deletes}-$((i + ${k % 2} * ${half})) >/dev/null; fi
done`;
  }

  const expectedNames = () =>
    ["anchor", ...WRITERS.flatMap((w) => Array.from({ length: PER_WRITER }, (_, i) => i + 1).filter((i) => i % 4 !== 0).map((i) => `${w.name}-${i}`))].sort();

  test("no entry lost, no dangling l/ link, layers.json readable by both tools at every moment", async () => {
    const problems: string[] = [];
    let done = false;
    let polls = 0;
    const listings = { "containers-storage": 0, ovlayer: 0 };

    // Poll the file itself: writers replace it atomically, so every read is a whole, valid array.
    const poller = (async () => {
      while (!done) {
        try {
          const records = JSON.parse(readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8")) as LayerRec[];
          if (!Array.isArray(records)) problems.push(`poll ${polls}: layers.json is not an array`);
          else if (new Set(records.map((r) => r.id)).size !== records.length) problems.push(`poll ${polls}: an ID is listed twice`);
          else if (!names(records).includes("anchor")) problems.push(`poll ${polls}: the anchor layer is missing`);
        } catch (e) {
          problems.push(`poll ${polls}: ${(e as Error).message}`);
        }
        polls++;
        await Bun.sleep(1);
      }
    })();
    // Both tools keep listing the store while it changes.
    const lister = (tool: keyof typeof listings, bin: string) =>
      (async () => {
        while (!done) {
          const r = await s.start(bin, ["layers", "--json"]);
          if (r.code !== 0) problems.push(`${tool} layers exited ${r.code}: ${r.stderr}`);
          else {
            try {
              const records = JSON.parse(r.stdout) as LayerRec[];
              if (!names(records).includes("anchor")) problems.push(`${tool} layers: the anchor layer is missing`);
            } catch (e) {
              problems.push(`${tool} layers printed something that is not JSON: ${(e as Error).message}`);
            }
          }
          listings[tool]++;
        }
      })();
    const listers = [lister("containers-storage", "containers-storage"), lister("ovlayer", OVLAYER)];

    const writers = await Promise.all(WRITERS.map((w, k) => runAsync(["sh", "-c", script(w, k)], { env: s.env })));
    done = true;
    await Promise.all([poller, ...listers]);
    for (const [k, w] of writers.entries()) {
      if (w.code !== 0) problems.push(`writer ${WRITERS[k]!.name} exited ${w.code}: ${w.stderr}`);
    }

    expect(problems).toEqual([]);
    // The checks above really ran while the writers did.
    expect(polls).toBeGreaterThan(50);
    expect(listings["containers-storage"]).toBeGreaterThan(5);
    expect(listings.ovlayer).toBeGreaterThan(5);

    const records = readLayerRecords(s);
    expect(names(records)).toEqual(expectedNames());
    expect(records).toHaveLength(expectedNames().length);
    for (const tool of [s.csOk, s.ovOk]) {
      expect(names(JSON.parse(tool(["layers", "--json"])) as LayerRec[])).toEqual(expectedNames());
    }
    // No dangling or foreign l/ link, no orphan directory, every chain as layers.json says.
    expect(storeProblems(s)).toEqual([]);
    expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
    expect(readdirSync(join(s.graph, "overlay", "l")).sort()).toEqual(records.map((r) => readFileSync(join(s.graph, "overlay", r.id, "link"), "utf8")).sort());
    // And both tools can still build on what the other left.
    const top = records.find((r) => r.names?.includes("cs1-23"))!.id;
    const child = firstLine(s.ovOk(["create-layer", top]));
    expect(firstLine(s.csOk(["create-layer", child]))).toMatch(/^[0-9a-f]{64}$/);
    expect(storeProblems(s)).toEqual([]);
  }, 120_000);
});
