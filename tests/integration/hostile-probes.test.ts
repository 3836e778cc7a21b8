/**
 * Issue 12's probe classes "hostile store contents" and "bad command lines",
 * re-run as a table: each damage is made on a fresh store of three layers
 * (a chain base <- mid <- top), then every verb below runs on it. No run may
 * end in an internal error (exit 70), a signal, a stack or Bun's banner;
 * an error is "ovlayer: ..." lines (or the usage text for no verb), and
 * no more than 8 KiB of them (arguments are cut, not echoed whole).
 * Nothing may be written outside the store (a dir next to it, the target of
 * the symlinks the damage plants, gets nothing new).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canMount, firstLine, tempStore, unmountBelow, type RunResult, type TempStore } from "../helpers/store.ts";

type Damage = (s: TempStore, ids: { base: string; mid: string; top: string }, outside: string) => void;

const layersJson = (s: TempStore) => join(s.graph, "overlay-layers", "layers.json");
const editRecords = (s: TempStore, f: (recs: Record<string, unknown>[]) => unknown) => {
  const recs = JSON.parse(readFileSync(layersJson(s), "utf8")) as Record<string, unknown>[];
  writeFileSync(layersJson(s), JSON.stringify(f(recs) ?? recs));
};
const layerDir = (s: TempStore, id: string) => join(s.graph, "overlay", id);
/** rename(2) cannot leave the store's home (a bind mount): mv copies across. */
const mv = (from: string, to: string) => expect(Bun.spawnSync(["mv", from, to]).exitCode).toBe(0);
const swapForLink = (path: string, target: string) => {
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
};

const DAMAGES: Record<string, Damage> = {
  "names is a string": (s) => editRecords(s, (r) => void (r[0]!.names = "foobar")),
  "a duplicated record": (s) => editRecords(s, (r) => [...r, r[1]]),
  "parent is an object": (s, ids) => editRecords(s, (r) => void (r.find((x) => x.id === ids.top)!.parent = { x: 1 })),
  "an unknown field 100,000 levels deep": (s) =>
    writeFileSync(layersJson(s), readFileSync(layersJson(s), "utf8").replace(/^\[\{/, `[{"deep":${"[".repeat(100000)}${"]".repeat(100000)},`)),
  "layers.json is an object": (s) => writeFileSync(layersJson(s), '{"id":"x"}'),
  "layers.json is null": (s) => writeFileSync(layersJson(s), "null"),
  "layers.json is binary garbage": (s) => writeFileSync(layersJson(s), Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0x5b])),
  "layers.json is empty": (s) => writeFileSync(layersJson(s), ""),
  "layers.json is truncated": (s) => writeFileSync(layersJson(s), readFileSync(layersJson(s), "utf8").slice(0, 100)),
  "a parent cycle": (s, ids) => editRecords(s, (r) => void (r.find((x) => x.id === ids.base)!.parent = ids.top)),
  "an ID of 200 two-byte characters": (s) => editRecords(s, (r) => void (r[0]!.id = "é".repeat(200))),
  "an ID with a slash and dots": (s) => editRecords(s, (r) => void (r[0]!.id = "../../etc")),
  "a link file holding A:B": (s, ids) => writeFileSync(join(layerDir(s, ids.base), "link"), "AAAAAAAAAAAAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBB"),
  "a lower file with a .. entry": (s, ids) => writeFileSync(join(layerDir(s, ids.top), "lower"), "l/../../../../etc"),
  "a lower file of 1 MiB": (s, ids) => writeFileSync(join(layerDir(s, ids.top), "lower"), "l/AAAAAAAAAAAAAAAAAAAAAAAAAA:".repeat(40000)),
  "a lower-layers file naming a missing layer": (s, ids) => writeFileSync(join(layerDir(s, ids.top), "lower-layers"), `${"f".repeat(64)}\n`),
  "the middle layer's dir removed": (s, ids) => rmSync(layerDir(s, ids.mid), { recursive: true }),
  "diff and work are symlinks out": (s, ids, out) => {
    swapForLink(join(layerDir(s, ids.top), "diff"), out);
    swapForLink(join(layerDir(s, ids.top), "work"), out);
  },
  "the layer dir is a symlink out": (s, ids, out) => {
    mv(layerDir(s, ids.top), join(out, "moved"));
    symlinkSync(join(out, "moved"), layerDir(s, ids.top));
  },
  "merged is a symlink out": (s, ids, out) => swapForLink(join(layerDir(s, ids.top), "merged"), out),
  "a lower layer's diff is a symlink out": (s, ids, out) => swapForLink(join(layerDir(s, ids.base), "diff"), out),
  "l/ is a symlink out": (s, _ids, out) => {
    mv(join(s.graph, "overlay", "l"), join(out, "l"));
    symlinkSync(join(out, "l"), join(s.graph, "overlay", "l"));
  },
  "mountpoints.json is garbage": (s) => {
    mkdirSync(join(s.runRoot, "overlay-layers"), { recursive: true });
    writeFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "[{]");
  },
  "images.json and containers.json are garbage": (s) => {
    mkdirSync(join(s.graph, "overlay-images"), { recursive: true });
    mkdirSync(join(s.graph, "overlay-containers"), { recursive: true });
    writeFileSync(join(s.graph, "overlay-images", "images.json"), '[{"id": 5}]');
    writeFileSync(join(s.graph, "overlay-containers", "containers.json"), '{"x"');
  },
  "a file where R/overlay-layers should be a dir": (s) => {
    rmSync(join(s.graph, "overlay-layers"), { recursive: true });
    writeFileSync(join(s.graph, "overlay-layers"), "x");
  },
};

/** The verbs run on each damaged store; `top`, `mid`, `base` are replaced by the layers' IDs. */
const VERBS: string[][] = [
  ["layers"],
  ["layers", "--json"],
  ["layer", "top"],
  ["exists", "foo", "top"],
  ["mount", "top"],
  ["unmount", "top"],
  ["diff", "-u", "-f", "@OUT/diff.tar", "top"],
  ["changes", "top"],
  ["create-layer", "top"],
  ["check"],
  ["check", "--verbose", "--json"],
  ["repair", "--dry-run"],
  ["repair"],
  ["delete-layer", "top"],
  ["delete", "mid"],
];

/** Command lines that are wrong in themselves, on an intact store. */
const BAD_LINES: string[][] = [
  [],
  ["nosuchverb"],
  ["layers", "--bogus"],
  ["layer"],
  ["mount"],
  ["create-layer", "--id"],
  ["create-layer", "--id", ""],
  ["create-layer", "--id", "x".repeat(100000)],
  ["create-layer", "-n", ""],
  ["create-layer", "nosuchparent"],
  ["create-layer", "a", "b"],
  ["check", "--max", "forever"],
  ["check", "--max", "99999999999999999h"],
  ["--storage-opt", "bogus"],
  ["--storage-opt", "overlay.mount_strategy=nope", "mount", "top"],
  ["--storage-driver", "vfs", "layers"],
  ["--graph", "", "layers"],
  ["--graph", "relative/path", "layers"],
  ["mount", "-o", "x".repeat(10000), "top"],
  ["mount", "-o", "lowerdir=/etc", "top"],
  ["import-layer", "-f", "/nonexistent.tar"],
  ["import-layer", "-f", "/etc"],
  ["applydiff", "-f", "/dev/null", "top"],
  ["diff", "-f", "/nonexistent/dir/x.tar", "top"],
  ["set-layer-data", "-f", "/nonexistent", "top", "k"],
  ["get-layer-data", "top", "../../etc/passwd"],
  ["batch", "/nonexistent.batch"],
  ["copy", "top:/../../../etc/passwd", "/tmp/x"],
  ["layer", "-".repeat(300)],
  ["unmount", "/"],
];

describe.skipIf(!canMount())("hostile store contents and bad command lines", () => {
  let s: TempStore;
  let out: string;
  const stats = { stores: 0, runs: 0 };
  beforeAll(() => {
    s = tempStore("ovl-hostile-");
  });
  afterAll(() => {
    console.log(`hostile probes: ${stats.stores} damaged stores, ${stats.runs} runs`);
    s.cleanup();
  });

  function fresh(): { base: string; mid: string; top: string } {
    unmountBelow(s.dir);
    rmSync(s.graph, { recursive: true, force: true });
    rmSync(s.runRoot, { recursive: true, force: true });
    out = join(s.dir, "outside");
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    mkdirSync(s.graph);
    const base = firstLine(s.ovOk(["create-layer", "-n", "base"]));
    const mid = firstLine(s.ovOk(["create-layer", "-n", "mid", base]));
    const top = firstLine(s.ovOk(["create-layer", "-n", "top", mid]));
    writeFileSync(join(s.graph, "overlay", top, "diff", "file"), "top\n");
    return { base, mid, top };
  }

  function judge(what: string, r: RunResult): string[] {
    const wrong: string[] = [];
    const where = `${what}: exit ${r.code}`;
    if (r.code === 70 || r.code < 0) wrong.push(`${where}: ${r.stderr.slice(0, 400)}`);
    if (r.stderr.includes("    at ") || r.stderr.includes("Bun v")) wrong.push(`${where}: a stack or Bun's banner: ${r.stderr.slice(0, 400)}`);
    const first = r.stderr.split("\n")[0] ?? "";
    const usage = r.code === 2 && first.startsWith("Usage: ovlayer");
    if (r.code !== 0 && r.code !== 1 && !usage && !first.startsWith("ovlayer: ")) wrong.push(`${where}: stderr is not "ovlayer: ...": ${r.stderr.slice(0, 200)}`);
    return wrong;
  }

  /** Files the runs put into the outside dir (what was moved there by the damage itself excluded). */
  function writtenOutside(before: string[]): string[] {
    const now = Bun.spawnSync(["find", out, "-mindepth", "1"], { stdout: "pipe" }).stdout.toString().split("\n").filter(Boolean);
    return now.filter((p) => !before.includes(p) && !p.startsWith(join(out, "diff.tar")));
  }

  for (const [name, damage] of Object.entries(DAMAGES)) {
    test(`${name}: no internal error, nothing written outside the store`, () => {
      const ids = fresh();
      damage(s, ids, out);
      stats.stores++;
      const before = Bun.spawnSync(["find", out, "-mindepth", "1"], { stdout: "pipe" }).stdout.toString().split("\n").filter(Boolean);
      const wrong: string[] = [];
      for (const verb of VERBS) {
        const args = verb.map((a) => (a === "top" || a === "mid" || a === "base" ? ids[a] : a.replace("@OUT", s.dir)));
        const r = s.ov(args);
        stats.runs++;
        wrong.push(...judge(verb.join(" "), r));
      }
      unmountBelow(s.dir);
      const leaked = writtenOutside(before);
      if (leaked.length) wrong.push(`written outside the store: ${leaked.join(", ")}`);
      expect(wrong).toEqual([]);
    }, 120_000);
  }

  test(`${BAD_LINES.length} bad command lines: usage or a typed error, never an internal one`, () => {
    const ids = fresh();
    const wrong: string[] = [];
    for (const line of BAD_LINES) {
      const r = s.ov(line.map((a) => (a === "top" ? ids.top : a.replace("top:", `${ids.top}:`))));
      stats.runs++;
      wrong.push(...judge(line.join(" ").slice(0, 80), r));
      if (r.stderr.length > 8192) wrong.push(`${line.join(" ").slice(0, 80)}: ${r.stderr.length} bytes of stderr (an argument echoed whole?)`);
    }
    unmountBelow(s.dir);
    expect(readdirSync(out)).toEqual([]);
    expect(wrong).toEqual([]);
  }, 120_000);
});
