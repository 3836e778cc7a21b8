/**
 * Splits mount options into what mount(2) takes as flags and what goes to the
 * filesystem as data ("nodev,noatime,metacopy=on" -> MS_NODEV|MS_NOATIME and
 * "metacopy=on"), the way mount(8) and containers-storage's mount.ParseOptions
 * do. Also maps the flags to the new mount API: MOUNT_ATTR_* for fsmount(2)
 * and superblock flags set with fsconfig(FSCONFIG_SET_FLAG). Pure.
 */

// mount(2) flags (linux/mount.h)
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  REC: 0x4000,
  PRIVATE: 1 << 18,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

// fsmount(2) attribute flags (linux/mount.h)
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
} as const;

/** Flag words: [set, clear] bits of mount(2). */
const FLAG_WORDS: Record<string, [number, number]> = {
  defaults: [0, 0],
  ro: [MS.RDONLY, 0],
  rw: [0, MS.RDONLY],
  suid: [0, MS.NOSUID],
  nosuid: [MS.NOSUID, 0],
  dev: [0, MS.NODEV],
  nodev: [MS.NODEV, 0],
  exec: [0, MS.NOEXEC],
  noexec: [MS.NOEXEC, 0],
  sync: [MS.SYNCHRONOUS, 0],
  async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0],
  mand: [MS.MANDLOCK, 0],
  nomand: [0, MS.MANDLOCK],
  atime: [0, MS.NOATIME],
  noatime: [MS.NOATIME, 0],
  diratime: [0, MS.NODIRATIME],
  nodiratime: [MS.NODIRATIME, 0],
  relatime: [MS.RELATIME, 0],
  norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0],
  nostrictatime: [0, MS.STRICTATIME],
  lazytime: [MS.LAZYTIME, 0],
  nolazytime: [0, MS.LAZYTIME],
};

export interface ParsedMountOptions {
  /** mount(2) flags. */
  flags: number;
  /** Filesystem options, in order, for the data string or fsconfig. */
  data: string[];
}

/** @example parseMountOptions(["nodev", "metacopy=on"]) // { flags: MS.NODEV, data: ["metacopy=on"] } */
export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  let flags = 0;
  const data: string[] = [];
  for (const raw of options) {
    const o = raw.trim();
    if (!o) continue;
    const w = FLAG_WORDS[o];
    if (w) {
      flags = (flags | w[0]) & ~w[1];
    } else data.push(o);
  }
  return { flags, data };
}

/** Whether the options ask for a read-only mount ("ro" anywhere, last of ro/rw wins). */
export function wantsReadOnly(options: readonly string[]): boolean {
  return (parseMountOptions(options).flags & MS.RDONLY) !== 0;
}

/** fsmount(2) attributes for the flags that are per-mount in the new API. */
export function mountAttrs(flags: number): number {
  let a = 0;
  if (flags & MS.RDONLY) a |= MOUNT_ATTR.RDONLY;
  if (flags & MS.NOSUID) a |= MOUNT_ATTR.NOSUID;
  if (flags & MS.NODEV) a |= MOUNT_ATTR.NODEV;
  if (flags & MS.NOEXEC) a |= MOUNT_ATTR.NOEXEC;
  if (flags & MS.NOATIME) a |= MOUNT_ATTR.NOATIME;
  else if (flags & MS.STRICTATIME) a |= MOUNT_ATTR.STRICTATIME;
  if (flags & MS.NODIRATIME) a |= MOUNT_ATTR.NODIRATIME;
  return a;
}

/** Superblock flags that the new API sets with fsconfig(FSCONFIG_SET_FLAG, name). */
export function superblockFlagNames(flags: number): string[] {
  const n: string[] = [];
  if (flags & MS.RDONLY) n.push("ro");
  if (flags & MS.SYNCHRONOUS) n.push("sync");
  if (flags & MS.DIRSYNC) n.push("dirsync");
  if (flags & MS.MANDLOCK) n.push("mand");
  if (flags & MS.LAZYTIME) n.push("lazytime");
  return n;
}

/** "key=value" -> ["key", "value"] with surrounding quotes removed; "key" -> ["key", null]. */
export function splitOption(o: string): [string, string | null] {
  const eq = o.indexOf("=");
  if (eq < 0) return [o, null];
  let v = o.slice(eq + 1);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  return [o.slice(0, eq), v];
}
