/**
 * The reader against archives GNU tar writes, and the writer against GNU
 * tar's reading, in every format GNU tar has. No root needed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TarParser } from "../../src/archive/tar/reader.ts";
import type { TarEntry } from "../../src/archive/tar/entry.ts";
import { concat, END, enc, entry, parseAll } from "./archive-fixtures.ts";

let dir: string;
const long = "dir-" + "x".repeat(120) + "/" + "sub-" + "y".repeat(150) + "/file-" + "z".repeat(80);

function tar(args: string[]): Buffer {
  const p = Bun.spawnSync(["tar", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`tar ${args.join(" ")}: ${p.stderr.toString()}`);
  return p.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ovl-unit-gnutar-"));
  const src = join(dir, "src");
  mkdirSync(join(src, long.split("/").slice(0, 2).join("/")), { recursive: true });
  writeFileSync(join(src, long), "long name content\n");
  writeFileSync(join(src, "plain"), "plain content\n");
  linkSync(join(src, "plain"), join(src, "hard"));
  symlinkSync("t".repeat(150), join(src, "longlink"));
  Bun.spawnSync(["mkfifo", join(src, "fifo")]);
  // 3 MiB file with data at 1 MiB and at the end: a sparse file.
  const fd = openSync(join(src, "sparse"), "w");
  writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 1 << 20);
  writeSync(fd, Buffer.alloc(100, 0x42), 0, 100, (3 << 20) - 100);
  closeSync(fd);
  utimesSync(join(src, "plain"), 1600000000, 1600000000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function byName(entries: TarEntry[]): Map<string, TarEntry> {
  return new Map(entries.map((e) => [e.name.replace(/^\.\//, "").replace(/\/$/, ""), e]));
}

describe("reading GNU tar archives", () => {
  for (const format of ["gnu", "oldgnu", "pax", "posix", "ustar"]) {
    test(`--format=${format}: names, kinds, links and content`, () => {
      const members = format === "ustar" ? ["plain", "hard", "fifo"] : ["plain", "hard", "fifo", "longlink", long];
      const archive = tar(["--format=" + format, "-C", "src", "-cf", "-", ...members]);
      const c = parseAll(archive, 4000);
      const m = byName(c.entries);
      expect(m.get("plain")!.kind).toBe("file");
      expect(m.get("plain")!.mtimeNs).toBe(1600000000n * 1_000_000_000n);
      expect(Buffer.from(c.content.get(m.get("plain")!.index)!).toString()).toBe("plain content\n");
      expect(m.get("hard")!.kind).toBe("hardlink");
      expect(m.get("hard")!.linkname.replace(/^\.\//, "")).toBe("plain");
      expect(m.get("fifo")!.kind).toBe("fifo");
      if (format !== "ustar") {
        expect(m.get("longlink")!.linkname).toBe("t".repeat(150));
        expect(Buffer.from(c.content.get(m.get(long)!.index)!).toString()).toBe("long name content\n");
      }
    });
  }

  for (const [label, args] of [
    ["old GNU sparse", ["--format=gnu", "--sparse"]],
    ["pax sparse 0.0", ["--format=pax", "--sparse", "--sparse-version=0.0"]],
    ["pax sparse 0.1", ["--format=pax", "--sparse", "--sparse-version=0.1"]],
    ["pax sparse 1.0", ["--format=pax", "--sparse", "--sparse-version=1.0"]],
  ] as const) {
    test(`${label}: the file comes back with its holes`, () => {
      const archive = tar([...args, "-C", "src", "-cf", "-", "sparse"]);
      // The archive stores far less than the file: it really is sparse.
      expect(archive.length).toBeLessThan(64 * 1024);
      const c = parseAll(archive, 1000);
      const e = c.entries[0]!;
      expect(e.name.replace(/^\.\//, "")).toBe("sparse");
      expect(e.sparse).toBeDefined();
      expect(e.size).toBe(3 << 20);
      expect(Buffer.compare(Buffer.from(c.content.get(e.index)!), readFileSync(join(dir, "src", "sparse")))).toBe(0);
    });
  }
});

describe("GNU tar reading ovlayer's archives", () => {
  test("lists names, ids, modes, sizes and times as written", () => {
    const name = "ü/" + "n".repeat(200);
    const archive = concat(
      entry({ name: "ü/", kind: "dir", mode: 0o755 }),
      entry({ name, mode: 0o4755, uid: 3000000, gid: 3000001, mtimeNs: 1600000000_123456789n }, enc("data\n")),
      entry({ name: "l", kind: "symlink", linkname: "x".repeat(120), mode: 0o777 }),
      entry({ name: "h", kind: "hardlink", linkname: name }),
      END,
    );
    const p = Bun.spawnSync(["tar", "--numeric-owner", "--full-time", "-tvf", "-"], { stdin: archive, stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    const lines = p.stdout.toString().trim().split("\n");
    expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 +0 \S+ \S+ ü\/$/);
    expect(lines[1]).toMatch(new RegExp(`^-rwsr-xr-x 3000000/3000001 +5 2020-09-13 12:26:40\\.123456789 ${name}$`));
    expect(lines[2]).toMatch(new RegExp(`^lrwxrwxrwx 0/0 .* l -> ${"x".repeat(120)}$`));
    expect(lines[3]).toMatch(new RegExp(`^hrw-r--r-- 0/0 .* h link to ${name}$`));
  });

  test("extracts the content ovlayer wrote", () => {
    const out = join(dir, "x");
    mkdirSync(out);
    const archive = concat(entry({ name: "a/b/", kind: "dir", mode: 0o750 }), entry({ name: "a/b/c", mode: 0o640 }, new Uint8Array(100000).fill(9)), END);
    const p = Bun.spawnSync(["tar", "-C", out, "-xf", "-"], { stdin: archive, stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    const got = readFileSync(join(out, "a/b/c"));
    expect(got.length).toBe(100000);
    expect(got.every((b) => b === 9)).toBe(true);
    expect(lstatSync(join(out, "a/b")).mode & 0o777).toBe(0o750);
  });

  test("reads the parser's view of its own output back unchanged", () => {
    const archive = tar(["--format=pax", "-C", "src", "-cf", "-", "plain", long]);
    const p = new TarParser({ entry() {}, data() {}, entryEnd() {} });
    p.push(archive);
    p.finish();
    expect(p.entryCount).toBe(2);
    expect(p.offset).toBe(archive.length);
  });
});
