/**
 * One chain model: mount (store/layers/chain.ts, syscalls as the rule asks) and
 * check (check/view.ts, on a snapshot) read the chain of every layer of
 * generated stores, healthy and broken, and must give the same answer: the
 * same lower layers, or a refusal by mount exactly where check reports the
 * file mount read. Stores are made on disk by a seeded PRNG, so a failure
 * names a seed that reproduces it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OvError } from "../../src/errors.ts";
import { checkStore, type Finding } from "../../src/check/findings.ts";
import { takeSnapshot } from "../../src/check/snapshot.ts";
import { buildView, diskResolver, evalLower, evalLowerLayers, resolvedIds } from "../../src/check/view.ts";
import { readChain } from "../../src/store/layers/chain.ts";
import { formatLayersJson, type LayerRecord } from "../../src/store/records/layers-json.ts";
import { StorePaths } from "../../src/store/paths.ts";
import { prng } from "../helpers/prng.ts";


interface Gen {
  rnd: () => number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  str(alphabet: string, n: number): string;
}

function gen(seed: number): Gen {
  const rnd = prng(seed);
  const g: Gen = {
    rnd,
    int: (n) => Math.floor(rnd() * n),
    pick: (xs) => xs[g.int(xs.length)]!,
    str: (alphabet, n) => Array.from({ length: n }, () => alphabet[g.int(alphabet.length)]).join(""),
  };
  return g;
}

interface Layer {
  id: string;
  lid: string;
  parent?: string;
  /** IDs of the lower layers, uppermost first. */
  chain: string[];
}

const BREAKS = [
  "drop-lower-layers",
  "drop-lower",
  "drop-both-lower-files",
  "drop-diff",
  "diff-is-symlink",
  "drop-layer-dir",
  "layer-dir-is-symlink",
  "drop-l-link",
  "l-link-dangling",
  "l-link-outside",
  "l-link-is-dir",
  "l-dir-is-symlink",
  "link-file-colon",
  "link-file-slash",
  "lower-layers-loop-self",
  "lower-layers-repeat",
  "lower-loop",
  "lower-layers-bad-entry",
  "lower-bad-link-name",
  "lower-layers-empty",
  "lower-layers-is-dir",
  "lower-layers-too-deep",
] as const;
type Break = (typeof BREAKS)[number];

/** Writes a store of 2-9 layers (a forest of chains), then applies 0-3 breaks; returns its paths and records. */
function makeStore(root: string, g: Gen): { paths: StorePaths; records: LayerRecord[]; breaks: string[] } {
  const paths = new StorePaths(join(root, "graph"), join(root, "run"));
  mkdirSync(paths.linkDir, { recursive: true });
  mkdirSync(paths.layersDir, { recursive: true });
  const layers: Layer[] = [];
  const n = 2 + g.int(8);
  for (let i = 0; i < n; i++) {
    const parent = i > 0 && g.rnd() < 0.8 ? g.pick(layers) : undefined;
    const l: Layer = { id: g.str("0123456789abcdef", 64), lid: g.str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 26), chain: parent ? [parent.id, ...parent.chain] : [] };
    if (parent) l.parent = parent.id;
    layers.push(l);
    for (const d of ["diff", "work", "merged", ...(parent ? [] : ["empty"])]) mkdirSync(join(paths.layer(l.id), d), { recursive: true });
    writeFileSync(paths.linkFile(l.id), l.lid);
    symlinkSync(`../${l.id}/diff`, paths.linkPath(l.lid));
    if (parent) {
      const lidOf = (id: string) => layers.find((x) => x.id === id)!.lid;
      writeFileSync(paths.lowerFile(l.id), l.chain.map((id) => `l/${lidOf(id)}`).join(":"));
      // Layers made by containers-storage 1.43 have no lower-layers.
      if (g.rnd() < 0.7) writeFileSync(paths.lowerLayersFile(l.id), l.chain.join(":"));
    }
  }
  const records: LayerRecord[] = layers.map((l) => (l.parent ? { id: l.id, parent: l.parent } : { id: l.id }));
  writeFileSync(paths.layersJson, formatLayersJson(records));
  const breaks: string[] = [];
  const count = g.int(4);
  for (let k = 0; k < count; k++) {
    const b: Break = g.pick(BREAKS);
    const l = g.pick(layers);
    try {
      applyBreak(paths, b, l, g);
      breaks.push(`${b} ${l.id.slice(0, 8)}`);
    } catch (e) {
      // A break on a layer whose directory an earlier break removed: nothing left to break.
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
  }
  return { paths, records, breaks };
}

function applyBreak(paths: StorePaths, b: Break, l: Layer, g: Gen): void {
  const rm = (p: string) => rmSync(p, { recursive: true, force: true });
  const fakeId = () => g.str("0123456789abcdef", 64);
  switch (b) {
    case "drop-lower-layers":
      return rm(paths.lowerLayersFile(l.id));
    case "drop-lower":
      return rm(paths.lowerFile(l.id));
    case "drop-both-lower-files":
      rm(paths.lowerLayersFile(l.id));
      return rm(paths.lowerFile(l.id));
    case "drop-diff":
      return rm(paths.diff(l.id));
    case "diff-is-symlink":
      rm(paths.diff(l.id));
      mkdirSync(join(paths.layer(l.id), "real-diff"));
      return symlinkSync("real-diff", paths.diff(l.id));
    case "drop-layer-dir":
      return rm(paths.layer(l.id));
    case "layer-dir-is-symlink":
      rm(paths.layer(l.id));
      mkdirSync(join(paths.home, "..", "elsewhere", "diff"), { recursive: true });
      return symlinkSync(join(paths.home, "..", "elsewhere"), paths.layer(l.id));
    case "drop-l-link":
      return rm(paths.linkPath(l.lid));
    case "l-link-dangling":
      rm(paths.linkPath(l.lid));
      return symlinkSync(`../${fakeId()}/diff`, paths.linkPath(l.lid));
    case "l-link-outside":
      rm(paths.linkPath(l.lid));
      return symlinkSync("/etc", paths.linkPath(l.lid));
    case "l-link-is-dir":
      rm(paths.linkPath(l.lid));
      return mkdirSync(paths.linkPath(l.lid));
    case "l-dir-is-symlink":
      if (lstatSync(paths.linkDir).isSymbolicLink()) return;
      // The same links, behind a symlink where the directory belongs.
      renameSync(paths.linkDir, join(paths.home, "l-real"));
      return symlinkSync("l-real", paths.linkDir);
    case "link-file-colon":
      return writeFileSync(paths.linkFile(l.id), `${l.lid}:${l.lid}`);
    case "link-file-slash":
      return writeFileSync(paths.linkFile(l.id), `../${l.lid}`);
    case "lower-layers-loop-self":
      return writeFileSync(paths.lowerLayersFile(l.id), [l.id, ...l.chain].join(":"));
    case "lower-layers-repeat":
      if (l.chain.length) writeFileSync(paths.lowerLayersFile(l.id), [...l.chain, l.chain[0]!].join(":"));
      return;
    case "lower-loop":
      return writeFileSync(paths.lowerFile(l.id), `l/${l.lid}`);
    case "lower-layers-bad-entry":
      return writeFileSync(paths.lowerLayersFile(l.id), g.pick([`${l.chain[0] ?? "x"}::y`, `../${l.chain[0] ?? "x"}`, "/etc", "a,b"]));
    case "lower-bad-link-name":
      return writeFileSync(paths.lowerFile(l.id), g.pick(["l/", "l/..", "l/A B", `l/${l.lid}\n`]));
    case "lower-layers-empty":
      return writeFileSync(paths.lowerLayersFile(l.id), "");
    case "lower-layers-is-dir":
      rm(paths.lowerLayersFile(l.id));
      return mkdirSync(paths.lowerLayersFile(l.id));
    case "lower-layers-too-deep":
      return writeFileSync(paths.lowerLayersFile(l.id), Array.from({ length: 501 }, fakeId).join(":"));
  }
}

type Answer = { ok: string[] } | { refused: string };

function mountAnswer(paths: StorePaths, rec: LayerRecord): Answer {
  try {
    return { ok: readChain(paths, rec.id, { action: "mount", ...(rec.parent ? { parent: rec.parent } : {}) }).lowers.map((l) => l.id) };
  } catch (e) {
    if (!(e instanceof OvError)) throw e;
    return { refused: `${e.kind}: ${e.message}` };
  }
}

/** The chain check finds for the file a reader uses, and the findings about that file. */
function checkAnswer(paths: StorePaths, rec: LayerRecord, findings: Finding[], view: ReturnType<typeof buildView>): { answer: Answer | null; about: Finding[] } {
  const layer = view.snap.layers.get(rec.id);
  if (!layer) return { answer: null, about: [] };
  const ll = evalLowerLayers(view.snap, layer);
  const reader = ll.state !== "absent" ? ll : evalLower(view.snap, layer, diskResolver(view));
  const file = ll.state !== "absent" ? paths.lowerLayersFile(rec.id) : paths.lowerFile(rec.id);
  const none = reader.state === "absent";
  // Findings about the file the reader used (or, when it had none, about it missing); not check's
  // comparisons with layers.json or between the two files, which mount does not make.
  const about = findings.filter(
    (f) => f.layer === rec.id && (none ? f.code === "lower-missing" || f.code === "lower-layers-missing" : f.file === file && !f.code.endsWith("-mismatch")),
  );
  if (none) return { answer: rec.parent ? { refused: "no chain file" } : { ok: [] }, about };
  const ids = resolvedIds(reader);
  return { answer: ids ? { ok: ids } : { refused: reader.state }, about };
}

const root = mkdtempSync(join(tmpdir(), "ovl-chain-model-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the chain of one store, read by mount and by check", () => {
  const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);
  const stats = { layers: 0, refused: 0, broken: 0 };

  test.each(SEEDS)("seed %d: the same lower layers, or mount refuses where check reports the file", (seed) => {
    const dir = join(root, String(seed));
    const g = gen(seed);
    const { paths, records, breaks } = makeStore(dir, g);
    if (breaks.length) stats.broken++;
    const snap = takeSnapshot(paths);
    const view = buildView(snap);
    const findings = checkStore(snap);
    for (const rec of records) {
      const c = checkAnswer(paths, rec, findings, view);
      if (!c.answer) continue; // no layer directory: mount refuses it elsewhere (not by its chain)
      stats.layers++;
      const m = mountAnswer(paths, rec);
      const where = `seed ${seed}, layer ${rec.id.slice(0, 8)}, breaks [${breaks.join(", ")}]`;
      if ("ok" in c.answer) {
        expect({ where, answer: m }).toEqual({ where, answer: { ok: c.answer.ok } });
        expect({ where, about: c.about }).toEqual({ where, about: [] });
      } else {
        stats.refused++;
        expect({ where, mountRefused: "refused" in m }).toEqual({ where, mountRefused: true });
        expect({ where, checkReports: c.about.length > 0 }).toEqual({ where, checkReports: true });
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("the generated stores cover healthy and broken chains", () => {
    expect(stats.broken).toBeGreaterThan(80);
    expect(stats.refused).toBeGreaterThan(40);
    expect(stats.layers - stats.refused).toBeGreaterThan(400);
  });
});
