/**
 * ovlayer against containers-storage 1.43, side by side: `npm run bench`.
 *
 *   bun bench/run.ts [--quick] [--runs N] [--only startup,mount,store,batch,import]
 *                    [--dir PARENT] [--out FILE.json] [--ovlayer BINARY]
 *
 * Builds what it needs (dist/ovlayer when outdated, or --ovlayer another
 * build; a bare Bun hello world; the C kernel floor), creates its stores in a
 * fresh temp dir, times whole processes of both tools interleaved (method:
 * bench/README.md), prints a markdown table on stdout
 * (progress goes to stderr) and writes the same as JSON and markdown under
 * bench/results/. Every mount and file it made is removed at the end, also
 * after an error or Ctrl-C. Times never fail the run (--quick is the CI smoke
 * pass); errors do. Needs root (it mounts).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { statfsType } from "../src/sys/libc.ts";
import { cleanupDir } from "./cleanup.ts";
import { Interrupted, requestStop } from "./measure.ts";
import { buildHello, buildMountFloor, ensureOvlayer, freshCopies, OVLAYER, ROOT } from "./prepare.ts";
import { markdown, toJson, type Machine, type Report } from "./report.ts";
import { FULL, QUICK, type Check, type Plan, type Result, type RowEnv } from "./rows/common.ts";
import { batchRows } from "./rows/batch.ts";
import { importRows } from "./rows/import.ts";
import { mountRows } from "./rows/mount.ts";
import { startupRows } from "./rows/startup.ts";
import { storeVerbRows } from "./rows/store-verbs.ts";
import { childEnv, mountRunDir, writeStorageConf } from "./stores.ts";

const GROUPS = ["startup", "mount", "store", "batch", "import"] as const;

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

const FS_NAMES: Record<number, string> = { 0xef53: "ext4", 0x01021994: "tmpfs", 0x58465342: "xfs", 0x9123683e: "btrfs", 0x794c7630: "overlay" };

function machine(dir: string): Machine {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const dpkg = Bun.spawnSync(["dpkg-query", "-W", "-f", "${Version}", "containers-storage"], { stdout: "pipe", stderr: "ignore" });
  const fs = statfsType(dir);
  return {
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    cpu,
    cores: cpus().length,
    bun: Bun.version,
    containersStorage: dpkg.exitCode === 0 ? dpkg.stdout.toString().trim() : "unknown",
    tempFs: FS_NAMES[fs] ?? `fs 0x${fs.toString(16)}`,
  };
}

function parseOptions(): { plan: Plan; only: Set<string>; parent: string; out: string; ovlayer?: string } {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      only: { type: "string" },
      dir: { type: "string" },
      out: { type: "string" },
      ovlayer: { type: "string" },
    },
  });
  const plan: Plan = { ...(values.quick ? QUICK : FULL) };
  if (values.runs !== undefined) {
    const n = Number(values.runs);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--runs ${values.runs}: expected a positive integer`);
    plan.runs = n;
    plan.importRuns = Math.min(plan.importRuns, n);
  }
  const only = new Set(values.only ? values.only.split(",") : GROUPS);
  for (const g of only) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only ${g}: expected some of ${GROUPS.join(",")}`);
  const out = values.out ?? join(ROOT, "bench", "results", values.quick ? "quick.json" : "latest.json");
  return { plan, only, parent: values.dir ?? tmpdir(), out, ...(values.ovlayer ? { ovlayer: resolve(values.ovlayer) } : {}) };
}

async function main(): Promise<number> {
  const started = performance.now();
  const { plan, only, parent, out, ovlayer = OVLAYER } = parseOptions();
  if (process.getuid?.() !== 0) throw new Error("the benchmark mounts overlays: run it as root");
  const cs = Bun.which("containers-storage");
  if (!cs) throw new Error("containers-storage is not installed (apt-get install containers-storage)");
  if (ovlayer === OVLAYER) ensureOvlayer(log);

  const dir = mkdtempSync(join(parent, "ovlayer-bench-"));
  log(`working in ${dir}`);
  process.on("SIGINT", () => requestStop("SIGINT"));
  process.on("SIGTERM", () => requestStop("SIGTERM"));
  const results: Result[] = [];
  const checks: Check[] = [];
  let info!: Machine;
  try {
    info = machine(dir);
    const [ovCopy, csCopy, helloCopy] = freshCopies(dir, [ovlayer, cs, buildHello(dir)]);
    const ctx = {
      dir,
      runDir: mountRunDir(dir),
      env: childEnv(writeStorageConf(dir)),
      tools: { ovlayer: ovCopy!, containersStorage: csCopy!, hello: helloCopy!, mountFloor: buildMountFloor(dir, log) },
    };
    const env: RowEnv = { ctx, plan, log };
    if (only.has("startup")) results.push(...(await startupRows(env)));
    if (only.has("mount")) {
      const m = await mountRows(env);
      results.push(...m.results);
      checks.push(...m.checks);
    }
    if (only.has("store")) {
      const s = await storeVerbRows(env);
      results.push(...s.results);
      checks.push(...s.checks);
    }
    if (only.has("batch")) results.push(...(await batchRows(env)));
    if (only.has("import")) results.push(...(await importRows(env)));
  } finally {
    log(`cleaning up ${dir}`);
    cleanupDir(dir);
  }

  const report: Report = {
    date: new Date().toISOString(),
    command: ["bun", relative(ROOT, process.argv[1]!), ...process.argv.slice(2)].join(" "),
    quick: plan.quick,
    seconds: (performance.now() - started) / 1000,
    machine: info,
    results,
    checks,
  };
  const md = markdown(report);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, toJson(report) + "\n");
  writeFileSync(out.replace(/\.json$/, "") + ".md", md + "\n");
  process.stdout.write(md + "\n");
  log(`wrote ${relative(ROOT, out)} and its .md; ${report.seconds.toFixed(0)} s in all`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (e instanceof Interrupted) {
    log(e.message);
    process.exitCode = 130;
  } else {
    log(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  }
}
