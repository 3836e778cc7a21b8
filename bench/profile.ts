/**
 * Where each millisecond of one call goes: runs ovlayer with OVLAYER_PROFILE=1
 * (src/profile.ts) on the benchmark's store shapes and prints, per phase, the
 * minimum and the median over the runs, in ms. The first phase, "exec to
 * runtime up", is from just before the spawn (this process's clock) to the
 * first mark in main.ts; the last, "exit", from the last JS mark to the
 * parent seeing the child gone. Both clocks are the wall clock (ms since the
 * epoch), so the split is as good as the two clocks agree (to ~0.01 ms).
 * Several binaries (an A/B comparison) take turns run by run, so a burst of
 * load on the machine hits each alike.
 *
 *   bun bench/profile.ts [BINARY...] [--runs N] [--only mount1,mount127,unmount1,unmount127,create10,create500,layers130,layers1000,batch,version,hello]
 *
 * batch is the boot batch of bench/rows/batch.ts (60 lines in one process): its
 * phases are summed over the lines.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cleanupDir } from "./cleanup.ts";
import { buildHello, freshCopies, OVLAYER } from "./prepare.ts";
import { bootLines } from "./rows/batch.ts";
import { buildStore, childEnv, mountRunDir, storeFlags, writeStorageConf, type BenchContext, type Store } from "./stores.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: "string", default: "20" }, only: { type: "string", default: "hello,version,mount1,unmount1,mount127,unmount127,create10,create500,layers130,layers1000" } },
});
const dir = mkdtempSync(join(tmpdir(), "ovlayer-profile-"));
const env = { ...childEnv(writeStorageConf(dir)), OVLAYER_PROFILE: "1" };
const copies = freshCopies(dir, [buildHello(dir), ...(positionals.length ? positionals : [OVLAYER])]);
const hello = copies.shift()!;
const bins = copies;
const ctx: BenchContext = { dir, runDir: mountRunDir(dir), env, tools: { ovlayer: bins[0]!, containersStorage: "", hello, mountFloor: null } };
const now = (): number => performance.timeOrigin + performance.now();

/** One run: the phases (label -> ms) in order. */
function profileRun(argv: string[]): Map<string, number> {
  Bun.spawnSync(["sync"]);
  const t0 = now();
  const p = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
  const t1 = now();
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${p.exitCode}: ${p.stderr.toString()}`);
  const marks = p.stderr
    .toString()
    .split("\n")
    .filter((l) => l.startsWith("ovlayer-profile "))
    .map((l) => l.split(" ").slice(1) as [string, string]);
  const phases = new Map<string, number>();
  let prev = t0;
  for (const [label, at] of marks) {
    const t = Number(at);
    const name = label === "timeOrigin" ? "exec to timeOrigin" : label === "runtime" ? "timeOrigin to main.ts" : label;
    phases.set(name, (phases.get(name) ?? 0) + (t - prev));
    prev = t;
  }
  const overhead = Number(/^ovlayer-profile-overhead (\S+)$/m.exec(p.stderr.toString())?.[1] ?? 0);
  phases.set("exit to parent", t1 - prev - overhead);
  phases.set("total (wall)", t1 - t0 - overhead);
  return phases;
}

function summary(title: string, runs: Map<string, number>[]): void {
  const labels = [...runs[0]!.keys()];
  const med = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(`\n${title} (${runs.length} runs): phase, min ms, median ms`);
  for (const l of labels) {
    const xs = runs.map((r) => r.get(l) ?? 0);
    console.log(`  ${l.padEnd(24)} ${Math.min(...xs).toFixed(2).padStart(7)} ${med(xs).toFixed(2).padStart(7)}`);
  }
}

const stores = new Map<string, Store>();
async function store(name: string, chains: number, length: number): Promise<Store> {
  if (!stores.has(name)) stores.set(name, await buildStore(ctx, name, chains, length));
  return stores.get(name)!;
}

try {
  const runs = Number(values.runs);
  for (const what of values.only.split(",")) {
    const n = Number(/\d+$/.exec(what)?.[0]);
    const sides = what === "hello" ? [hello] : bins;
    const results = new Map<string, Map<string, number>[]>(sides.map((b) => [b, []]));
    for (let i = 0; i < runs + 2; i++) {
      for (const bin of sides) {
        let r: Map<string, number>;
        if (what === "hello") r = profileRun([hello]);
        else if (what === "version") r = profileRun([bin, "--version"]);
        else if (what === "batch") {
          const s = await store("boot", 0, 0);
          const script = join(dir, "boot.batch");
          writeFileSync(script, bootLines("b0").map((l) => l.join(" ")).join("\n") + "\n");
          r = profileRun([bin, ...storeFlags(s), "batch", script]);
          Bun.spawnSync([bin, ...storeFlags(s), "wipe"], { env });
        } else if (what.startsWith("mount") || what.startsWith("unmount")) {
          const s = await store(`chain-${n}`, 1, n + 1);
          const top = s.ids[s.ids.length - 1]!;
          const m = profileRun([bin, ...storeFlags(s), "mount", top]);
          const u = profileRun([bin, ...storeFlags(s), "unmount", top]);
          r = what.startsWith("mount") ? m : u;
        } else if (what.startsWith("create")) {
          const s = await store(`size-${n}`, Math.ceil(n / 10), Math.min(n, 10));
          r = profileRun([bin, ...storeFlags(s), "create-layer"]);
          const id = Bun.spawnSync([bin, ...storeFlags(s), "layers", "-q"], { env }).stdout.toString().trim().split("\n").pop()!;
          Bun.spawnSync([bin, ...storeFlags(s), "delete-layer", id], { env });
        } else {
          const s = await store(`size-${n}`, Math.ceil(n / 10), Math.min(n, 10));
          r = profileRun([bin, ...storeFlags(s), "layers"]);
        }
        if (i >= 2) results.get(bin)!.push(r); // two warm-up rounds
      }
    }
    for (const [bin, rs] of results) summary(`${what}, ${bin.split("/").pop()!.replace(/^\d+-/, "")}`, rs);
  }
} finally {
  cleanupDir(dir);
}
