/**
 * Compares builds of ovlayer with each other (and containers-storage) on the
 * benchmark's store shapes, interleaved: for checking an optimisation.
 *
 *   bun bench/cmp.ts BINARY... [--runs N] [--only version,mount1,mount127,create100,layers1000,layer1000]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cleanupDir } from "./cleanup.ts";
import { freshCopies } from "./prepare.ts";
import { measure, sum, timeProcess, type Side } from "./measure.ts";
import { buildStore, childEnv, mountRunDir, storeFlags, writeStorageConf, type BenchContext, type Store } from "./stores.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: "string", default: "20" }, only: { type: "string", default: "version,mount1,mount127,create100,layers1000,layer1000" } },
});
const dir = mkdtempSync(join(tmpdir(), "ovlayer-cmp-"));
const env = childEnv(writeStorageConf(dir));
const copies = freshCopies(dir, [...positionals, Bun.which("containers-storage")!]);
const cs = copies.pop()!;
const bins = copies;
const ctx: BenchContext = { dir, runDir: mountRunDir(dir), env, tools: { ovlayer: "", containersStorage: cs, hello: "", mountFloor: null } };
const stores = new Map<string, Store>();
async function store(name: string, chains: number, length: number): Promise<Store> {
  if (!stores.has(name)) stores.set(name, await buildStore(ctx, name, chains, length));
  return stores.get(name)!;
}

async function sideMaker(what: string): Promise<(bin: string) => Side> {
  if (what === "version") return (b) => ({ name: b, trial: () => timeProcess([b, "--version"], { env }) });
  const n = Number(/\d+$/.exec(what)?.[0]);
  if (what.startsWith("mount")) {
    const s = await store(`chain-${n}`, 1, n + 1);
    const top = s.ids[s.ids.length - 1]!;
    return (b) => ({ name: b, trial: () => sum(timeProcess([b, ...storeFlags(s), "mount", top], { env }), timeProcess([b, ...storeFlags(s), "unmount", top], { env })) });
  }
  const s = await store(`size-${n}`, Math.ceil(n / 10), Math.min(n, 10));
  if (what.startsWith("create")) {
    return (b) => ({
      name: b,
      trial() {
        const r = timeProcess([b, ...storeFlags(s), "create-layer"], { env });
        timeProcess([b, ...storeFlags(s), "delete-layer", r.stdout.trim()], { env });
        return r;
      },
    });
  }
  const args = what.startsWith("layers") ? ["layers"] : ["layer", s.ids[s.ids.length >> 1]!];
  return (b) => ({ name: b, trial: () => timeProcess([b, ...storeFlags(s), ...args], { env }) });
}

try {
  for (const what of values.only.split(",")) {
    const mk = await sideMaker(what);
    // containers-storage 1.43 mounts at most 128 lower layers.
    const withCs = what !== "version" && !(what.startsWith("mount") && Number(/\d+$/.exec(what)?.[0]) > 128);
    const sides = (withCs ? [...bins, cs] : bins).map(mk);
    const r = await measure(sides, { runs: Number(values.runs), warmup: 2 });
    console.log(what.padEnd(11), [...r].map(([k, v]) => `${k.split("/").pop()!.replace(/^\d+-/, "")} ${v.median.toFixed(2)} (cpu ${v.cpuMedian.toFixed(2)})`).join("  "));
  }
} finally {
  cleanupDir(dir);
}
