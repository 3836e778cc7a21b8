/**
 * What every group of rows shares: the result of one table row, how a ratio
 * is checked against the targets, and the run counts per mode.
 */
import type { Stats } from "../measure.ts";
import type { BenchContext } from "../stores.ts";

export interface Target {
  /** As printed: "<= 0.6x". */
  text: string;
  max: number;
}

/** One row of the table: ovlayer against a reference on the same input. */
export interface Result {
  id: string;
  group: string;
  title: string;
  ovlayer: Stats | null;
  refName: string;
  ref: Stats | null;
  /** ovlayer's median over the reference's (wall time; the targets apply to it). */
  ratio: number | null;
  /** The same for CPU time: steadier than wall time when the machine is busy. */
  cpuRatio: number | null;
  target: string | null;
  /** Whether the ratio meets the target (null: no target, or not measured). */
  met: boolean | null;
  /** Why a side was not measured, or anything a reader should know. */
  note?: string;
}

/** A target that is not a single row's ratio (growth with store size, the kernel's share). */
export interface Check {
  id: string;
  title: string;
  value: number | null;
  text: string;
  target: string;
  met: boolean | null;
}

export function maxRatio(max: number): Target {
  return { text: `<= ${max}x`, max };
}

export function makeResult(
  id: string,
  group: string,
  title: string,
  ovlayer: Stats | null,
  refName: string,
  ref: Stats | null,
  target?: Target,
  note?: string,
): Result {
  const ratio = ovlayer && ref ? ovlayer.median / ref.median : null;
  const r: Result = {
    id,
    group,
    title,
    ovlayer,
    refName,
    ref,
    ratio,
    cpuRatio: ovlayer && ref ? ovlayer.cpuMedian / ref.cpuMedian : null,
    target: target?.text ?? null,
    met: target && ratio !== null ? ratio <= target.max : null,
  };
  if (note) r.note = note;
  return r;
}

export interface Plan {
  quick: boolean;
  /** Timed rounds per row (each side runs once per round), and untimed warm-up rounds. */
  runs: number;
  warmup: number;
  importRuns: number;
  /** Depths measured with both tools (the default strategy). */
  bothDepths: number[];
  /** Depths measured for ovlayer per strategy, against the kernel floor. */
  strategyDepths: number[];
  createSizes: number[];
  listSize: number;
  tarball: { files: number; bytes: number };
}

export const FULL: Plan = {
  quick: false,
  runs: 30,
  warmup: 3,
  importRuns: 3,
  bothDepths: [1, 40, 127],
  strategyDepths: [1, 300, 500],
  createSizes: [10, 100, 500],
  listSize: 1000,
  tarball: { files: 30000, bytes: 300 << 20 },
};

/** The CI smoke pass: every kind of row, small sizes, a few runs. */
export const QUICK: Plan = {
  quick: true,
  runs: 3,
  warmup: 1,
  importRuns: 1,
  bothDepths: [1, 40],
  strategyDepths: [1, 127],
  createSizes: [10, 50],
  listSize: 100,
  tarball: { files: 500, bytes: 4 << 20 },
};

export interface RowEnv {
  ctx: BenchContext;
  plan: Plan;
  log: (s: string) => void;
}

/** Progress on stderr for a measurement of `total` rounds. */
export function progress(env: RowEnv, title: string): (round: number, total: number) => void {
  const start = performance.now();
  return (round, total) => {
    if (round === total) env.log(`  ${title}: ${total} rounds in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  };
}
