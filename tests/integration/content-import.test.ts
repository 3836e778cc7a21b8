/**
 * import-layer and applydiff against GNU tar and containers-storage 1.43:
 * every entry kind, compression, layers.json fields, tar-split, failures
 * that must leave nothing behind, and names that try to leave the layer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { lgetxattr } from "../../src/sys/libc.ts";
import { encodeHeaders, END_OF_ARCHIVE, paddingFor } from "../../src/archive/tar/writer.ts";
import { canMount, firstLine, hasCommand, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";
import { BIG_UID, CAP_SETUID_EP, gnuTar, gnuUntar, LONG_NAME, makeEveryKindTree, sh } from "./content-fixtures.ts";
import { snapshot } from "./content-tree.ts";

const haveRoot = canMount();
const haveCs = haveRoot && hasContainersStorage();

interface LayerJson {
  id: string;
  [k: string]: unknown;
}

function layers(s: TempStore): LayerJson[] {
  const f = join(s.graph, "overlay-layers", "layers.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as LayerJson[]) : [];
}

function sha256(file: string): string {
  return "sha256:" + createHash("sha256").update(readFileSync(file)).digest("hex");
}

const RECORDED = ["diff-digest", "diff-size", "compressed-diff-digest", "compressed-size", "compression", "uidset", "gidset"] as const;

describe.skipIf(!haveRoot)("import-layer of a GNU tar archive with every entry kind", () => {
  let s: TempStore;
  let tarFile: string;
  /** The same tree archived without --sparse: every entry can be rebuilt from tar-split. */
  let denseFile: string;
  let ref: string;
  let id: string;
  let denseId: string;
  beforeAll(() => {
    s = tempStore("ovl-content-import-");
    const src = join(s.dir, "src");
    makeEveryKindTree(src);
    tarFile = join(s.dir, "every.tar");
    gnuTar(src, tarFile);
    denseFile = join(s.dir, "every-dense.tar");
    sh(["tar", "--xattrs", "--xattrs-include=*", "--format=pax", "-C", src, "-cf", denseFile, "."]);
    ref = join(s.dir, "gnu-extracted");
    gnuUntar(tarFile, ref);
    id = firstLine(s.ovOk(["import-layer", "-f", tarFile]));
    denseId = firstLine(s.ovOk(["import-layer", "-f", denseFile]));
  });
  afterAll(() => s.cleanup());

  test("the layer's diff directory is entry for entry what GNU tar extracts", () => {
    const diff = join(s.graph, "overlay", id, "diff");
    const ours = snapshot(diff);
    const gnu = snapshot(ref);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(gnu).sort());
    for (const k of Object.keys(gnu)) expect({ path: k, ...ours[k] }).toEqual({ path: k, ...gnu[k]! });
  });

  test("the hard cases are really there: capability, big uid, devices, setuid, nanoseconds, sparse", () => {
    const d = (r: string) => join(s.graph, "overlay", id, "diff", r);
    expect(Buffer.from(lgetxattr(d("bin/ping"), "security.capability")!)).toEqual(Buffer.from(CAP_SETUID_EP));
    if (hasCommand("getcap")) expect(Bun.spawnSync(["getcap", d("bin/ping")]).stdout.toString()).toContain("cap_setuid=ep");
    const notes = lstatSync(d("home/user/notes"), { bigint: true });
    expect([notes.uid, notes.gid]).toEqual([BigInt(BIG_UID), BigInt(BIG_UID + 1)]);
    expect(notes.mtimeNs).toBe(1700000000_999999999n);
    expect(lstatSync(d("bin/su")).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(d("bin/su")).ino).toBe(lstatSync(d("bin/su-hardlink")).ino);
    expect(lstatSync(d("tmp")).mode & 0o7777).toBe(0o1777);
    expect(lstatSync(d("shared")).mode & 0o7777).toBe(0o2775);
    expect(lstatSync(d("shared/root-file")).gid).toBe(0);
    expect(lstatSync(d("shared/group-file")).gid).toBe(1234);
    const big = lstatSync(d("dev/big"));
    expect(big.isCharacterDevice()).toBe(true);
    expect(Bun.spawnSync(["stat", "-c", "%t:%T", d("dev/big")]).stdout.toString().trim()).toBe(`${(254).toString(16)}:${(300000).toString(16)}`);
    expect(lstatSync(d("run/fifo")).isFIFO()).toBe(true);
    expect(Buffer.from(lgetxattr(d("data/xattrs"), "user.binary")!)).toEqual(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x3d]));
    const sparse = readFileSync(d("data/sparse"));
    expect(sparse.length).toBe(8 << 20);
    expect(sparse[1 << 20]).toBe(0x41);
    expect(sparse[(8 << 20) - 1]).toBe(0x42);
    expect(readFileSync(d(LONG_NAME), "utf8")).toBe("a file with a long name\n");
  });

  test("layers.json gets the digests, sizes and id sets of the tarball", () => {
    const rec = layers(s).find((r) => r.id === id)!;
    expect(rec["diff-digest"]).toBe(sha256(tarFile));
    expect(rec["compressed-diff-digest"]).toBe(sha256(tarFile));
    expect(rec["diff-size"]).toBe(readFileSync(tarFile).length);
    expect(rec["compressed-size"]).toBe(readFileSync(tarFile).length);
    expect(rec.compression).toBeUndefined(); // 0 (uncompressed) is left out, as Go's omitempty does
    expect(rec.uidset).toEqual([0, BIG_UID]);
    expect(rec.gidset).toEqual([0, 1234, BIG_UID, BIG_UID + 1]);
    expect(rec.flags).toBeUndefined();
  });

  test("ovlayer diff gives back the tarball byte for byte (tar-split)", () => {
    expect(existsSync(join(s.graph, "overlay-layers", `${denseId}.tar-split.gz`))).toBe(true);
    const out = join(s.dir, "diff-back.tar");
    s.ovOk(["diff", "-f", out, denseId]);
    expect(sha256(out)).toBe(sha256(denseFile));
    expect(snapshot(join(s.graph, "overlay", denseId, "diff"))).toEqual(snapshot(join(s.graph, "overlay", id, "diff")));
  });

  test("a layer with a sparse entry gets no tar-split file: the archive's bytes are not the file's", () => {
    expect(existsSync(join(s.graph, "overlay-layers", `${id}.tar-split.gz`))).toBe(false);
  });

  test.skipIf(!haveCs)("containers-storage 1.43 rebuilds the same tarball from ovlayer's tar-split file", () => {
    const out = join(s.dir, "cs-diff.tar");
    const r = s.cs(["diff", "-u", "-f", out, denseId]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(sha256(out)).toBe(sha256(denseFile));
  });

  test.skipIf(!haveCs)("containers-storage importing the same tarball records the same fields and files", () => {
    const csId = firstLine(s.csOk(["import-layer", "-f", denseFile]));
    const all = layers(s);
    const ours = all.find((r) => r.id === denseId)!;
    const theirs = all.find((r) => r.id === csId)!;
    for (const f of RECORDED) expect({ field: f, value: ours[f] }).toEqual({ field: f, value: theirs[f] });
    expect(snapshot(join(s.graph, "overlay", denseId, "diff"))).toEqual(snapshot(join(s.graph, "overlay", csId, "diff")));
  });

  test("gzip with several members and zstd with a skippable frame give the same layer", () => {
    const raw = readFileSync(tarFile);
    const cut = 512 * 37;
    const gz = join(s.dir, "every.tar.gz");
    writeFileSync(gz, Buffer.concat([gzipSync(raw.subarray(0, cut)), gzipSync(raw.subarray(cut))]));
    const zst = join(s.dir, "every.tar.zst");
    const skippable = Buffer.alloc(8 + 16, 0x61);
    skippable.writeUInt32LE(0x184d2a5e, 0);
    skippable.writeUInt32LE(16, 4);
    writeFileSync(zst, Buffer.concat([skippable, Bun.zstdCompressSync(raw.subarray(0, cut)), skippable, Bun.zstdCompressSync(raw.subarray(cut))]));
    const base = snapshot(join(s.graph, "overlay", id, "diff"));
    for (const [file, code] of [
      [gz, 2],
      [zst, 4],
    ] as const) {
      const lid = firstLine(s.ovOk(["import-layer", "-f", file]));
      const rec = layers(s).find((r) => r.id === lid)!;
      expect(rec["diff-digest"]).toBe(sha256(tarFile));
      expect(rec["diff-size"]).toBe(raw.length);
      expect(rec["compressed-diff-digest"]).toBe(sha256(file));
      expect(rec["compressed-size"]).toBe(readFileSync(file).length);
      expect(rec.compression).toBe(code);
      expect(snapshot(join(s.graph, "overlay", lid, "diff"))).toEqual(base);
    }
  });

  test("the digests and tar-split file are the same computed inline or on the worker thread", () => {
    const got = (["inline", "worker"] as const).map((mode) => {
      const lid = firstLine(s.ovOk(["import-layer", "-f", denseFile], { env: { OVLAYER_DIGESTS: mode } }));
      const rec = layers(s).find((r) => r.id === lid)!;
      const split = gunzipSync(readFileSync(join(s.graph, "overlay-layers", `${lid}.tar-split.gz`))).toString();
      return { fields: RECORDED.map((f) => rec[f]), split };
    });
    expect(got[1]).toEqual(got[0]!);
  });

  test("reads the tarball from standard input", () => {
    const lid = firstLine(s.ovOk(["import-layer"], { stdin: readFileSync(tarFile) }));
    expect(layers(s).find((r) => r.id === lid)!["diff-digest"]).toBe(sha256(tarFile));
  });

  test("--json prints the new record, names and the parent are kept", () => {
    const parent = firstLine(s.ovOk(["create-layer"]));
    const out = s.ovOk(["import-layer", "--json", "-n", "first", "-n", "second", "-f", tarFile, parent]);
    const rec = JSON.parse(out) as LayerJson;
    expect(rec.names).toEqual(["first", "second"]);
    expect(rec.parent).toBe(parent);
    expect(rec["diff-digest"]).toBe(sha256(tarFile));
    expect(readFileSync(join(s.graph, "overlay", rec.id, "lower-layers"), "utf8")).toBe(parent);
  });
});

describe.skipIf(!haveRoot)("a failed import leaves nothing behind", () => {
  let s: TempStore;
  let good: Buffer;
  beforeAll(() => {
    s = tempStore("ovl-content-fail-");
    const src = join(s.dir, "src");
    mkdirSync(join(src, "d"), { recursive: true });
    // Random content, so that a cut gzip stream really is cut. ustar: "./" at 0, "./d/" at 512,
    // "./d/big" at 1024 with its data from 1536.
    writeFileSync(join(src, "d/big"), randomBytes(300000));
    sh(["tar", "--format=ustar", "-C", src, "-cf", join(s.dir, "good.tar"), "."]);
    good = readFileSync(join(s.dir, "good.tar"));
    s.ovOk(["create-layer"]); // the store exists, with one layer
  });
  afterAll(() => s.cleanup());

  function expectNothingLeft(before: string[]): void {
    expect(layers(s).map((r) => r.id)).toEqual(before);
    const dirs = readdirSync(join(s.graph, "overlay")).filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(dirs.sort()).toEqual([...before].sort());
    expect(readdirSync(join(s.graph, "overlay-layers")).filter((n) => n.endsWith(".tar-split.gz"))).toEqual([]);
  }

  const cases: [string, () => Uint8Array, RegExp][] = [
    ["a tarball cut inside a file", () => good.subarray(0, 512 * 6 + 1000), /truncated \(unexpected EOF\): it ends inside the data of entry \d+ \("\.\/d\/big"\): \d+ of 300000 bytes missing/],
    ["a tarball cut inside a header", () => good.subarray(0, 512 + 100), /truncated \(unexpected EOF\): it ends inside a header block at byte offset 512/],
    [
      "a header with a bad checksum",
      () => {
        const b = Buffer.from(good);
        b[512 + 20] = b[512 + 20]! ^ 0x41;
        return b;
      },
      /invalid tar header: entry 2 at byte offset 512: checksum mismatch/,
    ],
    ["a truncated gzip stream", () => gzipSync(good).subarray(0, 150000), /The gzip stream from standard input is corrupt or truncated after 150000 compressed bytes/],
  ];
  for (const [what, make, re] of cases) {
    test(`${what}: exit code 5 (corrupt), a clear message, no layer`, () => {
      const before = layers(s).map((r) => r.id);
      const r = s.ov(["import-layer"], { stdin: make() });
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(re);
      expectNothingLeft(before);
    });
  }

  test("a missing input file creates no layer", () => {
    const before = layers(s).map((r) => r.id);
    const r = s.ov(["import-layer", "-f", join(s.dir, "nope.tar")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("nope.tar");
    expectNothingLeft(before);
  });

  test.skipIf(!Bun.which("bzip2"))("a corrupt bzip2 stream: exit code 5, the decoder's message, no layer", () => {
    const before = layers(s).map((r) => r.id);
    const r = s.ov(["import-layer"], { stdin: Buffer.from("BZh91AY&SY....") });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/The bzip2 stream from standard input is corrupt or truncated .*bzip2 exited with status 2/);
    expectNothingLeft(before);
  });
});

describe.skipIf(!haveRoot)("names that try to leave the layer", () => {
  let s: TempStore;
  let outside: string;
  beforeAll(() => {
    s = tempStore("ovl-content-escape-");
    outside = join(s.dir, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "keep"), "untouched\n");
  });
  afterAll(() => s.cleanup());

  /** Archives with names GNU tar would not write: built with ovlayer's own header writer. */
  function tarOf(entries: { name: string; type?: "file" | "symlink" | "hardlink"; target?: string; data?: string }[]): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const e of entries) {
      const data = Buffer.from(e.data ?? "");
      const kind = e.type ?? "file";
      parts.push(encodeHeaders({ name: e.name, kind, ...(e.target ? { linkname: e.target } : {}), mode: 0o644, uid: 0, gid: 0, size: kind === "file" ? data.length : 0, mtimeNs: 0n }));
      if (kind === "file") parts.push(data, new Uint8Array(paddingFor(data.length)));
    }
    parts.push(END_OF_ARCHIVE);
    return Buffer.concat(parts);
  }

  test("'../' and absolute names land inside the layer root", () => {
    const id = firstLine(s.ovOk(["import-layer"], { stdin: tarOf([{ name: "../../../up", data: "up" }, { name: "/abs/file", data: "abs" }, { name: "a/../../b", data: "b" }]) }));
    const diff = join(s.graph, "overlay", id, "diff");
    expect(readFileSync(join(diff, "up"), "utf8")).toBe("up");
    expect(readFileSync(join(diff, "abs/file"), "utf8")).toBe("abs");
    expect(readFileSync(join(diff, "b"), "utf8")).toBe("b");
    expect(readdirSync(outside)).toEqual(["keep"]);
  });

  test("a symlink to a directory outside is refused, and nothing is written there", () => {
    const before = layers(s).length;
    const r = s.ov(["import-layer"], { stdin: tarOf([{ name: "evil", type: "symlink", target: outside }, { name: "evil/pwned", data: "pwned" }]) });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`"evil" is a symlink to ${JSON.stringify(outside)}, outside the layer`);
    expect(readdirSync(outside)).toEqual(["keep"]);
    expect(layers(s).length).toBe(before);
  });

  test("a relative symlink climbing out is refused", () => {
    const r = s.ov(["import-layer"], { stdin: tarOf([{ name: "up", type: "symlink", target: "../../../../../../../../.." + outside }, { name: "up/pwned", data: "x" }]) });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("leads outside the layer");
    expect(readdirSync(outside)).toEqual(["keep"]);
  });

  test("a symlink that stays inside is followed", () => {
    const id = firstLine(s.ovOk(["import-layer"], { stdin: tarOf([{ name: "usr/lib/x", data: "x" }, { name: "lib", type: "symlink", target: "usr/lib" }, { name: "lib/y", data: "y" }]) }));
    expect(readFileSync(join(s.graph, "overlay", id, "diff/usr/lib/y"), "utf8")).toBe("y");
  });

  test("a hardlink to a file outside the layer is refused", () => {
    const r = s.ov(["import-layer"], { stdin: tarOf([{ name: "h", type: "hardlink", target: "../../../../../../../../../etc/hostname" }]) });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/Hardlink "h" -> ".*etc\/hostname" is refused: the target is outside the layer/);
  });
});

describe.skipIf(!haveRoot)("applydiff", () => {
  let s: TempStore;
  beforeAll(() => {
    s = tempStore("ovl-content-applydiff-");
  });
  afterAll(() => s.cleanup());

  function tarOfDir(files: Record<string, string>, name: string): string {
    const dir = join(s.dir, name);
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(join(dir, p, ".."), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    const out = join(s.dir, name + ".tar");
    sh(["tar", "--format=pax", "-C", dir, "-cf", out, "."]);
    return out;
  }

  test("applies onto an empty layer with a tar-split file, then onto content without one", () => {
    const id = firstLine(s.ovOk(["create-layer", "-n", "target"]));
    const first = tarOfDir({ "a/one": "1\n" }, "first");
    s.ovOk(["applydiff", "-f", first, "target"]);
    const split = join(s.graph, "overlay-layers", `${id}.tar-split.gz`);
    expect(existsSync(split)).toBe(true);
    expect(layers(s)[0]!["diff-digest"]).toBe(sha256(first));
    const second = tarOfDir({ "b/two": "2\n" }, "second");
    s.ovOk(["applydiff", "target"], { stdin: readFileSync(second) });
    // The tar-split file could only describe the second tarball, not the layer: it is gone.
    expect(existsSync(split)).toBe(false);
    const rec = layers(s)[0]!;
    expect(rec["diff-digest"]).toBe(sha256(second));
    const diff = join(s.graph, "overlay", id, "diff");
    expect(readFileSync(join(diff, "a/one"), "utf8")).toBe("1\n");
    expect(readFileSync(join(diff, "b/two"), "utf8")).toBe("2\n");
    // diff now archives the directory: both files are in it.
    const out = join(s.dir, "applied.tar");
    s.ovOk(["diff", "-u", "-f", out, id]);
    const listing = Bun.spawnSync(["tar", "-tf", out]).stdout.toString();
    expect(listing.split("\n").filter(Boolean).sort()).toEqual(["a/", "a/one", "b/", "b/two"]);
  });

  test("refuses an unknown layer with 'layer not known'", () => {
    const r = s.ov(["applydiff", "nosuchlayer"], { stdin: "" });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("layer not known");
  });
});
