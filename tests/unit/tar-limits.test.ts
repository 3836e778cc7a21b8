import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import { parsePaxRecords, textRecord, type PaxRecord } from "../../src/archive/tar/pax.ts";
import { MAX_EXTENSION_SIZE, MAX_NAME, MAX_PAX_RECORDS, MAX_XATTR_VALUE, MAX_XATTRS } from "../../src/archive/tar/limits.ts";
import { concat, END, entry, gnuLong, paxHeader, parseAll } from "./archive-fixtures.ts";

/** Runs `fn`, returns the OvError it throws (fails on any other outcome) and the time it took. */
function corrupt(fn: () => unknown): { e: OvError; ms: number } {
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof OvError)) throw new Error(`not an OvError: ${String(e)}`);
    expect(e.kind).toBe("corrupt");
    return { e, ms: performance.now() - t0 };
  }
  throw new Error("no error");
}

const xattrs = (n: number, prefix = "user.k"): PaxRecord[] => Array.from({ length: n }, (_, i) => textRecord(`SCHILY.xattr.${prefix}${i}`, "v"));
const file = entry({ name: "f", mode: 0o644 });

describe("bounded tar parsing", () => {
  test("a pax header over 1 MiB is refused before it is read, naming size and limit", () => {
    const big = [textRecord("comment", "x".repeat(MAX_EXTENSION_SIZE))];
    const { e } = corrupt(() => parseAll(concat(paxHeader(big), file, END)));
    expect(e.message).toMatch(/^Tar entry 1 at byte offset 0: invalid tar header: pax header of 10485\d\d bytes is over the limit of 1048576$/);
  });

  test("a global header over 1 MiB is refused the same way", () => {
    const { e } = corrupt(() => parseAll(concat(paxHeader([textRecord("comment", "y".repeat(MAX_EXTENSION_SIZE))], true), file, END)));
    expect(e.message).toContain("pax header of");
  });

  test("more records than the limit in one header: refused, and fast (no quadratic merge)", () => {
    const recs = Array.from({ length: MAX_PAX_RECORDS + 1 }, (_, i) => textRecord(`k${i}`, "v"));
    const { e, ms } = corrupt(() => parseAll(concat(paxHeader(recs, true), file, END)));
    expect(e.message).toMatch(/pax header of 4097 records or more is over the limit of 4096/);
    expect(ms).toBeLessThan(2000);
  });

  test("parsePaxRecords alone stops at the record limit", () => {
    const data = Buffer.from("6 a=b\n".repeat(50));
    expect(parsePaxRecords(data, "x", 50).length).toBe(50);
    expect(() => parsePaxRecords(data, "x", 49)).toThrow(/over the limit/);
  });

  test("consecutive local headers share one record limit", () => {
    const half = Array.from({ length: MAX_PAX_RECORDS / 2 + 1 }, (_, i) => textRecord(`k${i}`, "v"));
    const { e } = corrupt(() => parseAll(concat(paxHeader(half), paxHeader(half), file, END)));
    expect(e.message).toContain("over the limit of 4096");
  });

  test("global defaults accumulate at most the record limit of distinct keys", () => {
    const g = (from: number) => paxHeader(Array.from({ length: 3000 }, (_, i) => textRecord(`k${from + i}`, "v")), true);
    const { e } = corrupt(() => parseAll(concat(g(0), g(3000), file, END)));
    expect(e.message).toMatch(/set of global pax defaults of 6000 keys is over the limit of 4096/);
  });

  test("many global headers redefining the same keys are linear and accepted", () => {
    const g = paxHeader(Array.from({ length: 4000 }, (_, i) => textRecord(`k${i}`, "v")), true);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) parts.push(g, entry({ name: `f${i}`, mode: 0o644 }));
    const t0 = performance.now();
    const c = parseAll(concat(...parts, END));
    expect(c.entries.length).toBe(20);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  test("xattrs: the count limit, and a repeated name keeps its last value in one step", () => {
    const { e } = corrupt(() => parseAll(concat(paxHeader(xattrs(MAX_XATTRS + 1)), file, END)));
    expect(e.message).toMatch(/set of xattrs of 1025 entries is over the limit of 1024/);
    const ok = parseAll(concat(paxHeader([...xattrs(MAX_XATTRS), ...xattrs(MAX_XATTRS), textRecord("SCHILY.xattr.user.k0", "last")]), file, END));
    const x = ok.entries[0]!.xattrs;
    expect(x.length).toBe(MAX_XATTRS);
    expect(x[x.length - 1]!.name).toBe("user.k0");
    expect(Buffer.from(x[x.length - 1]!.value).toString()).toBe("last");
  });

  test("xattr value and name sizes", () => {
    const v = corrupt(() => parseAll(concat(paxHeader([textRecord("SCHILY.xattr.user.big", "z".repeat(MAX_XATTR_VALUE + 1))]), file, END)));
    expect(v.e.message).toMatch(/value of xattr "user.big" of 65537 bytes is over the limit of 65536/);
    const n = corrupt(() => parseAll(concat(paxHeader([textRecord(`SCHILY.xattr.user.${"n".repeat(300)}`, "v")]), file, END)));
    expect(n.e.message).toMatch(/xattr name "user\.n+"… \(305 bytes\) of 305 bytes is over the limit of 255/);
  });

  test("an 800 KB GNU long name is a corrupt error, not a stack overflow", () => {
    const { e } = corrupt(() => parseAll(concat(gnuLong("L", "a".repeat(800_000)), file, END)));
    expect(e.message).toMatch(/GNU long name: invalid tar header: name of 800000 bytes is over the limit of 4096/);
  });

  test("an 800 KB pax path and a 5000-byte linkpath are refused; 4096 bytes pass", () => {
    expect(corrupt(() => parseAll(concat(paxHeader([textRecord("path", "p".repeat(800_000))]), file, END))).e.message).toMatch(/pax path: .*name of 800000 bytes/);
    expect(corrupt(() => parseAll(concat(paxHeader([textRecord("linkpath", "l".repeat(5000))]), file, END))).e.message).toMatch(/pax linkpath: .*name of 5000 bytes/);
    const ok = parseAll(concat(paxHeader([textRecord("path", "q".repeat(MAX_NAME))]), file, END));
    expect(ok.entries[0]!.name.length).toBe(MAX_NAME);
  });

  test("a bad LIBARCHIVE.xattr escape and huge numbers are corrupt errors with short messages", () => {
    expect(corrupt(() => parseAll(concat(paxHeader([textRecord("LIBARCHIVE.xattr.user.%zz", "dg==")]), file, END))).e.message).toMatch(/is not URL-encoded/);
    const t = corrupt(() => parseAll(concat(paxHeader([textRecord("mtime", "9".repeat(100_000))]), file, END)));
    expect(t.e.message).toMatch(/out of range/);
    expect(t.e.message.length).toBeLessThan(400);
    const u = corrupt(() => parseAll(concat(paxHeader([textRecord("uid", "7".repeat(100_000))]), file, END)));
    expect(u.e.message.length).toBeLessThan(400);
  });
});
