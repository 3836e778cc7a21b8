/**
 * Chains mixing layers made by containers-storage 1.43 ("old": only `lower`
 * and l/ links) and by ovlayer ("new": `lower-layers` too), in every order:
 * a tree whose root-to-leaf paths are all 16 sequences of four layers
 * (old/new at each step). Every layer mounts with both tools and shows every
 * file of its chain.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { legacyProblems, mounted, parentChain, readLayerRecords, storeProblems, treeOf, writeLayerFiles, type Tree, unmountLayers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";

const DEPTH = 4;
/** o = made by containers-storage (old), n = made by ovlayer (new). */
const STEPS = ["o", "n"] as const;

describe.skipIf(!canMount() || !hasContainersStorage())("mixed chains of old and new layers, in every order", () => {
  let s: TempStore;
  /** Path of creators from the base ("onno") -> layer ID. */
  const layers = new Map<string, string>();
  const merged = (id: string) => join(s.graph, "overlay", id, "merged");

  /** One file per layer of the path, and /top from the uppermost. */
  const want = (path: string): Tree => {
    const t: Tree = { top: `${path}\n` };
    for (let i = 1; i <= path.length; i++) t[`by/${path.slice(0, i)}`] = `${path[i - 1] === "o" ? "containers-storage" : "ovlayer"}\n`;
    return t;
  };

  beforeAll(() => {
    s = tempStore("ovl-interop-mixed-");
    let level = [""];
    for (let d = 1; d <= DEPTH; d++) {
      const next: string[] = [];
      for (const prefix of level) {
        for (const step of STEPS) {
          const path = prefix + step;
          const args = ["create-layer", ...(prefix ? [layers.get(prefix)!] : [])];
          const id = firstLine(step === "o" ? s.csOk(args) : s.ovOk(args));
          writeLayerFiles(s, id, { [`by/${path}`]: `${step === "o" ? "containers-storage" : "ovlayer"}\n`, top: `${path}\n` });
          layers.set(path, id);
          next.push(path);
        }
      }
      level = next;
    }
  }, 120_000);
  afterEach(() => {
    unmountLayers(s);
  });
  afterAll(() => s?.cleanup());

  test(`the tree holds all ${2 ** DEPTH} orders of ${DEPTH} layers, each chain as layers.json says`, () => {
    const records = readLayerRecords(s);
    const leaves = [...layers.keys()].filter((p) => p.length === DEPTH);
    expect(new Set(leaves).size).toBe(2 ** DEPTH);
    for (const [path, id] of layers) {
      const chain = parentChain(records, id);
      expect(chain).toEqual([...Array(path.length - 1).keys()].map((k) => layers.get(path.slice(0, path.length - 1 - k))!));
    }
  }, 60_000);

  test("new layers have lower, link and l/ links old tools read, and lower-layers converted from old parents", () => {
    const records = readLayerRecords(s);
    for (const [path, id] of layers) {
      const dir = join(s.graph, "overlay", id);
      if (path.endsWith("n")) {
        expect(legacyProblems(s, id, records)).toEqual([]);
        if (path.length > 1) expect(readFileSync(join(dir, "lower-layers"), "utf8")).toBe(parentChain(records, id).join(":"));
      } else {
        // containers-storage 1.43 writes no lower-layers, even on a parent that has one.
        expect(existsSync(join(dir, "lower-layers"))).toBe(false);
      }
    }
    expect(storeProblems(s)).toEqual([]);
    expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
  }, 60_000);

  for (const tool of ["containers-storage", "ovlayer"] as const) {
    test(`${tool} mounts every layer of every order and sees every file`, () => {
      for (const [path, id] of layers) {
        const m = tool === "ovlayer" ? s.ovOk(["mount", id]) : s.csOk(["mount", id]);
        expect(m).toBe(merged(id));
        expect({ path, tree: treeOf(m) }).toEqual({ path, tree: want(path) });
        expect(tool === "ovlayer" ? s.ovOk(["unmount", id]) : s.csOk(["unmount", id])).toBe(`${id} mountpoint unmounted`);
        expect(mounted(m)).toBe(false);
      }
    }, 60_000);
  }
});
