/**
 * A layer's extra diff directories diff1, diff2, ... (R/overlay/<ID>/diffN):
 * upstream's overlay driver stacks them right below the layer's own diff, in
 * order, wherever the layer is mounted (as the top or as a lower). ovlayer
 * writes diff1 when a layer's ID mapping differs from its parent's
 * (shift-copy.ts). Reads only.
 */
import { existsSync } from "node:fs";

/** The existing diffN directories next to `diffDir`, in stacking order. */
export function extraDiffs(diffDir: string): string[] {
  const out: string[] = [];
  for (let n = 1; existsSync(`${diffDir}${n}`); n++) out.push(`${diffDir}${n}`);
  return out;
}

/** Each diff directory followed by its diffN directories. */
export function withExtraDiffs(diffDirs: readonly string[]): string[] {
  return diffDirs.flatMap((d) => [d, ...extraDiffs(d)]);
}
