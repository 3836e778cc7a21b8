/**
 * Deep chains across tools, up to containers-storage 1.43's limit of 128
 * lower layers: chains it made mount with ovlayer, chains ovlayer made mount
 * with it, and chains alternating between the two mount with both. Every
 * layer holds its own file and rewrites /top, so a mount shows whether every
 * layer is there and in the right order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { legacyProblems, mounted, readLayerRecords, storeProblems, treeOf, writeLayerFiles, type Tree, unmountLayers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";

/** containers-storage 1.43 mounts at most this many lower layers (ovlayer: 500). */
const CS_MAX_LOWERS = 128;
const LAYERS = CS_MAX_LOWERS + 1;

type Tool = "cs" | "ov";

describe.skipIf(!canMount() || !hasContainersStorage())("chains of 128 lower layers across containers-storage and ovlayer", () => {
  let s: TempStore;
  const chains: Record<string, { ids: string[]; tools: Tool[] }> = {};
  const merged = (id: string) => join(s.graph, "overlay", id, "merged");

  /** Creates one layer per entry of `tools`, each on the previous one, with that tool. */
  function build(name: string, tools: Tool[]): void {
    const ids: string[] = [];
    tools.forEach((tool, i) => {
      const args = ["create-layer", ...(ids.length ? [ids[ids.length - 1]!] : [])];
      const id = firstLine(tool === "cs" ? s.csOk(args) : s.ovOk(args));
      writeLayerFiles(s, id, { [`layers/${name}-${i}`]: `${tool} ${i}\n`, top: `${name} layer ${i}\n` });
      ids.push(id);
    });
    chains[name] = { ids, tools };
  }

  /** What a mount of layer `depth` of chain `name` must show: one file per layer, /top from the uppermost. */
  function want(name: string, depth: number): Tree {
    const { tools } = chains[name]!;
    const t: Tree = { top: `${name} layer ${depth}\n` };
    for (let i = 0; i <= depth; i++) t[`layers/${name}-${i}`] = `${tools[i]} ${i}\n`;
    return t;
  }

  function mountWith(tool: Tool, id: string, extra: string[] = []): string {
    const args = [...extra, "mount", id];
    return tool === "cs" ? s.csOk(args) : s.ovOk(args);
  }
  function unmountWith(tool: Tool, id: string): void {
    expect(tool === "cs" ? s.csOk(["unmount", id]) : s.ovOk(["unmount", id])).toBe(`${id} mountpoint unmounted`);
    expect(mounted(merged(id))).toBe(false);
  }
  /** Mounts layer `depth` of a chain with `tool`, checks every file, unmounts. */
  function check(tool: Tool, name: string, depth: number, extra: string[] = []): void {
    const id = chains[name]!.ids[depth]!;
    const m = mountWith(tool, id, extra);
    expect(m).toBe(merged(id));
    expect(treeOf(m)).toEqual(want(name, depth));
    unmountWith(tool, id);
  }

  beforeAll(() => {
    s = tempStore("ovl-interop-deep-");
    build("cs", Array<Tool>(LAYERS).fill("cs"));
    build("ov", Array<Tool>(LAYERS).fill("ov"));
    build("cs-ov", Array.from({ length: LAYERS }, (_, i): Tool => (i % 2 ? "ov" : "cs")));
    build("ov-cs", Array.from({ length: LAYERS }, (_, i): Tool => (i % 2 ? "cs" : "ov")));
  }, 120_000);
  afterEach(() => {
    unmountLayers(s);
  });
  afterAll(() => s?.cleanup());

  /** Every depth from a base layer (0 lowers) to 128 lowers. */
  const DEPTHS = Array.from({ length: LAYERS }, (_, d) => d);

  test("every layer ovlayer made in these chains is readable by old tools, and the store is consistent", () => {
    const records = readLayerRecords(s);
    for (const { ids, tools } of Object.values(chains)) {
      ids.forEach((id, i) => {
        if (tools[i] === "ov") expect(legacyProblems(s, id, records)).toEqual([]);
      });
    }
    expect(storeProblems(s)).toEqual([]);
    expect(s.ov(["check", "--verbose"])).toMatchObject({ code: 0, stderr: expect.stringContaining("no problems") });
  }, 60_000);

  test("ovlayer mounts every layer of a chain containers-storage made, up to 128 lowers, with every strategy that fits", () => {
    for (const d of DEPTHS) check("ov", "cs", d);
    for (const st of ["api", "fd"]) check("ov", "cs", CS_MAX_LOWERS, ["--storage-opt", `overlay.mount_strategy=${st}`]);
    // 128 absolute lowerdirs do not fit in one page: forcing "direct" is refused and leaves nothing behind.
    const top = chains.cs!.ids[CS_MAX_LOWERS]!;
    const r = s.ov(["--storage-opt", "overlay.mount_strategy=direct", "mount", top]);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain("it must be under the page size");
    expect(mounted(merged(top))).toBe(false);
    expect(s.csOk(["mounted", top])).toBe("");
  }, 120_000);

  test("containers-storage mounts every layer of a chain ovlayer made, up to 128 lowers", () => {
    for (const d of DEPTHS) check("cs", "ov", d);
  }, 120_000);

  test("every layer of chains alternating containers-storage and ovlayer layers mounts with both tools, up to 128 lowers", () => {
    for (const name of ["cs-ov", "ov-cs"]) {
      for (const d of DEPTHS) {
        check("cs", name, d);
        check("ov", name, d);
      }
    }
  }, 300_000); // 516 mount+unmount pairs with two tools: 80 s on an idle 2-core VM, more under load

  test("one layer past containers-storage's limit: it says max depth exceeded, ovlayer mounts all 130 layers", () => {
    for (const base of ["cs", "ov"]) {
      const parent = chains[base]!.ids[CS_MAX_LOWERS]!;
      const id = firstLine(s.ovOk(["create-layer", parent]));
      try {
        writeLayerFiles(s, id, { top: "layer 129\n" });
        const r = s.cs(["mount", id]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("max depth exceeded");
        expect(mounted(merged(id))).toBe(false);
        const m = s.ovOk(["mount", id]);
        expect(treeOf(m)).toEqual({ ...want(base, CS_MAX_LOWERS), top: "layer 129\n" });
        unmountWith("ov", id);
      } finally {
        s.ov(["delete", id]);
      }
    }
  }, 120_000);
});
