import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import {
  BLOCK_SIZE,
  formatHeader,
  headerChecksums,
  isZeroBlock,
  parseHeader,
  parseNumeric,
  splitUstarName,
  TypeFlag,
  writeNumeric,
} from "../../src/archive/tar/header.ts";

const ctx = { entry: 1, offset: 0 };
const enc = (s: string) => Buffer.from(s, "utf8");

function header(over: Partial<Parameters<typeof formatHeader>[0]> = {}): Uint8Array {
  return formatHeader({ name: enc("etc/passwd"), mode: 0o644, uid: 0, gid: 0, size: 11, mtime: 1600000000, typeflag: TypeFlag.REG, ...over });
}

describe("parseHeader()", () => {
  test("reads back every field formatHeader wrote", () => {
    const b = formatHeader({
      name: enc("usr/bin/tool"),
      mode: 0o4755,
      uid: 1000,
      gid: 100,
      size: 12345,
      mtime: 1700000000,
      typeflag: TypeFlag.REG,
      linkname: enc(""),
      uname: "alice",
      gname: "users",
      devmajor: 0,
      devminor: 0,
    });
    expect(b.length).toBe(BLOCK_SIZE);
    const h = parseHeader(b, 0, ctx);
    expect(h).toMatchObject({ name: "usr/bin/tool", mode: 0o4755, uid: 1000, gid: 100, size: 12345, mtime: 1700000000, typeflag: 0x30, format: "ustar", uname: "alice", gname: "users" });
  });

  test("joins the ustar prefix and name with a slash", () => {
    const long = "a/".repeat(60) + "file";
    const split = splitUstarName(enc(long))!;
    expect(split.prefix).toBeDefined();
    const h = parseHeader(header({ name: split.name, prefix: split.prefix! }), 0, ctx);
    expect(h.name).toBe(long);
  });

  test("rejects a header whose checksum does not match, naming both values", () => {
    const b = header();
    b[0] = b[0]! ^ 1;
    expect(() => parseHeader(b, 0, { entry: 7, offset: 3584 })).toThrow(/entry 7 at byte offset 3584: checksum mismatch: the header says \d+, its bytes sum to \d+/);
    try {
      parseHeader(b, 0, ctx);
    } catch (e) {
      expect((e as OvError).kind).toBe("corrupt");
    }
  });

  test("accepts the signed-byte checksum of old tars", () => {
    const b = header({ uname: "\u00e9\u00e9" }); // bytes >= 0x80 make the two sums differ
    const { signed, unsigned } = headerChecksums(b);
    expect(signed).not.toBe(unsigned);
    const s = signed.toString(8).padStart(6, "0");
    for (let i = 0; i < 6; i++) b[148 + i] = s.charCodeAt(i);
    expect(parseHeader(b, 0, ctx).name).toBe("etc/passwd");
  });

  test("recognises the GNU magic and reads its atime", () => {
    const b = header();
    b.set(enc("ustar  \0"), 257);
    writeNumeric(b, 345, 12, 1500000000);
    const s = headerChecksums(b).unsigned.toString(8).padStart(6, "0");
    for (let i = 0; i < 6; i++) b[148 + i] = s.charCodeAt(i);
    const h = parseHeader(b, 0, ctx);
    expect(h.format).toBe("gnu");
    expect(h.atime).toBe(1500000000);
  });

  test("refuses a name that is not UTF-8", () => {
    const b = header({ name: Uint8Array.from([0x61, 0xff, 0x62]) });
    expect(() => parseHeader(b, 0, ctx)).toThrow(/not valid UTF-8/);
  });
});

describe("parseNumeric()", () => {
  test("reads octal surrounded by spaces and NULs, and an empty field as 0", () => {
    const b = new Uint8Array(24);
    b.set(enc("  0755 \0"), 0);
    expect(parseNumeric(b, 0, 8, "mode", ctx)).toBe(0o755);
    expect(parseNumeric(b, 8, 8, "mode", ctx)).toBe(0);
  });

  test("reads GNU base-256 numbers, positive and negative", () => {
    const b = new Uint8Array(12);
    writeNumeric(b, 0, 12, 3_000_000_000_000);
    expect(b[0]).toBe(0x80);
    expect(parseNumeric(b, 0, 12, "size", ctx)).toBe(3_000_000_000_000);
    writeNumeric(b, 0, 12, -5);
    expect(b[0]).toBe(0xff);
    expect(parseNumeric(b, 0, 12, "mtime", ctx)).toBe(-5);
  });

  test("writes an 8-byte uid above 2097151 as base-256 and reads it back", () => {
    const b = new Uint8Array(8);
    writeNumeric(b, 0, 8, 3000000);
    expect(b[0]! & 0x80).toBe(0x80);
    expect(parseNumeric(b, 0, 8, "uid", ctx)).toBe(3000000);
  });

  test("rejects a field that is not octal", () => {
    const b = enc("12x4\0\0\0\0");
    expect(() => parseNumeric(b, 0, 8, "uid", ctx)).toThrow(/uid field "12x4.*" is not an octal number/);
  });
});

describe("isZeroBlock()", () => {
  test("is true only for 512 zero bytes", () => {
    const z = new Uint8Array(1024);
    expect(isZeroBlock(z, 0)).toBe(true);
    z[700] = 1;
    expect(isZeroBlock(z, 512)).toBe(false);
    expect(isZeroBlock(header())).toBe(false);
  });
});

describe("splitUstarName()", () => {
  test("keeps names up to 100 bytes whole", () => {
    expect(splitUstarName(enc("x".repeat(100)))).toEqual({ name: enc("x".repeat(100)) });
  });
  test("splits at a slash so that the prefix fits 155 and the name 100 bytes", () => {
    const p = "d".repeat(150) + "/" + "f".repeat(90);
    const s = splitUstarName(enc(p))!;
    expect(Buffer.from(s.prefix!).toString()).toBe("d".repeat(150));
    expect(Buffer.from(s.name).toString()).toBe("f".repeat(90));
  });
  test("gives up when no split fits (a pax path is needed)", () => {
    expect(splitUstarName(enc("x".repeat(101)))).toBeNull();
    expect(splitUstarName(enc("d".repeat(10) + "/" + "f".repeat(101)))).toBeNull();
  });
});
