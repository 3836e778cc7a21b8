/**
 * `dedup`, as containers-storage's Dedup: the layers of every image (top
 * layers, mapped top layers and their parents) have their regular files
 * grouped by a hash (file size, CRC-64 or SHA-256 of the content), and each
 * file is offered to the filesystem for extent sharing with an earlier file
 * of its group (sys/dedupe.ts; the kernel checks the bytes are equal, so a
 * weak hash only costs attempts). Files already sharing an inode are seen
 * once. On a filesystem without reflinks the first attempt fails with
 * EOPNOTSUPP: the walk stops and reports what was deduplicated, as upstream.
 *
 * Reads R/overlay/<ID>/diff of those layers; writes nothing but extents.
 */
import { closeSync, openSync, readSync, type BigIntStats } from "node:fs";
import { createHash } from "node:crypto";
import { OvError, sysError } from "../../errors.ts";
import { Crc64 } from "../../archive/tarsplit/crc64.ts";
import { fileType, lstatOrNull, S_IFDIR, S_IFREG, sortedNames } from "../../archive/export/fs-info.ts";
import { dedupeRange } from "../../sys/dedupe.ts";
import { SysError } from "../../sys/libc.ts";
import type { LayerRecord } from "../records/layers-json.ts";

export type HashMethod = "size" | "crc" | "sha256";
export const HASH_METHODS: readonly HashMethod[] = ["crc", "size", "sha256"];

/** Btrfs takes at most 16 MiB per call; longer files go in pieces. */
const MAX_DEDUPE = 16 << 20;

export interface DedupResult {
  /** Bytes the filesystem now shares (upstream's JSON field name). */
  Deduped: number;
}

/** The layers to visit: each image's layers and all their parents, once (pure). */
export function dedupLayers(records: readonly LayerRecord[], imageLayers: readonly string[]): string[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const seen = new Set<string>();
  for (const top of imageLayers) {
    for (let cur: string | undefined = top; cur && !seen.has(cur); cur = byId.get(cur)?.parent) {
      if (!byId.has(cur)) break;
      seen.add(cur);
    }
  }
  return [...seen];
}

function hashFile(path: string, st: BigIntStats, method: HashMethod): string {
  if (method === "size") return String(st.size);
  const h = method === "crc" ? new Crc64() : createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return `${st.size}:${Buffer.from(h.digest()).toString("hex")}`;
}

class NotSupported extends Error {}

/** Dedupes `dst` against `src`; returns the bytes shared. */
function dedupeFiles(src: string, dst: string, size: number): number {
  const s = openSync(src, "r");
  try {
    const d = openSync(dst, "r+");
    try {
      let total = 0;
      for (let off = 0; off < size; off += MAX_DEDUPE) {
        const r = dedupeRange(s, d, off, Math.min(MAX_DEDUPE, size - off));
        if (r.differs) return total;
        total += r.bytes;
      }
      return total;
    } finally {
      closeSync(d);
    }
  } catch (e) {
    if (e instanceof SysError && (e.code === "EOPNOTSUPP" || e.code === "ENOTSUP")) throw new NotSupported(src);
    throw e;
  } finally {
    closeSync(s);
  }
}

/**
 * Dedupes the files of `diffDirs`.
 * @returns the bytes shared, and whether the filesystem lacked support.
 */
export function dedupDirs(diffDirs: readonly string[], method: HashMethod): DedupResult & { unsupported: boolean } {
  const groups = new Map<string, string[]>();
  const inodes = new Set<string>();
  let deduped = 0;
  const visit = (path: string): void => {
    const st = lstatOrNull(path);
    if (!st) return;
    if (fileType(st) === S_IFDIR) {
      for (const n of sortedNames(path)) visit(`${path}/${n}`);
      return;
    }
    if (fileType(st) !== S_IFREG || st.size === 0n) return;
    const ino = `${st.dev}:${st.ino}`;
    if (inodes.has(ino)) return;
    inodes.add(ino);
    const key = hashFile(path, st, method);
    const group = groups.get(key);
    if (!group) return void groups.set(key, [path]);
    for (const src of group) {
      let n: number;
      try {
        n = dedupeFiles(src, path, Number(st.size));
      } catch (e) {
        if (e instanceof NotSupported) throw e;
        continue; // as upstream: a failed pair is skipped, the next candidate tried
      }
      if (n > 0) {
        deduped += n;
        return;
      }
    }
    group.push(path);
  };
  try {
    for (const d of diffDirs) visit(d);
  } catch (e) {
    if (e instanceof NotSupported) return { Deduped: deduped, unsupported: true };
    if (e instanceof OvError) throw e;
    throw sysError("Cannot deduplicate", e);
  }
  return { Deduped: deduped, unsupported: false };
}
