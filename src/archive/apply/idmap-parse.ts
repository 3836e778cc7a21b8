/**
 * The ID map flags of create-layer, import-layer and create-container, as
 * containers-storage reads them: `--uidmap`/`--gidmap` take
 * "containerID:hostID:size" ranges, several per flag separated by commas or
 * in repeated flags; `--subuidmap`/`--subgidmap` take a user/group name looked
 * up in /etc/subuid or /etc/subgid (owns no files; the caller reads them). Pure.
 */
import { OvError } from "../../errors.ts";
import type { IdMapEntry } from "./idmap.ts";

const MAX_ID = 0xffffffff;

function parseNumber(s: string, spec: string, flag: string): number {
  if (!/^\d+$/.test(s)) throw new OvError("usage", `--${flag} ${JSON.stringify(spec)}: ${JSON.stringify(s)} is not a non-negative integer`, { hint: "the syntax is containerID:hostID:size, several separated by commas" });
  const n = Number(s);
  if (n > MAX_ID) throw new OvError("usage", `--${flag} ${JSON.stringify(spec)}: ${s} is larger than ${MAX_ID}`);
  return n;
}

/**
 * Parses every value of one map flag.
 * @throws {OvError} usage naming the flag and the bad range.
 * @example parseIdMap(["0:1000:1,1:100000:65536"], "uidmap") // two ranges
 */
export function parseIdMap(values: readonly string[], flag: string): IdMapEntry[] {
  const out: IdMapEntry[] = [];
  for (const value of values) {
    for (const spec of value.split(",")) {
      const parts = spec.split(":");
      if (parts.length !== 3) throw new OvError("usage", `--${flag} ${JSON.stringify(spec)}: expected containerID:hostID:size (${parts.length} fields)`);
      const [c, h, s] = parts.map((p) => parseNumber(p, spec, flag)) as [number, number, number];
      if (s === 0) throw new OvError("usage", `--${flag} ${JSON.stringify(spec)}: the size must be at least 1`);
      if (c + s - 1 > MAX_ID || h + s - 1 > MAX_ID) throw new OvError("usage", `--${flag} ${JSON.stringify(spec)}: the range ends past ${MAX_ID}`);
      out.push({ container_id: c, host_id: h, size: s });
    }
  }
  checkOverlaps(out, "container_id", flag);
  checkOverlaps(out, "host_id", flag);
  return out;
}

function checkOverlaps(map: readonly IdMapEntry[], side: "container_id" | "host_id", flag: string): void {
  const sorted = [...map].sort((a, b) => a[side] - b[side]);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (sorted[i]![side] < prev[side] + prev.size) {
      const what = side === "container_id" ? "container" : "host";
      throw new OvError("usage", `--${flag}: the ${what} ranges starting at ${prev[side]} and ${sorted[i]![side]} overlap`);
    }
  }
}

/**
 * The map of a name in /etc/subuid or /etc/subgid ("name:start:count" lines):
 * its ranges in file order, given consecutive container IDs from 0.
 * @throws {OvError} not-found when the name has no range in the file.
 */
export function subordinateMap(content: string, name: string, file: string): IdMapEntry[] {
  const out: IdMapEntry[] = [];
  let next = 0;
  for (const line of content.split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const [who, start, count] = t.split(":");
    if (who !== name || start === undefined || count === undefined) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count) || Number(count) === 0) continue;
    out.push({ container_id: next, host_id: Number(start), size: Number(count) });
    next += Number(count);
  }
  if (out.length === 0) throw new OvError("not-found", `No subordinate ID range for ${JSON.stringify(name)} in ${file}`);
  return out;
}

/** Whether two maps are the same ranges in the same order (an absent map is the host's). */
export function sameMap(a: readonly IdMapEntry[], b: readonly IdMapEntry[]): boolean {
  return a.length === b.length && a.every((m, i) => m.container_id === b[i]!.container_id && m.host_id === b[i]!.host_id && m.size === b[i]!.size);
}
