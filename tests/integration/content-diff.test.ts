/**
 * diff, changes and diffsize: whiteouts and opaque directories both ways
 * (and through a real overlay mount), round trips through diff and
 * import-layer, and interop with containers-storage 1.43 in both directions.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { lgetxattr, lutimens } from "../../src/sys/libc.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, unmountBelow, type TempStore } from "../helpers/store.ts";
import { gnuTar, makeEveryKindTree, sh } from "./content-fixtures.ts";
import { snapshot, type NodeInfo } from "./content-tree.ts";

const haveRoot = canMount();
const haveCs = haveRoot && hasContainersStorage();

const T = (s: number): bigint => BigInt(s) * 1_000_000_000n;

/** Whiteout devices get the time they were made: leave their mtime out of comparisons. */
function layerSnapshot(dir: string): Record<string, NodeInfo> {
  const snap = snapshot(dir);
  for (const v of Object.values(snap)) if (v.type === "char" && v.rdev === "0:0") v.mtime = "-";
  return snap;
}

/** containers-storage's own diff writes whole-second mtimes (Go's tar writer without pax times). */
function seconds(snap: Record<string, NodeInfo>): Record<string, NodeInfo> {
  for (const v of Object.values(snap)) if (v.mtime !== "-") v.mtime = String(BigInt(v.mtime) / 1_000_000_000n);
  return snap;
}

function listing(file: string): string[] {
  return Bun.spawnSync(["tar", "-tf", file]).stdout.toString().split("\n").filter(Boolean);
}

function sha(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/**
 * base: etc/{passwd,gone,keep}, opq/{old,sub/deeper}, same/
 * child: etc/.wh.gone, etc/new (uid 5), opq/ opaque with opq/fresh, same/deep/q"uo<TAB>te
 */
function makeTrees(dir: string): { base: string; child: string } {
  const b = join(dir, "base-src");
  for (const d of ["etc", "opq/sub", "same"]) mkdirSync(join(b, d), { recursive: true });
  writeFileSync(join(b, "etc/passwd"), "root:x:0:0\n");
  writeFileSync(join(b, "etc/gone"), "bye\n");
  writeFileSync(join(b, "etc/keep"), "keep\n");
  writeFileSync(join(b, "opq/old"), "old\n");
  writeFileSync(join(b, "opq/sub/deeper"), "deeper\n");
  const c = join(dir, "child-src");
  for (const d of ["etc", "opq", "same/deep"]) mkdirSync(join(c, d), { recursive: true });
  writeFileSync(join(c, "etc/.wh.gone"), "");
  writeFileSync(join(c, "etc/new"), "new <&>\n");
  sh(["chown", "5:6", join(c, "etc/new")]);
  writeFileSync(join(c, "opq/.wh..wh..opq"), "");
  writeFileSync(join(c, "opq/fresh"), "fresh\n");
  writeFileSync(join(c, 'same/deep/q"uo\tte'), "q\n");
  for (const root of [b, c]) {
    for (const d of ["etc", "opq", "same", ""]) if (existsSync(join(root, d))) lutimens(join(root, d), T(1600000000), T(1600000000));
  }
  const base = join(dir, "base.tar");
  const child = join(dir, "child.tar");
  sh(["tar", "--format=pax", "-C", b, "-cf", base, "."]);
  sh(["tar", "--format=pax", "-C", c, "-cf", child, "."]);
  return { base, child };
}

describe.skipIf(!haveRoot)("whiteouts and opaque directories", () => {
  let s: TempStore;
  let base: string;
  let child: string;
  let b: string;
  let c: string;
  beforeAll(() => {
    s = tempStore("ovl-content-diff-");
    ({ base, child } = makeTrees(s.dir));
    b = firstLine(s.ovOk(["import-layer", "-f", base]));
    c = firstLine(s.ovOk(["import-layer", "-f", child, b]));
  });
  afterAll(() => s.cleanup());

  test("import turns .wh.NAME into a 0:0 character device and .wh..wh..opq into the opaque xattr", () => {
    const diff = join(s.graph, "overlay", c, "diff");
    const wh = lstatSync(join(diff, "etc/gone"));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(wh.mode & 0o7777).toBe(0);
    expect(existsSync(join(diff, "etc/.wh.gone"))).toBe(false);
    expect(Buffer.from(lgetxattr(join(diff, "opq"), "trusted.overlay.opaque")!).toString()).toBe("y");
    expect(existsSync(join(diff, "opq/.wh..wh..opq"))).toBe(false);
    // containers-storage leaves whiteouts out of the id sets.
    const rec = (JSON.parse(readFileSync(join(s.graph, "overlay-layers/layers.json"), "utf8")) as { id: string; uidset: number[] }[]).find((r) => r.id === c)!;
    expect(rec.uidset).toEqual([0, 5]);
  });

  test("a mount of the two layers hides the deleted file and the opaque directory's old content", () => {
    const mnt = join(s.dir, "mnt");
    const empty = join(s.dir, "empty-lower");
    mkdirSync(mnt, { recursive: true });
    mkdirSync(empty, { recursive: true });
    sh(["mount", "-t", "overlay", "overlay", "-o", `ro,lowerdir=${join(s.graph, "overlay", c, "diff")}:${join(s.graph, "overlay", b, "diff")}:${empty}`, mnt]);
    try {
      expect(readdirSync(join(mnt, "etc")).sort()).toEqual(["keep", "new", "passwd"]);
      expect(readdirSync(join(mnt, "opq")).sort()).toEqual(["fresh"]);
      expect(readFileSync(join(mnt, "etc/new"), "utf8")).toBe("new <&>\n");
    } finally {
      unmountBelow(mnt);
    }
    expect(readdirSync(mnt)).toEqual([]);
  });

  test("diff gives back the child tarball (tar-split), and without it writes .wh. and .wh..wh..opq entries", () => {
    const back = join(s.dir, "child-back.tar");
    s.ovOk(["diff", "-f", back, c]);
    expect(sha(back)).toBe(sha(child));
    rmSync(join(s.graph, "overlay-layers", `${c}.tar-split.gz`));
    const walked = join(s.dir, "child-walked.tar");
    s.ovOk(["diff", "-f", walked, c]);
    expect(listing(walked)).toEqual(["etc/", "etc/.wh.gone", "etc/new", "opq/", "opq/.wh..wh..opq", "opq/fresh", "same/", "same/deep/", 'same/deep/q"uo\\tte']);
  });

  test("the walked diff imported onto a copy of the parent reproduces the layer", () => {
    const walked = join(s.dir, "child-walked.tar");
    const b2 = firstLine(s.ovOk(["import-layer", "-f", base]));
    const c2 = firstLine(s.ovOk(["import-layer", "-f", walked, b2]));
    expect(layerSnapshot(join(s.graph, "overlay", c2, "diff"))).toEqual(layerSnapshot(join(s.graph, "overlay", c, "diff")));
  });

  test("an opaque directory with nothing below it gets no marker (it hides nothing)", () => {
    const lone = firstLine(s.ovOk(["import-layer", "-f", child]));
    rmSync(join(s.graph, "overlay-layers", `${lone}.tar-split.gz`));
    const out = join(s.dir, "lone.tar");
    s.ovOk(["diff", "-f", out, lone]);
    expect(listing(out)).not.toContain("opq/.wh..wh..opq");
    expect(listing(out)).toContain("etc/.wh.gone");
  });

  test("changes and diffsize against the parent", () => {
    expect(s.ovOk(["changes", c]).split("\n")).toEqual([
      'Modify "/etc"',
      'Delete "/etc/gone"',
      'Add "/etc/new"',
      'Delete "/opq"',
      'Add "/opq/fresh"',
      'Modify "/same"',
      'Add "/same/deep"',
      'Add "/same/deep/q\\"uo\\tte"',
    ]);
    expect(JSON.parse(s.ovOk(["changes", "--json", c]))[0]).toEqual({ Path: "/etc", Kind: 0 });
    expect(s.ovOk(["diffsize", c])).toBe(String("new <&>\n".length + "fresh\n".length + "q\n".length));
    expect(s.ovOk(["changes", "--json", firstLine(s.ovOk(["create-layer"]))])).toBe("null");
  });

  test("changes, diffsize and diff against a layer that is not the parent compare the merged views", () => {
    const lines = s.ovOk(["changes", b, c]).split("\n").sort();
    // An added directory brings its content as additions too (archive.ChangesDirs).
    expect(lines).toEqual(
      ['Add "/etc/gone"', 'Add "/opq/old"', 'Add "/opq/sub"', 'Add "/opq/sub/deeper"', 'Delete "/etc/new"', 'Delete "/opq/fresh"', 'Delete "/same/deep"', 'Modify "/etc"', 'Modify "/opq"', 'Modify "/same"'].sort(),
    );
    expect(s.ovOk(["diffsize", b, c])).toBe(String("bye\n".length + "old\n".length + "deeper\n".length));
    const out = join(s.dir, "reverse.tar");
    s.ovOk(["diff", "-f", out, b, c]);
    expect(listing(out)).toEqual(["etc/", "etc/gone", "etc/.wh.new", "opq/", "opq/.wh.fresh", "opq/old", "opq/sub/", "opq/sub/deeper", "same/", "same/.wh.deep"]);
    // Applied on top of the child, that tarball gives the base's view back.
    const back = firstLine(s.ovOk(["import-layer", "-f", out, c]));
    expect(s.ovOk(["changes", back, b])).toBe("");
  });

  test("diff compresses with --gzip and --zstd, and by default as the layer was imported", () => {
    const plain = join(s.dir, "plain.tar");
    s.ovOk(["diff", "-u", "-f", plain, c]);
    const gz = join(s.dir, "c.tar.gz");
    s.ovOk(["diff", "--gzip", "-f", gz, c]);
    expect(Buffer.compare(gunzipSync(readFileSync(gz)), readFileSync(plain))).toBe(0);
    const zst = join(s.dir, "c.tar.zst");
    s.ovOk(["diff", "--zstd", "-f", zst, c]);
    expect(Buffer.compare(Buffer.from(Bun.zstdDecompressSync(readFileSync(zst))), readFileSync(plain))).toBe(0);
    // A gzip-imported layer comes back gzip-compressed unless asked otherwise, as containers-storage does.
    const gzLayer = firstLine(s.ovOk(["import-layer", "-f", gz]));
    const dflt = join(s.dir, "default.out");
    s.ovOk(["diff", "-f", dflt, gzLayer]);
    expect([...readFileSync(dflt).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const r = s.ov(["diff", "-u", "--gzip", c]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("choose one compression");
  });
});

describe.skipIf(!haveCs)("interop with containers-storage 1.43", () => {
  let s: TempStore;
  let base: string;
  let child: string;
  let ob: string;
  let oc: string;
  let cb: string;
  let cc: string;
  beforeAll(() => {
    s = tempStore("ovl-content-interop-");
    ({ base, child } = makeTrees(s.dir));
    ob = firstLine(s.ovOk(["import-layer", "-f", base]));
    oc = firstLine(s.ovOk(["import-layer", "-f", child, ob]));
    cb = firstLine(s.csOk(["import-layer", "-f", base]));
    cc = firstLine(s.csOk(["import-layer", "-f", child, cb]));
  });
  afterAll(() => s.cleanup());

  const diffOf = (id: string) => join(s.graph, "overlay", id, "diff");

  test("both tools make the same layers from the same tarballs", () => {
    expect(layerSnapshot(diffOf(ob))).toEqual(layerSnapshot(diffOf(cb)));
    expect(layerSnapshot(diffOf(oc))).toEqual(layerSnapshot(diffOf(cc)));
  });

  test("changes, changes --json and diffsize print what containers-storage prints", () => {
    for (const args of [["changes"], ["changes", "--json"], ["diffsize"]]) {
      expect(s.ovOk([...args, oc])).toBe(s.csOk([...args, cc]));
      expect(s.ovOk([...args, ob])).toBe(s.csOk([...args, cb]));
    }
    // Against a non-parent, containers-storage's order is a Go map's: compare as sets.
    expect(s.ovOk(["changes", ob, oc]).split("\n").sort()).toEqual(s.csOk(["changes", cb, cc]).split("\n").sort());
    expect(s.ovOk(["changes", oc, ob]).split("\n").sort()).toEqual(s.csOk(["changes", cc, cb]).split("\n").sort());
    expect(s.ovOk(["diffsize", ob, oc])).toBe(s.csOk(["diffsize", cb, cc]));
    expect(s.ovOk(["diffsize", oc, ob])).toBe(s.csOk(["diffsize", cc, cb]));
  });

  test("containers-storage imports ovlayer's walked diff into the same files", () => {
    for (const id of [ob, oc]) rmSync(join(s.graph, "overlay-layers", `${id}.tar-split.gz`));
    const bt = join(s.dir, "ov-base.tar");
    const ct = join(s.dir, "ov-child.tar");
    s.ovOk(["diff", "-u", "-f", bt, ob]);
    s.ovOk(["diff", "-u", "-f", ct, oc]);
    const nb = firstLine(s.csOk(["import-layer", "-f", bt]));
    const nc = firstLine(s.csOk(["import-layer", "-f", ct, nb]));
    expect(layerSnapshot(diffOf(nb))).toEqual(layerSnapshot(diffOf(ob)));
    expect(layerSnapshot(diffOf(nc))).toEqual(layerSnapshot(diffOf(oc)));
  });

  test("ovlayer imports containers-storage's walked diff into the same files", () => {
    for (const id of [cb, cc]) rmSync(join(s.graph, "overlay-layers", `${id}.tar-split.gz`));
    const bt = join(s.dir, "cs-base.tar");
    const ct = join(s.dir, "cs-child.tar");
    s.csOk(["diff", "-u", "-f", bt, cb]);
    s.csOk(["diff", "-u", "-f", ct, cc]);
    const nb = firstLine(s.ovOk(["import-layer", "-f", bt]));
    const nc = firstLine(s.ovOk(["import-layer", "-f", ct, nb]));
    expect(seconds(layerSnapshot(diffOf(nb)))).toEqual(seconds(layerSnapshot(diffOf(cb))));
    expect(seconds(layerSnapshot(diffOf(nc)))).toEqual(seconds(layerSnapshot(diffOf(cc))));
  });

  test("every entry kind survives ovlayer diff -> containers-storage import-layer -> containers-storage diff -> ovlayer import-layer", () => {
    const src = join(s.dir, "every-src");
    makeEveryKindTree(src);
    const t = join(s.dir, "every.tar");
    gnuTar(src, t);
    const first = firstLine(s.ovOk(["import-layer", "-f", t]));
    const a = join(s.dir, "every-ov.tar");
    s.ovOk(["diff", "-u", "-f", a, first]);
    const viaCs = firstLine(s.csOk(["import-layer", "-f", a]));
    rmSync(join(s.graph, "overlay-layers", `${viaCs}.tar-split.gz`), { force: true });
    const bt = join(s.dir, "every-cs.tar");
    s.csOk(["diff", "-u", "-f", bt, viaCs]);
    const back = firstLine(s.ovOk(["import-layer", "-f", bt]));
    const want = layerSnapshot(diffOf(first));
    expect(layerSnapshot(diffOf(viaCs))).toEqual(want);
    expect(seconds(layerSnapshot(diffOf(back)))).toEqual(seconds(want));
  });
});
