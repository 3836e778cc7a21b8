import { describe, expect, test } from "bun:test";
import { encodeHeaders, paddingFor, type OutEntry } from "../../src/archive/tar/writer.ts";
import { concat, END, entry, parseAll } from "./archive-fixtures.ts";

const base = { kind: "file" as const, mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 1_600_000_000_000_000_000n };

describe("encodeHeaders()", () => {
  test("writes a plain ustar header when everything fits", () => {
    expect(encodeHeaders({ ...base, name: "etc/passwd" }).length).toBe(512);
    expect(encodeHeaders({ ...base, name: "d".repeat(150) + "/" + "f".repeat(99) }).length).toBe(512);
  });

  test("adds a pax header for what ustar cannot hold, and reads back exactly", () => {
    const cap = Uint8Array.from([1, 0, 0, 2, 0x80, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const cases: OutEntry[] = [
      { ...base, name: "x".repeat(300) },
      { ...base, name: "日本/ファイル" },
      { ...base, name: "l", kind: "symlink" as const, linkname: "t".repeat(101) },
      { ...base, name: "u", uid: 3000000, gid: 4294967294 },
      { ...base, name: "m", mtimeNs: 1_600_000_000_123_456_789n },
      { ...base, name: "neg", mtimeNs: -1_500_000_000n },
      { ...base, name: "c", xattrs: [{ name: "security.capability", value: cap }, { name: "user.empty", value: new Uint8Array(0) }] },
    ];
    for (const c of cases) {
      const h = encodeHeaders(c);
      expect(h.length).toBeGreaterThan(512);
      const [e] = parseAll(concat(h, END)).entries;
      expect(e!.name).toBe(c.name);
      expect(e!.uid).toBe(c.uid);
      expect(e!.gid).toBe(c.gid);
      expect(e!.mtimeNs).toBe(c.mtimeNs);
      expect(e!.linkname).toBe(c.linkname ?? "");
      expect(e!.xattrs.map((x) => [x.name, Buffer.from(x.value).toString("hex")])).toEqual((c.xattrs ?? []).map((x) => [x.name, Buffer.from(x.value).toString("hex")]));
    }
  });

  test("keeps device numbers, modes with setuid/setgid/sticky and kinds", () => {
    const a = concat(
      entry({ name: "dev/sda", kind: "block", devmajor: 8, devminor: 1048575, mode: 0o660 }),
      entry({ name: "tmp/", kind: "dir", mode: 0o1777 }),
      entry({ name: "bin/su", mode: 0o6755 }),
      entry({ name: "p", kind: "fifo", mode: 0o600 }),
      END,
    );
    const e = parseAll(a).entries;
    expect(e.map((x) => [x.kind, x.mode])).toEqual([
      ["block", 0o660],
      ["dir", 0o1777],
      ["file", 0o6755],
      ["fifo", 0o600],
    ]);
    expect([e[0]!.devmajor, e[0]!.devminor]).toEqual([8, 1048575]);
  });

  test("pads content to whole blocks", () => {
    expect(paddingFor(0)).toBe(0);
    expect(paddingFor(1)).toBe(511);
    expect(paddingFor(512)).toBe(0);
  });
});
