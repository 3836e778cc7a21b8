/**
 * /proc/self/mountinfo: which paths are mount points right now. Used to not
 * trust a mount count whose mount is gone (reboot, someone else unmounted).
 * Parsing is pure; `readMountinfo` is the one read.
 */
import { readFileSync } from "node:fs";

export interface MountEntry {
  id: number;
  parent: number;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount options (field 6). */
  options: string;
  /** Superblock options (last field). */
  superOptions: string;
  /** Optional fields such as "shared:1". */
  optional: string[];
}

/** Undoes the kernel's octal escapes (\040 for space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses mountinfo text (proc(5)). Lines that do not parse are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      mountPoint: unescapeMountField(f[4]!),
      options: f[5]!,
      optional: f.slice(6, sep),
      fsType: f[sep + 1]!,
      source: unescapeMountField(f[sep + 2]!),
      superOptions: f.slice(sep + 3).join(" "),
    });
  }
  return out;
}

export function readMountinfo(): MountEntry[] {
  return parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));
}

/** The set of current mount points, for repeated lookups. */
export function mountPointSet(entries: readonly MountEntry[] = readMountinfo()): Set<string> {
  return new Set(entries.map((e) => e.mountPoint));
}

export function isMountPoint(path: string, entries: readonly MountEntry[] = readMountinfo()): boolean {
  return entries.some((e) => e.mountPoint === path);
}
