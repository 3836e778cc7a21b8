import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { decompress, externalDecoder } from "../../src/archive/codec.ts";
import { compressionFromCode, detectCompression } from "../../src/archive/compression.ts";
import { Crc64 } from "../../src/archive/crc64.ts";
import { cleanName, formatFileLine, formatSegmentLine, parseTarSplitLine } from "../../src/archive/tar-split-format.ts";
import { goQuote } from "../../src/archive/go-quote.ts";

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

describe("Crc64", () => {
  test("matches Go's crc64 ISO: the check value and a tar-split record of containers-storage", () => {
    expect(Buffer.from(new Crc64().update(Buffer.from("123456789")).digest()).toString("hex")).toBe("b90956c775a41001");
    // From a tar-split file written by containers-storage 1.43 for a file "hello\n".
    expect(Buffer.from(new Crc64().update(Buffer.from("hello\n")).digest()).toString("base64")).toBe("YUw+7uLYEAA=");
  });
  test("gives the same value at any alignment of the data", () => {
    const data = new Uint8Array(300007).map((_, i) => (i * 2654435761) >>> 24);
    const copy = (b: Uint8Array) => Uint8Array.from(b); // a fresh buffer: offset 0, aligned
    for (const [from, to] of [
      [1, 20],
      [3, 300007],
      [5, 262149],
    ] as const) {
      const part = data.subarray(from, to);
      expect(Buffer.from(new Crc64().update(part).digest())).toEqual(Buffer.from(new Crc64().update(copy(part)).digest()));
    }
  });

  test("gives the same value fed in pieces", () => {
    const data = new Uint8Array(100003).map((_, i) => (i * 31) & 0xff);
    const whole = new Crc64().update(data).digest();
    const parts = new Crc64();
    for (let i = 0; i < data.length; i += 977) parts.update(data.subarray(i, i + 977));
    expect(Buffer.from(parts.digest())).toEqual(Buffer.from(whole));
  });
});

describe("tar-split lines", () => {
  test("are read back as written, in Go's JSON layout", () => {
    const seg = formatSegmentLine(Uint8Array.from([0, 1, 255]), 0);
    expect(seg).toBe('{"type":2,"payload":"AAH/","position":0}\n');
    expect(parseTarSplitLine(seg, "f", 1)).toEqual({ type: "segment", payload: Buffer.from([0, 1, 255]) });
    const file = formatFileLine('a"b/ü', 6, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 3);
    expect(file).toBe('{"type":1,"name":"a\\"b/ü","size":6,"payload":"AQIDBAUGBwg=","position":3}\n');
    expect(parseTarSplitLine(file, "f", 2)).toMatchObject({ type: "file", name: 'a"b/ü', size: 6 });
    expect(formatFileLine("d/", 0, null, 4)).toBe('{"type":1,"name":"d/","payload":null,"position":4}\n');
  });
  test("name_raw wins over name", () => {
    const line = `{"type":1,"name_raw":"${Buffer.from("raw").toString("base64")}","payload":null,"position":0}`;
    expect(parseTarSplitLine(line, "f", 1)).toMatchObject({ name: "raw" });
  });
  test("report the file and line of a bad line", () => {
    expect(() => parseTarSplitLine("{nope", "L.tar-split.gz", 7)).toThrow(/L.tar-split.gz: line 7 is not JSON/);
  });
  test("cleanName() follows Go's filepath.Clean", () => {
    expect(cleanName("./")).toBe(".");
    expect(cleanName("")).toBe(".");
    expect(cleanName("./a//b/")).toBe("a/b");
    expect(cleanName("../a/../../b")).toBe("../../b");
    expect(cleanName("/../a")).toBe("/a");
  });
});

describe("goQuote()", () => {
  test("quotes as Go's %q", () => {
    expect(goQuote("/etc/passwd")).toBe('"/etc/passwd"');
    expect(goQuote('/same/deep/q"uo\tte')).toBe('"/same/deep/q\\"uo\\tte"');
    expect(goQuote("back\\slash\n")).toBe('"back\\\\slash\\n"');
    expect(goQuote("\x01\x7f")).toBe('"\\x01\\x7f"');
    expect(goQuote("ünïcödé 日本")).toBe('"ünïcödé 日本"');
    expect(goQuote("\u200b")).toBe('"\\u200b"');
  });
});
