/**
 * Compression of layer tarballs: detection from the first bytes, and the
 * numbers layers.json stores in `compression` (containers-storage's
 * archive.Compression: 0 none, 1 bzip2, 2 gzip, 3 xz, 4 zstd). Pure.
 */

export type CompressionName = "none" | "bzip2" | "gzip" | "xz" | "zstd";

export const COMPRESSION_CODE: Readonly<Record<CompressionName, number>> = { none: 0, bzip2: 1, gzip: 2, xz: 3, zstd: 4 };

/** Bytes needed to recognise every format. */
export const DETECT_BYTES = 6;

/**
 * Recognises the compression from the magic bytes. zstd streams may start
 * with a skippable frame (magic 0x184D2A50-5F, little-endian), as zstd:chunked
 * layers can; containers-storage only knows the data-frame magic.
 */
export function detectCompression(head: Uint8Array): CompressionName {
  const b = head;
  if (b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08) return "gzip";
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return "zstd";
  if (b.length >= 4 && (b[0]! & 0xf0) === 0x50 && b[1] === 0x2a && b[2] === 0x4d && b[3] === 0x18) return "zstd";
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return "bzip2";
  if (b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0x00) return "xz";
  return "none";
}

/** The name for a layers.json code; undefined for codes ovlayer does not know. */
export function compressionFromCode(code: unknown): CompressionName | undefined {
  if (code === undefined || code === null || code === 0) return "none";
  const e = Object.entries(COMPRESSION_CODE).find(([, v]) => v === code);
  return e ? (e[0] as CompressionName) : undefined;
}
