import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { decompress, externalDecoder } from "../../src/archive/compress/codec.ts";
import { compressionFromCode, detectCompression } from "../../src/archive/compress/detect.ts";

describe("detectCompression()", () => {
  test("recognises gzip, zstd (data and skippable frames), bzip2, xz and plain tar", () => {
    expect(detectCompression(gzipSync("x"))).toBe("gzip");
    expect(detectCompression(Bun.zstdCompressSync(Buffer.from("x")))).toBe("zstd");
    expect(detectCompression(Uint8Array.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]))).toBe("zstd");
    expect(detectCompression(Uint8Array.from([0x5f, 0x2a, 0x4d, 0x18]))).toBe("zstd");
    expect(detectCompression(Buffer.from("BZh91AY"))).toBe("bzip2");
    expect(detectCompression(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe("xz");
    expect(detectCompression(Buffer.from("etc/passwd\0\0\0"))).toBe("none");
    expect(detectCompression(new Uint8Array(0))).toBe("none");
  });
  test("maps layers.json codes", () => {
    expect(compressionFromCode(undefined)).toBe("none");
    expect(compressionFromCode(2)).toBe("gzip");
    expect(compressionFromCode(4)).toBe("zstd");
    expect(compressionFromCode(9)).toBeUndefined();
  });
});

/** `bytes` compressed by the real program, or null when it is not installed. */
function compressWith(prog: "bzip2" | "xz", bytes: Uint8Array): Uint8Array | null {
  if (!Bun.which(prog)) return null;
  const r = Bun.spawnSync([prog, "-c"], { stdin: bytes });
  return r.success ? new Uint8Array(r.stdout) : null;
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
}

describe("decompress() through the bzip2 and xz programs", () => {
  const data = new Uint8Array(3 << 20).map((_, i) => (i * 2654435761) >>> 27);
  for (const prog of ["bzip2", "xz"] as const) {
    test.skipIf(!Bun.which(prog))(`${prog}: decodes a 3 MiB stream fed in pieces, byte for byte`, async () => {
      const packed = compressWith(prog, data)!;
      expect(detectCompression(packed)).toBe(prog);
      const half = packed.length >> 1;
      const out = new Uint8Array(await new Response(decompress(streamOf(packed.subarray(0, half), packed.subarray(half)), prog)).arrayBuffer());
      expect(out.length).toBe(data.length);
      expect(Buffer.compare(Buffer.from(out), Buffer.from(data))).toBe(0);
    });
    test.skipIf(!Bun.which(prog))(`${prog}: a truncated stream is an error carrying the program's message`, async () => {
      const packed = compressWith(prog, data)!;
      const p = new Response(decompress(streamOf(packed.subarray(0, packed.length - 40)), prog)).arrayBuffer();
      await expect(p).rejects.toThrow(new RegExp(`^${prog} exited with status [12]`));
    });
  }
  test("names the program and its Debian package", () => {
    expect(externalDecoder("xz")).toEqual({ argv: ["xz", "-d", "-c", "-q"], pkg: "xz-utils" });
    expect(externalDecoder("bzip2").pkg).toBe("bzip2");
  });
});
