/**
 * Generates a realistic, deterministic layer tarball for benchmarks: tens of
 * thousands of files in a directory tree, sizes spread like a distribution
 * image (many small files, a few large ones), half the content text-like
 * (compresses) and half random (does not), plus symlinks and hardlinks. The
 * same options always give the same bytes.
 *
 * As a library: `generateLayerTarball(opts)` yields the tar stream in chunks;
 * `writeLayerTarball(path, opts)` writes it (optionally gzip/zstd).
 * As a script:
 *   bun bench/import-tarball.ts --out /tmp/layer.tar [--size 300M] [--files 30000] [--seed 1] [--gzip|--zstd]
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { Chunker } from "../src/archive/tar/chunks.ts";
import { writeTarball } from "../src/archive/export/diff-output.ts";
import { END_OF_ARCHIVE, encodeHeaders, paddingFor } from "../src/archive/tar/writer.ts";
import type { CompressionName } from "../src/archive/compress/detect.ts";
import { prng } from "../tests/helpers/prng.ts";

export interface TarballOptions {
  /** Approximate total of file content, in bytes (default 300 MiB). */
  totalBytes?: number;
  /** Number of regular files (default 30000). */
  files?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Files per directory (default 40). */
  perDir?: number;
}

export interface TarballStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  contentBytes: number;
}


const POOL_SIZE = 4 << 20;

function contentPools(rand: () => number): { random: Uint8Array; text: Uint8Array } {
  const random = new Uint8Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i += 4) {
    const v = (rand() * 4294967296) >>> 0;
    random[i] = v & 0xff;
    random[i + 1] = (v >>> 8) & 0xff;
    random[i + 2] = (v >>> 16) & 0xff;
    random[i + 3] = v >>> 24;
  }
  const words = ["lib", "usr", "share", "config", "return", "static", "int", "void", "the", "of", "and", "package", "import", "function", "0x", "{", "}", "(", ")", ";", "\n", "  "];
  const text = new Uint8Array(POOL_SIZE);
  let p = 0;
  while (p < POOL_SIZE) {
    const w = words[Math.floor(rand() * words.length)]! + " ";
    for (let i = 0; i < w.length && p < POOL_SIZE; i++) text[p++] = w.charCodeAt(i);
  }
  return { random, text };
}

/** File sizes: log-uniform up to 2 MiB, scaled so that they sum to about `total`. */
function fileSizes(rand: () => number, files: number, total: number): number[] {
  const raw: number[] = [];
  let sum = 0;
  for (let i = 0; i < files; i++) {
    const s = Math.floor(Math.exp(rand() * Math.log(2 << 20)));
    raw.push(s);
    sum += s;
  }
  const scale = sum > 0 ? total / sum : 0;
  return raw.map((s) => Math.floor(s * scale));
}

/**
 * The tarball, in ~1 MiB chunks.
 * @param stats filled in as the stream is produced
 */
export function* generateLayerTarball(opts: TarballOptions = {}, stats?: TarballStats): Generator<Uint8Array> {
  const total = opts.totalBytes ?? 300 << 20;
  const files = opts.files ?? 30000;
  const perDir = opts.perDir ?? 40;
  const rand = prng(opts.seed ?? 1);
  const pools = contentPools(rand);
  const sizes = fileSizes(rand, files, total);
  const st: TarballStats = stats ?? { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, contentBytes: 0 };
  const ch = new Chunker();
  const mtimeNs = 1_700_000_000n * 1_000_000_000n;
  const dirName = (i: number): string => `usr/lib/pkg${Math.floor(i / (perDir * 10))}/d${Math.floor(i / perDir)}`;
  const made = new Set<string>();
  const ensureDir = function* (d: string): Generator<Uint8Array> {
    const parts = d.split("/");
    for (let k = 1; k <= parts.length; k++) {
      const p = parts.slice(0, k).join("/");
      if (made.has(p)) continue;
      made.add(p);
      st.dirs++;
      yield* ch.add(encodeHeaders({ name: p + "/", kind: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs }));
    }
  };
  for (let i = 0; i < files; i++) {
    const dir = dirName(i);
    yield* ensureDir(dir);
    const name = `${dir}/file${i}.${i % 3 === 0 ? "so" : i % 3 === 1 ? "txt" : "py"}`;
    const size = sizes[i]!;
    const pool = i % 2 === 0 ? pools.text : pools.random;
    yield* ch.add(encodeHeaders({ name, kind: "file", mode: i % 7 === 0 ? 0o755 : 0o644, uid: i % 50 === 0 ? 1000 : 0, gid: 0, size, mtimeNs }));
    let left = size;
    let off = Math.floor(rand() * (POOL_SIZE / 2));
    while (left > 0) {
      const take = Math.min(left, POOL_SIZE - off);
      yield* ch.add(pool.subarray(off, off + take));
      left -= take;
      off = 0;
    }
    yield* ch.zeros(paddingFor(size));
    st.files++;
    st.contentBytes += size;
    if (i % 25 === 0) {
      st.symlinks++;
      yield* ch.add(encodeHeaders({ name: `${dir}/link${i}`, kind: "symlink", linkname: `file${i}.${i % 3 === 0 ? "so" : i % 3 === 1 ? "txt" : "py"}`, mode: 0o777, uid: 0, gid: 0, size: 0, mtimeNs }));
    }
    if (i % 101 === 0) {
      st.hardlinks++;
      yield* ch.add(encodeHeaders({ name: `${dir}/hard${i}`, kind: "hardlink", linkname: name, mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs }));
    }
  }
  yield* ch.add(END_OF_ARCHIVE);
  const last = ch.flush();
  if (last) yield last;
}

/** Writes the tarball to `path`, compressed or not; returns what it holds. */
export async function writeLayerTarball(path: string, opts: TarballOptions = {}, compression: CompressionName = "none"): Promise<TarballStats> {
  const stats: TarballStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, contentBytes: 0 };
  const fd = openSync(path, "w", 0o644);
  try {
    await writeTarball(generateLayerTarball(opts, stats), compression, fd, `file ${path}`);
  } finally {
    closeSync(fd);
  }
  return stats;
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  const mult = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Math.floor(Number(m[1]) * mult);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const get = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = get("--out");
  if (!out) {
    writeSync(2, "usage: bun bench/import-tarball.ts --out FILE [--size 300M] [--files 30000] [--seed 1] [--gzip|--zstd]\n");
    process.exit(2);
  }
  const compression: CompressionName = args.includes("--gzip") ? "gzip" : args.includes("--zstd") ? "zstd" : "none";
  const stats = await writeLayerTarball(
    out,
    {
      totalBytes: parseSize(get("--size") ?? "300M"),
      files: Number(get("--files") ?? 30000),
      seed: Number(get("--seed") ?? 1),
    },
    compression,
  );
  writeSync(2, `${out}: ${stats.files} files, ${stats.dirs} dirs, ${stats.symlinks} symlinks, ${stats.hardlinks} hardlinks, ${stats.contentBytes} bytes of content (${compression})\n`);
}
