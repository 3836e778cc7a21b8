/**
 * Test helpers: temp stores, running the built binary and containers-storage,
 * and cleaning up every mount a test made, even when it failed.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const OVLAYER = join(ROOT, "dist/ovlayer");
export const isRoot = process.getuid?.() === 0;
export const inCI = process.env.CI === "true";

/**
 * Whether mount tests can run. In CI (CI=true) they must: not being root
 * there is a failure, never a skip.
 */
export function canMount(): boolean {
  if (!isRoot && inCI) throw new Error("CI=true but not running as root: mount tests must run in CI");
  return isRoot;
}

export function hasCommand(cmd: string): boolean {
  return Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;
}

/** containers-storage is required in CI; elsewhere its tests are skipped visibly. */
export function hasContainersStorage(): boolean {
  const ok = hasCommand("containers-storage");
  if (!ok && inCI) throw new Error("CI=true but containers-storage is not installed (.ci/run must install it)");
  return ok;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(argv: string[], opts: { env?: Record<string, string>; stdin?: Uint8Array | string; cwd?: string } = {}): RunResult {
  const p = Bun.spawnSync(argv, {
    env: { ...process.env, ...(opts.env ?? {}) },
    stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? Buffer.from(opts.stdin) : opts.stdin,
    stdout: "pipe",
    stderr: "pipe",
    cwd: opts.cwd,
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** Like run(), without blocking: for tools that must run at the same time. */
export async function runAsync(argv: string[], opts: { env?: Record<string, string> } = {}): Promise<RunResult> {
  const p = Bun.spawn(argv, { env: { ...process.env, ...(opts.env ?? {}) }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, stdout, stderr };
}

/** Wraps a runner: throws with stderr when the exit code is not 0, else returns the trimmed stdout. */
export function orThrow(f: (args: string[], opts?: Parameters<typeof run>[1]) => RunResult, name: string): (args: string[], opts?: Parameters<typeof run>[1]) => string {
  return (args, opts) => {
    const r = f(args, opts);
    if (r.code !== 0) throw new Error(`${name} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  };
}

export interface TempStore {
  dir: string;
  graph: string;
  runRoot: string;
  /** What every tool runs with here, on top of process.env: an empty storage.conf, no STORAGE_OPTS. */
  env: Record<string, string>;
  /** Runs dist/ovlayer with --graph/--run set. */
  ov(args: string[], opts?: Parameters<typeof run>[1]): RunResult;
  /** Like ov() but throws with stderr when the exit code is not 0; returns trimmed stdout. */
  ovOk(args: string[], opts?: Parameters<typeof run>[1]): string;
  /** Runs containers-storage 1.43 on the same store. */
  cs(args: string[], opts?: Parameters<typeof run>[1]): RunResult;
  csOk(args: string[], opts?: Parameters<typeof run>[1]): string;
  /** Starts `bin` (OVLAYER or "containers-storage") on the store without waiting, for runs at the same time. */
  start(bin: string, args: string[]): Promise<RunResult>;
  /** Unmounts everything under the store (deepest first) and removes it. */
  cleanup(): void;
}

/** An empty storage.conf, so tests never depend on the machine's. */
function emptyConf(dir: string): string {
  const f = join(dir, "storage.conf");
  writeFileSync(f, "[storage]\ndriver = \"overlay\"\n");
  return f;
}

/** Unmounts every mount at or below `dir`, deepest first. */
export function unmountBelow(dir: string): void {
  for (let round = 0; round < 5; round++) {
    const mps = readMountinfo()
      .map((m) => m.mountPoint)
      .filter((p) => p === dir || p.startsWith(dir + "/"))
      .sort((a, b) => b.length - a.length);
    if (mps.length === 0) return;
    for (const mp of mps) Bun.spawnSync(["umount", "-l", mp]);
  }
}

export function tempStore(prefix = "ovl-test-"): TempStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const graph = join(dir, "root");
  const runRoot = join(dir, "run");
  mkdirSync(graph);
  const conf = emptyConf(dir);
  const env = { CONTAINERS_STORAGE_CONF: conf, STORAGE_OPTS: "" };
  const argv = (bin: string, args: string[]) => [bin, "--graph", graph, "--run", runRoot, "--storage-driver", "overlay", ...args];
  const mk = (bin: string) => (args: string[], opts: Parameters<typeof run>[1] = {}) => run(argv(bin, args), { ...opts, env: { ...env, ...(opts.env ?? {}) } });
  const ov = mk(OVLAYER);
  const cs = mk("containers-storage");
  return {
    dir,
    graph,
    runRoot,
    env,
    ov,
    cs,
    ovOk: orThrow(ov, "ovlayer"),
    csOk: orThrow(cs, "containers-storage"),
    start: (bin, args) => runAsync(argv(bin, args), { env }),
    cleanup() {
      unmountBelow(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first line of create-layer's output: the new layer's ID. */
export function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}
