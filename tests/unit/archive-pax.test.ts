import { describe, expect, test } from "bun:test";
import { formatPaxRecords, formatPaxTime, parsePaxInt, parsePaxRecords, parsePaxTime, textRecord } from "../../src/archive/tar/pax.ts";

describe("pax records", () => {
  test("round-trip binary values byte for byte", () => {
    const cap = Uint8Array.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0xff, 0x0a, 0x3d, 0x00]);
    const data = formatPaxRecords([textRecord("path", "a/b"), { key: "SCHILY.xattr.security.capability", value: cap }]);
    const back = parsePaxRecords(data, "entry 1");
    expect(back.map((r) => r.key)).toEqual(["path", "SCHILY.xattr.security.capability"]);
    expect(Buffer.from(back[1]!.value)).toEqual(Buffer.from(cap));
  });

  test("count their own length digits, also across a digit boundary", () => {
    for (let n = 1; n < 1100; n++) {
      const data = formatPaxRecords([textRecord("comment", "x".repeat(n))]);
      const len = Number(Buffer.from(data).toString("latin1").split(" ")[0]);
      expect(len).toBe(data.length);
      expect(Buffer.from(parsePaxRecords(data, "t")[0]!.value).toString()).toBe("x".repeat(n));
    }
  });

  test("keep repeated keys in order (GNU sparse 0.0)", () => {
    const data = formatPaxRecords([textRecord("GNU.sparse.offset", "0"), textRecord("GNU.sparse.numbytes", "5"), textRecord("GNU.sparse.offset", "9")]);
    expect(parsePaxRecords(data, "t").map((r) => `${r.key}=${Buffer.from(r.value)}`)).toEqual(["GNU.sparse.offset=0", "GNU.sparse.numbytes=5", "GNU.sparse.offset=9"]);
  });

  test("reject a record whose length does not end at a newline", () => {
    expect(() => parsePaxRecords(Buffer.from("30 path=short\n"), "entry 4 at byte offset 1024")).toThrow(
      /Pax header of entry 4 at byte offset 1024: malformed record at byte 0 of 14/,
    );
    expect(() => parsePaxRecords(Buffer.from("9 nokey\n"), "e")).toThrow(/malformed record|no "key=value"/);
  });
});

describe("pax times", () => {
  test("parse to nanoseconds, dropping digits beyond them", () => {
    expect(parsePaxTime("1795708040.897148176", "e")).toBe(1795708040897148176n);
    expect(parsePaxTime("12", "e")).toBe(12_000_000_000n);
    expect(parsePaxTime("1.5", "e")).toBe(1_500_000_000n);
    expect(parsePaxTime("1.1234567899", "e")).toBe(1_123456789n);
    expect(parsePaxTime("-1.5", "e")).toBe(-1_500_000_000n);
  });
  test("format without trailing zeros and read back", () => {
    for (const ns of [0n, 1n, 1_500_000_000n, 1795708040897148176n, -1_500_000_000n, 1600000000n * 1_000_000_000n]) {
      expect(parsePaxTime(formatPaxTime(ns), "e")).toBe(ns);
    }
    expect(formatPaxTime(1_500_000_000n)).toBe("1.5");
    expect(formatPaxTime(7_000_000_000n)).toBe("7");
  });
  test("reject text that is not a number", () => {
    expect(() => parsePaxTime("soon", "entry 2")).toThrow(/entry 2: time "soon" is not a decimal number/);
  });
});

describe("parsePaxInt()", () => {
  test("reads big uids and rejects negative or huge values", () => {
    expect(parsePaxInt("3000000", "uid", "e")).toBe(3000000);
    expect(() => parsePaxInt("-1", "uid", "entry 3")).toThrow(/entry 3: uid="-1" is not a non-negative integer/);
    expect(() => parsePaxInt("99999999999999999999", "size", "e")).toThrow(/out of range \(limit 2\^53\)/);
  });
});
