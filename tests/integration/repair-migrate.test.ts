/**
 * migrate: lower-layers for layers made by containers-storage 1.43, and
 * --drop-legacy-links on a 500-layer chain, mounted afterwards with no l/
 * entry left at all.
 *
 * The 500-layer chain is built once (in-process, through createLayer: 500 CLI
 * runs would take far longer) into a template; each test copies it, so no
 * test depends on another.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { createLayer } from "../../src/store/lifecycle/create.ts";
import { StorePaths } from "../../src/store/paths.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";
import { buildStore, checkPairs, listing, mountEveryLayer } from "./repair-scenarios.ts";

const CHAIN = 500;
const runnable = canMount() && hasContainersStorage();

describe.skipIf(!runnable)("migrate", () => {
  let template = "";
  const chain: string[] = [];
  let s: TempStore | null = null;

  beforeAll(async () => {
    template = mkdtempSync(join(tmpdir(), "ovl-migrate-template-"));
    const paths = new StorePaths(join(template, "root"), join(template, "run"));
    let parent: string | undefined;
    for (let i = 0; i < CHAIN; i++) {
      const rec = await createLayer(paths, parent ? { parent } : {});
      writeFileSync(join(paths.diff(rec.id), `f${i}`), `${i}\n`);
      chain.push(rec.id);
      parent = rec.id;
    }
  }, 180_000);
  afterAll(() => {
    if (template) rmSync(template, { recursive: true, force: true });
  });
  afterEach(() => {
    s?.cleanup();
    s = null;
  });

  /** A temp store holding a copy of the 500-layer chain (legacy-compatible: link, l/, lower, lower-layers). */
  function chainStore(): TempStore {
    s = tempStore("ovl-migrate-");
    rmSync(s.graph, { recursive: true });
    const cp = Bun.spawnSync(["cp", "-a", join(template, "root"), s.graph]);
    expect(cp.exitCode).toBe(0);
    return s;
  }
  const home = (st: TempStore) => join(st.graph, "overlay");
  const top = () => chain[CHAIN - 1]!;

  test("--drop-legacy-links without --yes refuses, says what it would break, and changes nothing", () => {
    const st = chainStore();
    const before = listing(st);
    const r = st.ov(["migrate", "--drop-legacy-links"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    for (const word of ["podman 4", "buildah", "skopeo", "read only lower", "--yes"]) expect(r.stderr).toContain(word);
    expect(listing(st)).toEqual(before);
    expect(st.ovOk(["status"])).toContain("Link Mode: legacy-compatible");
  });

  test("--drop-legacy-links --dry-run lists every removal and changes nothing", () => {
    const st = chainStore();
    const before = listing(st);
    const r = st.ov(["migrate", "--drop-legacy-links", "--dry-run"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    // The marker, 499 lower files, 500 link files, 500 l/ links, the l/ directory.
    expect(lines.length).toBe(1 + (CHAIN - 1) + CHAIN + CHAIN + 1);
    expect(lines[0]).toStartWith(`write-marker ${join(home(st), ".ovlayer-symlink-free")}`);
    expect(lines.at(-1)).toStartWith(`remove-dir ${join(home(st), "l")}`);
    expect(listing(st)).toEqual(before);
  });

  test(`--drop-legacy-links --yes, then a ${CHAIN}-layer chain mounts with no l/ directory entries at all`, () => {
    const st = chainStore();
    expect(readdirSync(join(home(st), "l")).length).toBe(CHAIN);
    const r = st.ov(["migrate", "--drop-legacy-links", "--yes"]);
    expect(r.stderr).toContain(`of ${1 + (CHAIN - 1) + CHAIN + CHAIN + 1} actions done`);
    expect(r.code).toBe(0);

    expect(existsSync(join(home(st), "l"))).toBe(false);
    expect(readdirSync(home(st))).not.toContain("l");
    for (const id of chain) {
      const files = readdirSync(join(home(st), id));
      expect(files).not.toContain("link");
      expect(files).not.toContain("lower");
      if (id !== chain[0]) expect(files).toContain("lower-layers");
    }
    expect(readFileSync(join(home(st), top(), "lower-layers"), "utf8").split(":")).toEqual(chain.slice(0, -1).reverse());
    expect(st.ovOk(["status"])).toContain("Link Mode: symlink-free");
    expect(checkPairs(st)).toMatchObject({ code: 0, pairs: [] });

    const merged = firstLine(st.ovOk(["mount", top()]));
    try {
      const m = readMountinfo().find((e) => e.mountPoint === merged);
      expect(m?.fsType).toBe("overlay");
      const seen = readdirSync(merged);
      expect(seen.length).toBe(CHAIN);
      expect(new Set(seen)).toEqual(new Set(chain.map((_, i) => `f${i}`)));
      expect(readFileSync(join(merged, "f0"), "utf8")).toBe("0\n");
      expect(readFileSync(join(merged, `f${CHAIN - 1}`), "utf8")).toBe(`${CHAIN - 1}\n`);
      expect(existsSync(join(home(st), "l"))).toBe(false); // mounting made none either
    } finally {
      st.ovOk(["unmount", top()]);
    }
    expect(readMountinfo().some((e) => e.mountPoint === merged)).toBe(false);

    // Safe to run again (at every boot): nothing to do, and it says so.
    const again = st.ov(["migrate", "--drop-legacy-links", "--yes"]);
    expect(again).toMatchObject({ code: 0, stdout: "" });
    expect(again.stderr).toContain("nothing to do");
    expect(st.ov(["repair"])).toMatchObject({ code: 0, stdout: "" });

    // New layers honour the marker: lower-layers only.
    const child = firstLine(st.ovOk(["create-layer", top()]));
    expect(readdirSync(join(home(st), child)).sort()).toEqual(["diff", "lower-layers", "merged", "work"]);
    expect(existsSync(join(home(st), "l"))).toBe(false);
    expect(checkPairs(st).code).toBe(0);
  });

  test("migrate gives containers-storage 1.43 layers lower-layers: the store then reads without l/, and 1.43 still mounts it", () => {
    const st = (s = tempStore("ovl-migrate-"));
    const built = buildStore(st, "cs");
    const r = st.ov(["migrate"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(" ")[1])).toEqual([built.ids.b, built.ids.c, built.ids.d].map((id) => join(home(st), id, "lower-layers")).sort());
    expect(readFileSync(join(home(st), built.ids.c, "lower-layers"), "utf8")).toBe(`${built.ids.b}:${built.ids.a}`);
    expect(st.ov(["migrate"])).toMatchObject({ code: 0, stdout: "" });
    expect(checkPairs(st).code).toBe(0);
    mountEveryLayer(st, built); // containers-storage 1.43 reads lower, which is untouched

    // Lose every l/ link: ovlayer still mounts through lower-layers; check names the loss; repair restores it.
    for (const n of readdirSync(join(home(st), "l"))) rmSync(join(home(st), "l", n));
    const merged = firstLine(st.ovOk(["mount", built.ids.c]));
    expect(readdirSync(merged).sort()).toEqual(built.visible[built.ids.c]!);
    st.ovOk(["unmount", built.ids.c]);
    expect(checkPairs(st).pairs.map(([c]) => c)).toContain("link-missing");
    expect(st.ov(["repair"]).code).toBe(0);
    mountEveryLayer(st, built);
  });

  test("--drop-legacy-links --yes is blocked by any problem check finds, and changes nothing", () => {
    const st = (s = tempStore("ovl-migrate-"));
    const { ids } = buildStore(st, "cs");
    writeFileSync(join(home(st), ids.c, "lower"), "");
    const before = listing(st);
    const r = st.ov(["migrate", "--drop-legacy-links", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ovlayer: migrate: blocked by: lower-empty: ${join(home(st), ids.c, "lower")}: the file is empty`);
    expect(r.stderr).toContain("run `ovlayer repair` first");
    expect(listing(st)).toEqual(before);
  });
});
