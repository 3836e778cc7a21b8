/**
 * The text of a progress line, pure: "import-layer: 12.0 MB of 48.0 MB
 * (25%), 6.0 MB/s" or, without a known total, "diff: 12.0 MB, 6.0 MB/s";
 * counts ("check: 1200 of 5000 layers") for work measured in items.
 */

/** Bytes in decimal units, one decimal, as `ls -h --si` prints them. */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export interface ProgressState {
  label: string;
  done: number;
  total?: number;
  /** "bytes" (formatted with units and a rate) or a plural noun such as "layers". */
  unit: string;
  elapsedMs: number;
}

export function formatProgress(s: ProgressState): string {
  if (s.unit !== "bytes") return `${s.label}: ${s.done}${s.total !== undefined ? ` of ${s.total}` : ""} ${s.unit}`;
  const pct = s.total ? ` (${Math.min(100, Math.floor((s.done / s.total) * 100))}%)` : "";
  const rate = s.elapsedMs > 0 ? `, ${formatBytes(Math.round((s.done * 1000) / s.elapsedMs))}/s` : "";
  return `${s.label}: ${formatBytes(s.done)}${s.total ? ` of ${formatBytes(s.total)}` : ""}${pct}${rate}`;
}
