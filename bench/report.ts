/**
 * The results as a markdown table (what the README shows; aligned, so it
 * also reads well in a terminal) and as JSON.
 */
import type { Stats } from "./measure.ts";
import type { Check, Result } from "./rows/common.ts";

export interface Machine {
  kernel: string;
  cpu: string;
  cores: number;
  bun: string;
  containersStorage: string;
  /** Filesystem of the temp dir the stores live in. */
  tempFs: string;
}

export interface Report {
  date: string;
  command: string;
  quick: boolean;
  seconds: number;
  machine: Machine;
  results: Result[];
  checks: Check[];
}

function time(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

/** "12.3 ms (11.9-12.8)": median, then p25-p75. */
export function formatStats(s: Stats | null): string {
  if (!s) return "n/a";
  const unit = (ms: number) => (s.median >= 1000 ? (ms / 1000).toFixed(2) : ms.toFixed(s.median >= 100 ? 0 : 1));
  return `${time(s.median)} (${unit(s.p25)}-${unit(s.p75)})`;
}

function verdict(met: boolean | null): string {
  return met === null ? "" : met ? "met" : "**missed**";
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
}

export function markdown(r: Report): string {
  const m = r.machine;
  const lines = [
    `${r.quick ? "Quick smoke pass" : "Benchmark"} of ${r.date.slice(0, 10)}: ${m.cores} cores (${m.cpu}), Linux ${m.kernel}, Bun ${m.bun}, containers-storage ${m.containersStorage}, stores on ${m.tempFs}.`,
    "Median wall time of whole processes (p25-p75 in brackets); ratio = ovlayer / reference, of wall time (targets apply to it) and of CPU time (user + system).",
    "",
    ...table(
      ["Measurement", "ovlayer", "Reference", "Reference time", "Ratio", "CPU ratio", "Target"],
      r.results.map((x) => [
        x.title,
        x.ovlayer ? formatStats(x.ovlayer) : (x.note ?? "n/a"),
        x.refName,
        x.ref ? formatStats(x.ref) : x.ovlayer ? (x.note ?? "n/a") : "",
        x.ratio === null ? "" : `${x.ratio.toFixed(2)}x`,
        x.cpuRatio === null ? "" : `${x.cpuRatio.toFixed(2)}x`,
        x.target ? `${x.target} ${verdict(x.met)}` : "",
      ]),
    ),
  ];
  if (r.checks.length) {
    lines.push("", ...table(["Check", "Result", "Target"], r.checks.map((c) => [c.title, c.text, `${c.target} ${verdict(c.met)}`])));
  }
  return lines.join("\n");
}

export function toJson(r: Report): string {
  return JSON.stringify(r, (k, v) => (typeof v === "number" && k !== "n" && k !== "cores" ? Math.round(v * 1000) / 1000 : v), 2);
}
