/**
 * The layer verbs against a real store, compared with containers-storage 1.43.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type TempStore } from "../helpers/store.ts";

const csAvailable = hasContainersStorage();
const haveRoot = canMount();

describe.skipIf(!haveRoot)("layer verbs on a real store", () => {
  let s: TempStore;
  beforeAll(() => {
    s = tempStore();
  });
  afterAll(() => s.cleanup());

  test("a chain of 3 made by ovlayer has the files README.md describes", () => {
    const a = firstLine(s.ovOk(["create-layer"]));
    const b = firstLine(s.ovOk(["create-layer", "-n", "mid", a]));
    const c = firstLine(s.ovOk(["create-layer", "mid"]));
    const home = join(s.graph, "overlay");
    const links: Record<string, string> = {};
    for (const id of [a, b, c]) {
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(join(home, id)).mode & 0o7777).toBe(0o700);
      expect(statSync(join(home, id, "diff")).mode & 0o7777).toBe(0o555);
      expect(statSync(join(home, id, "work")).mode & 0o7777).toBe(0o700);
      expect(statSync(join(home, id, "merged")).mode & 0o7777).toBe(0o700);
      const lid = readFileSync(join(home, id, "link"), "utf8");
      expect(lid).toMatch(/^[A-Z2-7]{26}$/);
      expect(statSync(join(home, id, "link")).mode & 0o777).toBe(0o644);
      expect(readlinkSync(join(home, "l", lid))).toBe(`../${id}/diff`);
      links[id] = lid;
    }
    expect(readdirSync(join(home, a)).sort()).toEqual(["diff", "empty", "link", "merged", "work"]);
    expect(readdirSync(join(home, c)).sort()).toEqual(["diff", "link", "lower", "lower-layers", "merged", "work"]);
    expect(readFileSync(join(home, b, "lower"), "utf8")).toBe(`l/${links[a]}`);
    expect(readFileSync(join(home, b, "lower-layers"), "utf8")).toBe(a);
    expect(readFileSync(join(home, c, "lower"), "utf8")).toBe(`l/${links[b]}:l/${links[a]}`);
    expect(readFileSync(join(home, c, "lower-layers"), "utf8")).toBe(`${b}:${a}`);
    expect(statSync(join(s.graph, "overlay-layers", "layers.json")).mode & 0o777).toBe(0o600);
    // The last-writer token: 64 bytes, our pid is not needed but the layout is: bytes 16-19 a pid.
    const token = readFileSync(join(s.graph, "overlay-layers", "layers.lock"));
    expect(token.length).toBe(64);
    expect(token.readUInt32LE(16)).toBeGreaterThan(0);

    if (csAvailable) {
      const listed = JSON.parse(s.csOk(["layers", "--json"])) as { id: string; parent?: string; names?: string[] }[];
      const byId = new Map(listed.map((l) => [l.id, l]));
      expect(byId.get(a)?.parent).toBeUndefined();
      expect(byId.get(b)?.parent).toBe(a);
      expect(byId.get(b)?.names).toEqual(["mid"]);
      expect(byId.get(c)?.parent).toBe(b);
    }
  });

  test("create-layer prints the ID and its names as containers-storage does", () => {
    const out = s.ovOk(["create-layer", "-n", "n1", "--name", "n2"]);
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(lines.slice(1)).toEqual(["\tn1", "\tn2"]);
    const json = JSON.parse(s.ovOk(["create-layer", "--json", "-n", "j1"]));
    expect(json.names).toEqual(["j1"]);
    expect(json.flags).toBeUndefined();
    expect(json.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  test("exists and layer print what containers-storage prints", () => {
    const id = firstLine(s.ovOk(["create-layer", "-n", "ex1"]));
    const yes = s.ov(["exists", "ex1"]);
    expect([yes.code, yes.stdout]).toEqual([0, "ex1: true\n"]);
    const no = s.ov(["exists", "nope"]);
    expect([no.code, no.stdout]).toEqual([1, "nope: false\n"]);
    expect(s.ov(["exists", "-q", "ex1"]).stdout).toBe("");
    expect(s.ovOk(["layer", "ex1"])).toBe(`ID: ${id}\nName: ex1`);
    const missing = s.ov(["layer", "nope"]);
    expect([missing.code, missing.stdout]).toEqual([1, ""]);
    if (csAvailable) {
      expect(s.cs(["exists", "ex1"]).stdout).toBe(yes.stdout);
      expect(s.cs(["layer", "ex1"]).stdout.trim()).toBe(`ID: ${id}\nName: ex1`);
    }
  });

  test("bad IDs, names, flags and arguments are usage errors and create nothing", () => {
    const before = readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8");
    for (const args of [["--id", "a/b"], ["--id", ".."], ["--id", "l"], ["-n", "x/y"], ["--bogus"], ["nope-parent"], ["a", "b"]]) {
      const r = s.ov(["create-layer", ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^ovlayer: /);
    }
    expect(s.ov(["create-layer", "--bogus"]).stderr).toContain("flag provided but not defined: --bogus");
    expect(s.ov(["create-layer", "--id", "a/b"]).code).toBe(2);
    expect(s.ov(["create-layer", "nope-parent"]).code).toBe(3);
    expect(readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8")).toBe(before);
    expect(() => lstatSync(join(s.graph, "overlay", "a"))).toThrow();
  });

  test("an ID already in use is a conflict (exit 4)", () => {
    s.ovOk(["create-layer", "--id", "dup"]);
    const r = s.ov(["create-layer", "--id", "dup"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("that ID is already in use");
  });

  test("global flags work before and after the verb; --debug only adds stderr", () => {
    const r1 = run(["./dist/ovlayer", "--graph", s.graph, "--run", s.runRoot, "layers", "-q"], { cwd: `${import.meta.dir}/../..`, env: { CONTAINERS_STORAGE_CONF: join(s.dir, "storage.conf") } });
    const r2 = run(["./dist/ovlayer", "layers", "-q", "-g", s.graph, "-R", s.runRoot, "-D"], { cwd: `${import.meta.dir}/../..`, env: { CONTAINERS_STORAGE_CONF: join(s.dir, "storage.conf") } });
    expect(r1.code).toBe(0);
    expect(r2.stdout).toBe(r1.stdout);
    expect(s.ov(["-s", "vfs", "layers"]).code).toBe(2);
  });

  test("a malformed storage.conf is an error naming the file", () => {
    const bad = join(s.dir, "bad.conf");
    writeFileSync(bad, "[storage\n");
    const r = s.ov(["layers"], { env: { CONTAINERS_STORAGE_CONF: bad } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
  });

  test("fields ovlayer does not know survive its rewrite of layers.json", () => {
    const f = join(s.graph, "overlay-layers", "layers.json");
    const recs = JSON.parse(readFileSync(f, "utf8"));
    recs[0]["future-field"] = { kept: [1, 2, 3] };
    recs[0]["big-data-names"] = ["manifest"];
    writeFileSync(f, JSON.stringify(recs));
    s.ovOk(["create-layer"]);
    const after = JSON.parse(readFileSync(f, "utf8"));
    expect(after[0]["future-field"]).toEqual({ kept: [1, 2, 3] });
    expect(after[0]["big-data-names"]).toEqual(["manifest"]);
  });

  test("delete-layer refuses a parent and names the child; delete-layer of a leaf removes it all", () => {
    const p = firstLine(s.ovOk(["create-layer"]));
    const k = firstLine(s.ovOk(["create-layer", p]));
    const lid = readFileSync(join(s.graph, "overlay", k, "link"), "utf8");
    const r = s.ov(["delete-layer", p]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`used by layer ${k}`);
    expect(r.stderr).toContain("layer has children");
    s.ovOk(["delete-layer", k]);
    expect(() => lstatSync(join(s.graph, "overlay", k))).toThrow();
    expect(() => lstatSync(join(s.graph, "overlay", "l", lid))).toThrow();
    expect(s.ov(["exists", k]).code).toBe(1);
    s.ovOk(["delete-layer", p]);
    expect(s.ov(["exists", p]).code).toBe(1);
  });

  test("a record with an ID like \"..\" in a damaged layers.json never becomes a path to remove", () => {
    const f = join(s.graph, "overlay-layers", "layers.json");
    const good = readFileSync(f, "utf8");
    writeFileSync(f, JSON.stringify([...JSON.parse(good), { id: ".." }]));
    const r = s.ov(["delete", ".."]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Refusing to remove layer ".."');
    expect(lstatSync(join(s.graph, "overlay")).isDirectory()).toBe(true);
    expect(lstatSync(f).isFile()).toBe(true);
    writeFileSync(f, good);
  });

  test("delete-layer refuses a layer an image uses", () => {
    const id = firstLine(s.ovOk(["create-layer"]));
    const imgDir = join(s.graph, "overlay-images");
    mkdirSync(imgDir, { recursive: true });
    writeFileSync(join(imgDir, "images.json"), JSON.stringify([{ id: "img1", names: ["x:latest"], layer: id }]));
    const r = s.ov(["delete-layer", id]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("used by image img1");
    writeFileSync(join(imgDir, "images.json"), "[]");
  });
});

describe.skipIf(!haveRoot || !csAvailable)("with containers-storage 1.43", () => {
  let s: TempStore;
  beforeAll(() => {
    s = tempStore();
  });
  afterAll(() => s.cleanup());

  test("a chain made by containers-storage is listed and inspected by ovlayer", () => {
    const a = firstLine(s.csOk(["create-layer"]));
    const b = firstLine(s.csOk(["create-layer", "-n", "csmid", a]));
    expect(s.ovOk(["layers", "-q"]).split("\n")).toEqual([a, b]);
    expect(s.ovOk(["layers"])).toBe(s.csOk(["layers"]));
    expect(s.ovOk(["layers", "--tree"])).toBe(s.csOk(["layers", "--tree"]));
    expect(JSON.parse(s.ovOk(["layers", "--json"]))).toEqual(JSON.parse(s.csOk(["layers", "--json"])));
    expect(s.ovOk(["layer", "csmid"])).toBe(`ID: ${b}\nParent: ${a}\nName: csmid`);
  });

  test("create-layer on a containers-storage chain writes lower-layers converted through l/ links", () => {
    const ids = JSON.parse(s.csOk(["layers", "--json"])).map((l: { id: string }) => l.id) as string[];
    const [a, b] = ids as [string, string];
    expect(() => lstatSync(join(s.graph, "overlay", b, "lower-layers"))).toThrow(); // 1.43 writes none
    const c = firstLine(s.ovOk(["create-layer", b]));
    const home = join(s.graph, "overlay");
    expect(readFileSync(join(home, c, "lower-layers"), "utf8")).toBe(`${b}:${a}`);
    const bLid = readFileSync(join(home, b, "link"), "utf8");
    expect(readFileSync(join(home, c, "lower"), "utf8")).toBe(`l/${bLid}:${readFileSync(join(home, b, "lower"), "utf8")}`);
    // and containers-storage builds on ours
    const d = firstLine(s.csOk(["create-layer", c]));
    expect(readFileSync(join(home, d, "lower"), "utf8").split(":")).toHaveLength(3);
    expect(JSON.parse(s.csOk(["layers", "--json"])).find((l: { id: string }) => l.id === d).parent).toBe(c);
  });

  test("concurrent create-layer from 4 ovlayer and 2 containers-storage processes loses no entry", async () => {
    const per = 8;
    const env = { ...process.env, CONTAINERS_STORAGE_CONF: join(s.dir, "storage.conf") };
    const spawnLoop = (bin: string, tag: string) =>
      Bun.spawn(["sh", "-c", `for i in $(seq 1 ${per}); do "${bin}" --graph "${s.graph}" --run "${s.runRoot}" --storage-driver overlay create-layer -n ${tag}-$i >/dev/null || exit 1; done`], { env, stderr: "pipe" });
    const procs = [
      ...[1, 2, 3, 4].map((i) => spawnLoop(`${import.meta.dir}/../../dist/ovlayer`, `ov${i}`)),
      ...[1, 2].map((i) => spawnLoop("containers-storage", `cs${i}`)),
    ];
    const codes = await Promise.all(procs.map((p) => p.exited));
    for (const [i, p] of procs.entries()) {
      if (codes[i] !== 0) throw new Error(`writer ${i} failed: ${await new Response(p.stderr).text()}`);
    }
    const names = (JSON.parse(s.csOk(["layers", "--json"])) as { names?: string[] }[]).flatMap((l) => l.names ?? []);
    for (const tag of ["ov1", "ov2", "ov3", "ov4", "cs1", "cs2"]) {
      for (let i = 1; i <= per; i++) expect(names).toContain(`${tag}-${i}`);
    }
    expect(JSON.parse(s.ovOk(["layers", "--json"])).length).toBe(JSON.parse(s.csOk(["layers", "--json"])).length);
    // every layer directory has an entry and every entry a directory
    const dirs = readdirSync(join(s.graph, "overlay")).filter((d) => /^[0-9a-f]{64}$/.test(d)).sort();
    const entries = (JSON.parse(s.ovOk(["layers", "--json"])) as { id: string }[]).map((l) => l.id).sort();
    expect(dirs).toEqual(entries);
  });
});
