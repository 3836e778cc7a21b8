import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { compressionFromCode, detectCompression, requireReadable } from "../../src/archive/compress/detect.ts";

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
  test("refuses bzip2 and xz with a way around", () => {
    expect(() => requireReadable("xz", "file l.tar.xz")).toThrow(/file l.tar.xz is xz-compressed; ovlayer reads uncompressed, gzip and zstd layers/);
    expect(() => requireReadable("gzip", "f")).not.toThrow();
  });
  test("maps layers.json codes", () => {
    expect(compressionFromCode(undefined)).toBe("none");
    expect(compressionFromCode(2)).toBe("gzip");
    expect(compressionFromCode(4)).toBe("zstd");
    expect(compressionFromCode(9)).toBeUndefined();
  });
});
