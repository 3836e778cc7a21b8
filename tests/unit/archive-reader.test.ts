import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import { textRecord } from "../../src/archive/tar/pax.ts";
import { TypeFlag, writeNumeric } from "../../src/archive/tar/header.ts";
import { TarParser } from "../../src/archive/tar/reader.ts";
import { concat, END, enc, entry, fixChecksum, gnuLong, pad, parseAll, paxHeader, rawHeader, text } from "./archive-fixtures.ts";

const sample = concat(
  entry({ name: "etc/", kind: "dir", mode: 0o755 }),
  entry({ name: "etc/passwd", mode: 0o644, uid: 3000000, gid: 3000001 }, enc("root:x:0:0\n")),
  entry({ name: "bin/sh", kind: "symlink", linkname: "busybox", mode: 0o777 }),
  entry({ name: "dev/null", kind: "char", mode: 0o666, devmajor: 1, devminor: 3 }),
  entry({ name: "big", mode: 0o600 }, new Uint8Array(70000).fill(7)),
  END,
);

describe("TarParser", () => {
  test("delivers every entry with its fields and content", () => {
    const c = parseAll(sample);
    expect(c.entries.map((e) => [e.name, e.kind, e.mode, e.uid, e.gid])).toEqual([
      ["etc/", "dir", 0o755, 0, 0],
      ["etc/passwd", "file", 0o644, 3000000, 3000001],
      ["bin/sh", "symlink", 0o777, 0, 0],
      ["dev/null", "char", 0o666, 0, 0],
      ["big", "file", 0o600, 0, 0],
    ]);
    expect(c.entries[2]!.linkname).toBe("busybox");
    expect([c.entries[3]!.devmajor, c.entries[3]!.devminor]).toEqual([1, 3]);
    expect(text(c.content.get(2))).toBe("root:x:0:0\n");
    expect(c.content.get(5)!.every((b) => b === 7)).toBe(true);
    expect(c.content.get(5)!.length).toBe(70000);
  });

  test("gives the same result whatever the chunk sizes", () => {
    const whole = parseAll(sample);
    for (const size of [1, 7, 511, 512, 513, 4096]) {
      const c = parseAll(sample, size);
      expect(c.entries.map((e) => e.name)).toEqual(whole.entries.map((e) => e.name));
      expect([...c.content.values()].map((b) => Buffer.from(b).toString("hex"))).toEqual([...whole.content.values()].map((b) => Buffer.from(b).toString("hex")));
    }
  });

  test("hands over every non-content byte as raw, so raw and content rebuild the input", () => {
    const rebuilt: Uint8Array[] = [];
    const p = new TarParser({
      entry() {},
      data(d) {
        rebuilt.push(d.slice());
      },
      entryEnd() {},
      raw(r) {
        rebuilt.push(r.slice());
      },
    });
    const withTrailer = concat(sample, new Uint8Array(3000));
    for (let i = 0; i < withTrailer.length; i += 777) p.push(withTrailer.subarray(i, i + 777));
    p.finish();
    expect(Buffer.compare(Buffer.concat(rebuilt), Buffer.from(withTrailer))).toBe(0);
    expect(p.offset).toBe(withTrailer.length);
  });

  test("applies pax path, linkpath, uid, gid, mtime with nanoseconds and binary xattrs", () => {
    const cap = Uint8Array.from([1, 0, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const long = "deep/".repeat(40) + "file";
    const a = concat(
      paxHeader([textRecord("path", long), textRecord("uid", "4000000000"), textRecord("gid", "3000000"), textRecord("mtime", "1600000000.123456789"), { key: "SCHILY.xattr.security.capability", value: cap }]),
      rawHeader({ typeflag: TypeFlag.REG, name: "short", size: 2 }),
      pad(enc("hi")),
      END,
    );
    const [e] = parseAll(a).entries;
    expect(e!.name).toBe(long);
    expect(e!.uid).toBe(4000000000);
    expect(e!.gid).toBe(3000000);
    expect(e!.mtimeNs).toBe(1600000000123456789n);
    expect(e!.xattrs).toEqual([{ name: "security.capability", value: cap }]);
  });

  test("reads bsdtar's LIBARCHIVE.xattr records (URL-encoded name, base64 value)", () => {
    const a = concat(paxHeader([textRecord("LIBARCHIVE.xattr.user.a%3Db", Buffer.from([0, 1, 2]).toString("base64"))]), rawHeader({ typeflag: TypeFlag.REG, name: "f" }), END);
    expect(parseAll(a).entries[0]!.xattrs).toEqual([{ name: "user.a=b", value: Uint8Array.from([0, 1, 2]) }]);
  });

  test("uses GNU long names and long link targets", () => {
    const name = "n".repeat(300);
    const target = "t".repeat(200);
    const a = concat(gnuLong("L", name), gnuLong("K", target), rawHeader({ typeflag: TypeFlag.SYMLINK, name: "trunc", linkname: enc("trunc") }), END);
    const [e] = parseAll(a).entries;
    expect(e!.name).toBe(name);
    expect(e!.linkname).toBe(target);
  });

  test("makes global pax records defaults for later entries, local ones win", () => {
    const a = concat(
      paxHeader([textRecord("uid", "77"), textRecord("path", "ignored")], true),
      rawHeader({ typeflag: TypeFlag.REG, name: "a" }),
      paxHeader([textRecord("uid", "88")]),
      rawHeader({ typeflag: TypeFlag.REG, name: "b" }),
      END,
    );
    const c = parseAll(a);
    expect(c.globals).toBe(1);
    expect(c.entries.map((e) => [e.name, e.uid])).toEqual([
      ["a", 77],
      ["b", 88],
    ]);
  });

  test("never reads data for links, symlinks, devices, fifos and directories (as Go's reader)", () => {
    const a = concat(rawHeader({ typeflag: TypeFlag.SYMLINK, name: "s", size: 600, linkname: enc("x") }), rawHeader({ typeflag: TypeFlag.REG, name: "next" }), END);
    const c = parseAll(a);
    expect(c.entries.map((e) => [e.name, e.size])).toEqual([
      ["s", 0],
      ["next", 0],
    ]);
  });

  test("treats an old-style regular entry whose name ends with a slash as a directory", () => {
    const a = concat(rawHeader({ typeflag: TypeFlag.AREG, name: "olddir/" }), END);
    expect(parseAll(a).entries[0]!.kind).toBe("dir");
  });

  test("accepts an archive without end-of-archive blocks", () => {
    const a = entry({ name: "f" }, enc("x"));
    expect(parseAll(a).entries.length).toBe(1);
  });

  test("refuses an unknown entry type, naming it", () => {
    const a = concat(rawHeader({ typeflag: 0x5a, name: "weird" }), END);
    try {
      parseAll(a);
      throw new Error("no error");
    } catch (e) {
      expect((e as OvError).kind).toBe("unsupported");
      expect((e as Error).message).toMatch(/entry 1 at byte offset 0 \("weird"\) has entry type 'Z'/);
    }
  });

  test("refuses a zero block followed by a header", () => {
    const a = concat(new Uint8Array(512), entry({ name: "f" }), END);
    expect(() => parseAll(a)).toThrow(/a single zero block at byte offset 0 is followed by a header/);
  });

  test("reports a bad checksum with the entry number and offset", () => {
    const a = concat(entry({ name: "etc/", kind: "dir" }), entry({ name: "etc/passwd" }, enc("x")), END);
    a[512 + 10] = a[512 + 10]! ^ 0x20; // inside the second entry's header
    expect(() => parseAll(a)).toThrow(/entry 2 at byte offset 512: checksum mismatch/);
  });
});

describe("TarParser truncation errors", () => {
  // etc/ at 0, etc/passwd header at 512, its 11 bytes at 1024, padding to 1536.
  const simple = concat(entry({ name: "etc/", kind: "dir", mode: 0o755 }), entry({ name: "etc/passwd" }, enc("root:x:0:0\n")), END);
  const cases: [string, number, RegExp][] = [
    ["inside a header", 512 + 100, /ends inside a header block at byte offset 512 \(100 of 512 bytes present\)/],
    ["inside data", 1024 + 5, /ends inside the data of entry 2 \("etc\/passwd"\): 6 of 11 bytes missing/],
    ["inside padding", 1024 + 11 + 3, /ends inside the padding after entry 2 \("etc\/passwd"\): 498 bytes missing/],
  ];
  for (const [what, at, re] of cases) {
    test(`names the entry when the stream stops ${what}`, () => {
      const p = new TarParser({ entry() {}, data() {}, entryEnd() {} });
      p.push(simple.subarray(0, at));
      try {
        p.finish();
        throw new Error("no error");
      } catch (e) {
        expect((e as OvError).kind).toBe("corrupt");
        expect((e as Error).message).toMatch(/^The tar archive is truncated \(unexpected EOF\): /);
        expect((e as Error).message).toMatch(re);
      }
    });
  }

  test("names the extension header when the stream stops inside it", () => {
    const a = concat(paxHeader([textRecord("path", "x".repeat(100))]), rawHeader({ typeflag: TypeFlag.REG, name: "f" }));
    const p = new TarParser({ entry() {}, data() {}, entryEnd() {} });
    p.push(a.subarray(0, 512 + 40));
    expect(() => p.finish()).toThrow(/ends inside an extension header at byte offset 552: \d+ of \d+ bytes missing/);
  });

  test("refuses an extension header beyond the limit", () => {
    const p = new TarParser({ entry() {}, data() {}, entryEnd() {} }, { maxExtensionSize: 1000 });
    expect(() => p.push(rawHeader({ typeflag: TypeFlag.PAX, name: "p", size: 5000 }))).toThrow(/invalid tar header: pax header of 5000 bytes is over the limit of 1000/);
  });
});

describe("TarParser sparse files", () => {
  // A 20-byte file: "AAAA" at 2, "BBB" at 12, a hole up to 20.
  const A = enc("AAAA");
  const B = enc("BBB");
  const expected = (() => {
    const b = new Uint8Array(20);
    b.set(A, 2);
    b.set(B, 12);
    return b;
  })();

  test("old GNU 'S' entries with an extension block", () => {
    const h = rawHeader({ typeflag: TypeFlag.GNU_SPARSE, name: "sp", size: 7 });
    h.set(enc("ustar  \0"), 257);
    writeNumeric(h, 386, 12, 2);
    writeNumeric(h, 398, 12, 4);
    h[482] = 1; // an extension block follows
    writeNumeric(h, 483, 12, 20);
    fixChecksum(h);
    const ext = new Uint8Array(512);
    writeNumeric(ext, 0, 12, 12);
    writeNumeric(ext, 12, 12, 3);
    const a = concat(h, ext, pad(concat(A, B)), END);
    const c = parseAll(a);
    expect(c.entries[0]!.size).toBe(20);
    expect(c.entries[0]!.sparse!.spans).toEqual([
      { offset: 2, length: 4 },
      { offset: 12, length: 3 },
    ]);
    expect(Buffer.from(c.content.get(1)!)).toEqual(Buffer.from(expected));
  });

  test("pax 0.0 (repeated offset/numbytes) and 0.1 (map) entries", () => {
    for (const recs of [
      [textRecord("GNU.sparse.size", "20"), textRecord("GNU.sparse.offset", "2"), textRecord("GNU.sparse.numbytes", "4"), textRecord("GNU.sparse.offset", "12"), textRecord("GNU.sparse.numbytes", "3")],
      [textRecord("GNU.sparse.size", "20"), textRecord("GNU.sparse.map", "2,4,12,3"), textRecord("GNU.sparse.name", "real/name")],
    ]) {
      const a = concat(paxHeader(recs), rawHeader({ typeflag: TypeFlag.REG, name: "GNUSparseFile.0/x", size: 7 }), pad(concat(A, B)), END);
      const c = parseAll(a);
      expect(Buffer.from(c.content.get(1)!)).toEqual(Buffer.from(expected));
    }
  });

  test("pax 1.0 entries with the map at the start of the data", () => {
    const map = pad(enc("2\n2\n4\n12\n3\n"));
    const a = concat(
      paxHeader([textRecord("GNU.sparse.major", "1"), textRecord("GNU.sparse.minor", "0"), textRecord("GNU.sparse.name", "sp"), textRecord("GNU.sparse.realsize", "20")]),
      rawHeader({ typeflag: TypeFlag.REG, name: "GNUSparseFile.0/sp", size: 512 + 7 }),
      pad(concat(map, A, B)),
      END,
    );
    for (const chunk of [1, 100, 100000]) {
      const c = parseAll(a, chunk);
      expect(c.entries[0]!.name).toBe("sp");
      expect(Buffer.from(c.content.get(1)!)).toEqual(Buffer.from(expected));
    }
  });

  test("rejects a map whose spans do not add up to the stored data", () => {
    const a = concat(paxHeader([textRecord("GNU.sparse.size", "20"), textRecord("GNU.sparse.map", "2,4,12,5")]), rawHeader({ typeflag: TypeFlag.REG, name: "x", size: 7 }), pad(concat(A, B)), END);
    expect(() => parseAll(a)).toThrow(/the spans hold 9 bytes but the archive stores 7/);
  });
});
