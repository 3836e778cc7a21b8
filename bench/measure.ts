/**
 * Timing whole processes, interleaved. Each sample is the wall time of one or
 * more child processes (spawn to exit, measured with process.hrtime around
 * Bun.spawnSync), with their CPU time (user + system, all threads, from
 * wait4's rusage: less sensitive to other load on the machine); the untimed steps of a trial (deleting the layer it made,
 * making a fresh directory) run outside the clock. The sides of a measurement
 * take turns in a rotating order (AB, BA, AB... or ABC, BCA, CAB...), so a
 * burst of noise on the VM hits every side alike.
 */

/** One timed sample: wall and CPU milliseconds. */
export interface Sample {
  ms: number;
  cpuMs: number;
}

export interface ProcResult extends Sample {
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Exit codes that count as success (default [0]). */
  ok?: readonly number[];
}

/** Set by the SIGINT/SIGTERM handler; checked after every process. */
let stopReason: string | null = null;

export function requestStop(reason: string): void {
  stopReason = reason;
}

export class Interrupted extends Error {
  constructor(reason: string) {
    super(`interrupted by ${reason}`);
    this.name = "Interrupted";
  }
}

function checkStop(): void {
  if (stopReason) throw new Interrupted(stopReason);
}

/**
 * Runs one process and returns its wall time.
 * @throws {Error} with the command line and stderr when it exits with a code not in `ok` or dies of a signal.
 */
export function timeProcess(argv: readonly string[], opts: SpawnOptions = {}): ProcResult {
  checkStop();
  const t0 = process.hrtime.bigint();
  const p = Bun.spawnSync([...argv], {
    env: opts.env as Record<string, string>,
    cwd: opts.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  checkStop();
  const stdout = p.stdout.toString();
  const stderr = p.stderr.toString();
  // Ctrl-C in a terminal reaches the whole process group, the child first.
  if (p.signalCode === "SIGINT" || p.signalCode === "SIGTERM") throw new Interrupted(p.signalCode);
  const ok = opts.ok ?? [0];
  if (p.signalCode || !ok.includes(p.exitCode ?? -1)) {
    const how = p.signalCode ? `died of ${p.signalCode}` : `exited ${p.exitCode}`;
    throw new Error(`${argv.join(" ")} ${how}:\n${stderr.trim() || stdout.trim()}`);
  }
  return { ms, cpuMs: Number(p.resourceUsage.cpuTime.total) / 1000, stdout, stderr };
}

/** The sum of several samples (a trial made of several processes). */
export function sum(...s: Sample[]): Sample {
  return { ms: s.reduce((a, x) => a + x.ms, 0), cpuMs: s.reduce((a, x) => a + x.cpuMs, 0) };
}

/** One side of a measurement: runs one trial and returns its timed part. */
export interface Side {
  name: string;
  trial(iteration: number): Sample | Promise<Sample>;
}

export interface Stats {
  n: number;
  median: number;
  p25: number;
  p75: number;
  /** Median absolute deviation from the median. */
  mad: number;
  min: number;
  max: number;
  samples: number[];
  /** Median CPU time (user + system) of the same trials. */
  cpuMedian: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function stats(samples: readonly number[], cpu: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  const dev = s.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  return {
    n: s.length,
    median,
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    mad: quantile(dev, 0.5),
    min: s[0]!,
    max: s[s.length - 1]!,
    samples: [...samples],
    cpuMedian: quantile([...cpu].sort((a, b) => a - b), 0.5),
  };
}

export interface MeasureOptions {
  runs: number;
  warmup: number;
  /** Called after every round (for progress output). */
  onRound?: (round: number, total: number) => void;
}

/**
 * Runs `warmup + runs` rounds; in each round every side runs one trial, in
 * an order rotated by one each round. Warm-up rounds are not recorded.
 */
export async function measure(sides: readonly Side[], opts: MeasureOptions): Promise<Map<string, Stats>> {
  const samples = new Map<string, Sample[]>(sides.map((s) => [s.name, []]));
  const total = opts.warmup + opts.runs;
  for (let round = 0; round < total; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(round + k) % sides.length]!;
      const sample = await side.trial(round);
      if (round >= opts.warmup) samples.get(side.name)!.push(sample);
    }
    opts.onRound?.(round + 1, total);
    // Let a pending SIGINT handler run (the trials themselves are synchronous).
    await Bun.sleep(0);
    checkStop();
  }
  return new Map([...samples].map(([k, v]) => [k, stats(v.map((x) => x.ms), v.map((x) => x.cpuMs))]));
}
