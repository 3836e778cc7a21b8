import { describe, expect, test } from "bun:test";
import { Crc64 } from "../../src/archive/tarsplit/crc64.ts";
import { cleanName, formatFileLine, formatSegmentLine, parseTarSplitLine } from "../../src/archive/tarsplit/format.ts";

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
