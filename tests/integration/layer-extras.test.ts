/**
 * Layer data items, copy, applydiff-using-staging-dir, bzip2/xz input, gc
 * and dedup on real stores; containers-storage reads back what ovlayer wrote.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canMount, firstLine, hasCommand, hasContainersStorage, OVLAYER, run, tempStore, type TempStore } from "../helpers/store.ts";

const haveRoot = canMount();
const csAvailable = haveRoot && hasContainersStorage();

/** A tarball of `dir`'s contents made by GNU tar, as bytes. */
function tarOf(dir: string): Uint8Array {
  const r = Bun.spawnSync(["tar", "-C", dir, "-cf", "-", "."]);
  if (!r.success) throw new Error(`tar failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

function compressWith(prog: string, data: Uint8Array): Uint8Array {
  const r = Bun.spawnSync([prog, "-c"], { stdin: data });
  if (!r.success) throw new Error(`${prog} failed`);
  return new Uint8Array(r.stdout);
}

describe.skipIf(!haveRoot)("layer data, copy, staging dir, compression, gc, dedup", () => {
  let s: TempStore;
  let src: string;
  const record = (id: string) => (JSON.parse(readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8")) as Record<string, unknown>[]).find((r) => r.id === id)!;
  const mountCount = (id: string) =>
    ((JSON.parse(readFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "utf8")) as { id: string; count: number }[]).find((m) => m.id === id)?.count ?? 0);
  beforeAll(() => {
    s = tempStore("ovl-extras-");
    src = join(s.dir, "src");
    mkdirSync(join(src, "sub"), { recursive: true });
    writeFileSync(join(src, "a"), "alpha\n");
    writeFileSync(join(src, "sub", "b"), "beta\n");
  });
  afterAll(() => {
    s.ov(["wipe"]);
    s.ov(["shutdown", "--force"]);
    s.cleanup();
  });

  test("set/get/list-layer-data store items as containers-storage does, from a file or stdin", () => {
    const l = firstLine(s.ovOk(["create-layer"]));
    expect(s.ovOk(["list-layer-data", l])).toBe("");
    writeFileSync(join(s.dir, "item1"), "one");
    s.ovOk(["set-layer-data", "-f", join(s.dir, "item1"), l, "big-item-1"]);
    s.ovOk(["setlayerdata", l, "plain.key"], { stdin: "two" });
    s.ovOk(["set-layer-data", l, "plain.key"], { stdin: "two, again" });
    expect(s.ovOk(["list-layer-data", l]).split("\n")).toEqual(["big-item-1", "plain.key"]);
    expect(record(l)["big-data-names"]).toEqual(["big-item-1", "plain.key"]);
    expect(readFileSync(join(s.graph, "overlay-layers", l, "=" + Buffer.from("big-item-1").toString("base64")), "utf8")).toBe("one");
    expect(readFileSync(join(s.graph, "overlay-layers", l, "plain.key"), "utf8")).toBe("two, again");
    expect(s.ovOk(["get-layer-data", l, "plain.key"])).toBe("two, again");
    s.ovOk(["get-layer-data", "-f", join(s.dir, "out1"), l, "big-item-1"]);
    expect(readFileSync(join(s.dir, "out1"), "utf8")).toBe("one");
    const miss = s.ov(["get-layer-data", l, "no-such-item"]);
    expect(miss.code).toBe(3);
    expect(miss.stderr).toContain("no-such-item");
    expect(s.ov(["list-layer-data", "nope"]).code).toBe(3);
    if (csAvailable) {
      expect(s.csOk(["list-layer-data", l]).split("\n")).toEqual(["big-item-1", "plain.key"]);
      expect(s.csOk(["get-layer-data", l, "big-item-1"])).toBe("one");
    }
    s.ovOk(["delete-layer", l]);
    expect(existsSync(join(s.graph, "overlay-layers", l))).toBe(false);
  });

  test("copy into a layer, between layers and out of one; --chown; the mounts are released", () => {
    const a = firstLine(s.ovOk(["create-layer"]));
    const b = firstLine(s.ovOk(["create-layer"]));
    s.ovOk(["copy", join(src, "a"), `${a}:/file1`]);
    s.ovOk(["copy", "--chown", "100:200", src, `${a}:/tree`]);
    s.ovOk(["copy", `${a}:/tree`, `${b}:/tree2`]);
    s.ovOk(["copy", `${a}:/file1`, join(s.dir, "out") + "/"]);
    const da = join(s.graph, "overlay", a, "diff");
    expect(readFileSync(join(da, "file1"), "utf8")).toBe("alpha\n");
    expect(readFileSync(join(da, "tree", "sub", "b"), "utf8")).toBe("beta\n");
    expect([statSync(join(da, "tree", "sub", "b")).uid, statSync(join(da, "tree", "sub", "b")).gid]).toEqual([100, 200]);
    expect(statSync(join(da, "file1")).uid).toBe(0);
    expect(readFileSync(join(s.graph, "overlay", b, "diff", "tree2", "a"), "utf8")).toBe("alpha\n");
    expect(readFileSync(join(s.dir, "out", "file1"), "utf8")).toBe("alpha\n");
    expect(mountCount(a)).toBe(0);
    expect(mountCount(b)).toBe(0);
  });

  test("copy refuses to write through a symlink that leaves the layer", () => {
    const a = firstLine(s.ovOk(["create-layer"]));
    const outside = join(s.dir, "outside");
    mkdirSync(outside);
    symlinkSync(outside, join(s.graph, "overlay", a, "diff", "escape"));
    const r = s.ov(["copy", join(src, "a"), `${a}:/escape/pwned`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("outside the layer");
    expect(existsSync(join(outside, "pwned"))).toBe(false);
    expect(mountCount(a)).toBe(0);
  });

  test("applydiff-using-staging-dir puts a directory's files into the layer and records its digests", () => {
    const l = firstLine(s.ovOk(["create-layer"]));
    s.ovOk(["applydiff-using-staging-dir", l, src]);
    const d = join(s.graph, "overlay", l, "diff");
    expect(readFileSync(join(d, "a"), "utf8")).toBe("alpha\n");
    expect(readFileSync(join(d, "sub", "b"), "utf8")).toBe("beta\n");
    expect(String(record(l)["diff-digest"])).toMatch(/^sha256:[0-9a-f]{64}$/);
    const m = s.ovOk(["mount", l]);
    expect(readFileSync(join(m, "sub", "b"), "utf8")).toBe("beta\n");
    s.ovOk(["unmount", l]);
  });

  for (const [prog, code] of [["bzip2", 1], ["xz", 3]] as const) {
    test.skipIf(!hasCommand(prog))(`import-layer and apply-diff read ${prog} input; ${prog} junk is a bad tar`, () => {
      const packed = compressWith(prog, tarOf(src));
      const l = firstLine(s.ovOk(["import-layer"], { stdin: packed }));
      expect(readFileSync(join(s.graph, "overlay", l, "diff", "sub", "b"), "utf8")).toBe("beta\n");
      expect(record(l).compression).toBe(code);
      expect(record(l)["compressed-size"]).toBe(packed.length);
      const m = firstLine(s.ovOk(["create-layer"]));
      writeFileSync(join(s.dir, `t.${prog}`), packed);
      s.ovOk(["apply-diff", "-f", join(s.dir, `t.${prog}`), m]);
      expect(readFileSync(join(s.graph, "overlay", m, "diff", "a"), "utf8")).toBe("alpha\n");
      const junk = s.ov(["apply-diff", m], { stdin: compressWith(prog, Buffer.from("not even a tar header")) });
      expect(junk.code).toBe(5);
      expect(junk.stderr).toContain("unexpected EOF");
      if (csAvailable) expect(s.csOk(["diffsize", l])).toBe(s.ovOk(["diffsize", l]));
    });
  }

  test("xz input without the xz program is a clear unsupported error", () => {
    const l = firstLine(s.ovOk(["create-layer"]));
    const xzMagic = Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
    const r = run([OVLAYER, "-g", s.graph, "-R", s.runRoot, "applydiff", l], { stdin: xzMagic, env: { ...s.env, PATH: "/nonexistent" } });
    expect(r.code).toBe(8);
    expect(r.stderr).toContain("the xz program is not in PATH");
    expect(r.stderr).toContain("xz-utils");
  });

  test("gc removes layer dirs, tar-split files and data dirs that no record owns, and nothing else", () => {
    const keep = firstLine(s.ovOk(["create-layer"]));
    const ghost = "9".repeat(64);
    mkdirSync(join(s.graph, "overlay", ghost, "diff"), { recursive: true });
    writeFileSync(join(s.graph, "overlay-layers", `${ghost}.tar-split.gz`), "");
    mkdirSync(join(s.graph, "overlay-layers", "8".repeat(64)));
    writeFileSync(join(s.graph, "overlay-layers", "notes.txt"), "kept");
    s.ovOk(["gc"]);
    expect(existsSync(join(s.graph, "overlay", ghost))).toBe(false);
    expect(existsSync(join(s.graph, "overlay-layers", `${ghost}.tar-split.gz`))).toBe(false);
    expect(existsSync(join(s.graph, "overlay-layers", "8".repeat(64)))).toBe(false);
    expect(existsSync(join(s.graph, "overlay-layers", "notes.txt"))).toBe(true);
    expect(existsSync(join(s.graph, "overlay", keep, "diff"))).toBe(true);
    expect(existsSync(join(s.graph, "overlay", "l"))).toBe(true);
  });

  test("dedup offers the images' duplicate files to FIDEDUPERANGE: shared bytes with reflinks, 0 and a note without", () => {
    const base = firstLine(s.ovOk(["create-layer"]));
    const top = firstLine(s.ovOk(["create-layer", base]));
    const content = Buffer.alloc(64 << 10, "dedup me ");
    writeFileSync(join(s.graph, "overlay", base, "diff", "one"), content);
    writeFileSync(join(s.graph, "overlay", top, "diff", "two"), content);
    mkdirSync(join(s.graph, "overlay-images"), { recursive: true });
    writeFileSync(join(s.graph, "overlay-images", "images.json"), JSON.stringify([{ id: "d".repeat(64), layer: top }]));
    try {
      writeFileSync(join(s.graph, "probe"), "x");
      const reflinks = run(["cp", "--reflink=always", join(s.graph, "probe"), join(s.graph, "probe2")]).code === 0;
      for (const method of ["crc", "size", "sha256"]) {
        const r = s.ov(["dedup", "-j", `--hash-method=${method}`]);
        expect(r.code).toBe(0);
        const n = (JSON.parse(r.stdout) as { Deduped: number }).Deduped;
        if (reflinks) expect(n === content.length || n === 0).toBe(true); // 0 once already shared
        else {
          expect(n).toBe(0);
          expect(r.stderr).toContain("does not support reflinks");
        }
      }
      expect(s.ovOk(["dedup"])).toMatch(/^Deduplicated \d+ bytes$/);
      const bad = s.ov(["dedup", "--hash-method=md5"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("invalid hash method: md5");
    } finally {
      writeFileSync(join(s.graph, "overlay-images", "images.json"), "[]");
    }
  });
});
