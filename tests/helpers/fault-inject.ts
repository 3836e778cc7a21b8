/**
 * Fault injection at the kernel boundary with strace 6's `-e inject`: the
 * Nth call of one syscall kind fails with EIO or ENOSPC, whether it came
 * through glibc or straight from Bun's runtime (an LD_PRELOAD shim would
 * miss those). Two steps: trace a verb once and number its calls of each
 * kind that touch the store (by path argument, or by fd path with `-y`),
 * then re-run it with one of those calls failed.
 *
 * strace's inject counter counts per thread, and only calls of the injected
 * kind: the indices below are those of the main thread (the first pid in the
 * log), counting every call of the kind, in the store or not.
 */
import { readFileSync } from "node:fs";
import type { RunResult } from "./store.ts";

/** The syscall kinds faults are injected into (x86_64 and arm64 names; absent ones are never seen in a trace). */
export const FAULT_KINDS = [
  "statx",
  "newfstatat",
  "mkdir",
  "mkdirat",
  "openat",
  "write",
  "pwrite64",
  "unlink",
  "unlinkat",
  "rmdir",
  "read",
  "pread64",
  "rename",
  "renameat2",
  "fsync",
  "symlink",
  "symlinkat",
  "getdents64",
] as const;

export type Errno = "EIO" | "ENOSPC";

export interface Traced {
  /** For each kind, the 1-based indices (among the main thread's calls of that kind) of the calls that touch the store. */
  calls: Map<string, number[]>;
  result: RunResult;
}

function spawn(argv: string[], env: Record<string, string>, stdin?: Uint8Array): RunResult {
  const p = Bun.spawnSync(argv, {
    env: { ...process.env, ...env },
    stdin: stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/**
 * Parses `strace -f -y` output: the main thread's calls of each kind, and
 * which of them name `needle` (the store's directory) in their arguments.
 * @example parseTrace('7 mkdir("/s/overlay/x", 0700) = 0\n', "/s").calls.get("mkdir") // [1]
 */
export function parseTrace(log: string, needle: string): { calls: Map<string, number[]> } {
  const lines = log.split("\n").filter(Boolean);
  const main = lines[0]?.split(/\s+/, 1)[0];
  const seen = new Map<string, number>();
  const calls = new Map<string, number[]>();
  for (const line of lines) {
    const m = /^(\d+)\s+([a-z0-9_]+)\((.*)$/.exec(line);
    if (!m || m[1] !== main) continue; // other threads, "<... resumed>" halves, signals, exits
    const kind = m[2]!;
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    const args = m[3]!.split(") = ")[0]!.replace(/ <unfinished \.\.\.>$/, "");
    if (!args.includes(needle)) continue;
    const list = calls.get(kind) ?? [];
    list.push(n);
    calls.set(kind, list);
  }
  return { calls };
}

/** Runs argv under strace once and numbers its calls of FAULT_KINDS that touch `storeDir`. */
export function traceVerb(argv: string[], env: Record<string, string>, storeDir: string, logFile: string, stdin?: Uint8Array): Traced {
  const result = spawn(["strace", "-f", "-qq", "-y", "-s", "0", "-e", `trace=${FAULT_KINDS.join(",")}`, "-o", logFile, ...argv], env, stdin);
  const log = readFileSync(logFile, "utf8");
  return { calls: parseTrace(log, storeDir).calls, result };
}

/** Runs argv with its main thread's `index`th call of `kind` failed with `errno` (other calls untouched). */
export function runWithFault(argv: string[], env: Record<string, string>, kind: string, index: number, errno: Errno, stdin?: Uint8Array): RunResult {
  return spawn(["strace", "-f", "-qq", "-o", "/dev/null", "-e", `trace=${kind}`, "-e", `inject=${kind}:error=${errno}:when=${index}`, ...argv], env, stdin);
}

/** Up to `max` of `xs`, spread evenly, always with the first and the last. */
export function spread<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  if (max <= 1) return xs.slice(0, max);
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (max - 1))]!);
  return [...new Set(out)];
}

/** Whether strace here can inject faults (strace >= 4.16 has `-e inject`). */
export function canInject(): boolean {
  const p = Bun.spawnSync(["strace", "-qq", "-o", "/dev/null", "-e", "trace=getpid", "-e", "inject=getpid:error=EIO:when=1", "true"], { stdout: "ignore", stderr: "ignore" });
  return p.exitCode === 0;
}
