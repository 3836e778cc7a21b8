/**
 * One on-disk model and one error policy, end to end (root): a damaged link
 * file is refused the same way by create-layer, mount and check; errno
 * failures met for real (a full filesystem, a read-only one, too few file
 * descriptors) read as the policy says; a too-long ID is refused before any
 * path is built from it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { canMount, firstLine, run, tempStore, unmountBelow, type TempStore } from "../helpers/store.ts";

interface Finding {
  code: string;
  layer?: string;
  file: string;
  problem: string;
}

function findings(s: TempStore): Finding[] {
  const r = s.ov(["check", "--json"]);
  return (JSON.parse(r.stdout) as { problems: Finding[] }).problems;
}

describe.skipIf(!canMount())("a link file holding ':' or '/'", () => {
  let s: TempStore;
  let p: string, c: string;
  const dir = (id: string, sub = "") => join(s.graph, "overlay", id, sub);
  beforeAll(() => {
    s = tempStore("ovl-model-");
    p = firstLine(s.ovOk(["create-layer"]));
    c = firstLine(s.ovOk(["create-layer", p]));
  });
  afterAll(() => s.cleanup());

  for (const [bad, reason] of [
    ["AAAAAAAAAAAAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBB", "it contains ':' (the lower file separator)"],
    ["../AAAAAAAAAAAAAAAAAAAAAAAAAA", "it contains '/'"],
  ] as const) {
    test(`${JSON.stringify(bad)}: create-layer and check refuse it with the same words; mount and check refuse the child an old tool made from it`, () => {
      const good = readFileSync(dir(p, "link"), "utf8");
      const goodLower = readFileSync(dir(c, "lower"), "utf8");
      const goodLL = readFileSync(dir(c, "lower-layers"), "utf8");
      try {
        writeFileSync(dir(p, "link"), bad);
        const words = `its content ${JSON.stringify(bad)} is not a link name: ${reason}`;

        // create-layer: refused before anything is written, naming the file.
        const before = readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8");
        const cr = s.ov(["create-layer", p]);
        expect(cr.code).toBe(5);
        expect(cr.stderr).toBe(`ovlayer: ${dir(p, "link")}: ${words}\nhint: run \`ovlayer check\` to see every problem and \`ovlayer repair\` to fix them\n`);
        expect(readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8")).toBe(before);

        // check: the same words for the same file.
        const f = findings(s).filter((x) => x.code === "link-file-invalid");
        expect(f).toEqual([{ code: "link-file-invalid", layer: p, file: dir(p, "link"), problem: words }]);

        // An old tool (upstream's getLower) copies the link file verbatim into a child's lower:
        // mount refuses that child, and check reports the same file and the same entry.
        writeFileSync(dir(c, "lower"), `l/${bad}`);
        rmSync(dir(c, "lower-layers"));
        const m = s.ov(["mount", c]);
        expect(m.code).toBe(5);
        expect(m.stdout).toBe("");
        expect(m.stderr).toStartWith(`ovlayer: Cannot mount layer ${c}: ${dir(c, "lower")}: entry `);
        expect(m.stderr).toContain(`hint: run \`ovlayer check\``);
        expect(readMountinfo().some((x) => x.mountPoint === dir(c, "merged"))).toBe(false);
        const lowerFindings = findings(s).filter((x) => x.layer === c && x.file === dir(c, "lower"));
        expect(lowerFindings.length).toBeGreaterThan(0);
        if (bad.includes("/")) {
          // One link-name rule: the l/ entry is refused for the link file's reason, by both.
          const words = `entry ${JSON.stringify(`l/${bad}`)} is not a valid l/ link name: ${reason}`;
          expect(m.stderr).toStartWith(`ovlayer: Cannot mount layer ${c}: ${dir(c, "lower")}: ${words}\n`);
          expect(lowerFindings).toEqual([{ code: "lower-malformed", layer: c, file: dir(c, "lower"), problem: words }]);
        } else {
          // ':' splits the copied name into two entries: the first one mount names is among check's.
          const entry = /: entry (\S+) \(entry 1 of 2\)/.exec(m.stderr)![1]!;
          expect(lowerFindings.some((x) => x.problem.includes(`entry 1 of 2 ${JSON.stringify(entry)}`))).toBe(true);
        }
      } finally {
        writeFileSync(dir(p, "link"), good);
        writeFileSync(dir(c, "lower"), goodLower);
        writeFileSync(dir(c, "lower-layers"), goodLL);
      }
      expect(s.ov(["check"]).code).toBe(0);
    });
  }
});

describe.skipIf(!canMount())("a child that lost both chain files", () => {
  let s: TempStore;
  beforeAll(() => (s = tempStore("ovl-model-nochain-")));
  afterAll(() => s.cleanup());

  test("is refused by mount and create-layer alike (never taken for a base layer), and reported by check", () => {
    const p = firstLine(s.ovOk(["create-layer"]));
    const c = firstLine(s.ovOk(["create-layer", p]));
    const dir = join(s.graph, "overlay", c);
    rmSync(join(dir, "lower"));
    rmSync(join(dir, "lower-layers"));
    const words = `layers.json names parent ${p}, but it has neither ${join(dir, "lower-layers")} nor ${join(dir, "lower")}`;
    const m = s.ov(["mount", c]);
    expect(m.code).toBe(5);
    expect(m.stderr).toStartWith(`ovlayer: Cannot mount layer ${c}: ${words}\n`);
    expect(readMountinfo().some((x) => x.mountPoint === join(dir, "merged"))).toBe(false);
    const cr = s.ov(["create-layer", c]);
    expect(cr.code).toBe(5);
    expect(cr.stderr).toStartWith(`ovlayer: Cannot create a child of layer ${c}: ${words}\n`);
    expect(findings(s).filter((f) => f.layer === c).map((f) => f.code)).toEqual(["lower-missing"]);
  });
});

describe.skipIf(!canMount())("errno failures met for real", () => {
  let s: TempStore;
  let fs: string;
  beforeAll(() => {
    s = tempStore("ovl-errno-");
    fs = join(s.dir, "small");
    mkdirSync(fs);
    const r = run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", fs]);
    if (r.code !== 0) throw new Error(`mount tmpfs: ${r.stderr}`);
  });
  afterAll(() => {
    unmountBelow(fs);
    s.cleanup();
  });
  const ov = (args: string[]) => run([join(import.meta.dir, "../../dist/ovlayer"), "--graph", join(fs, "g"), "--run", join(fs, "r"), ...args], { env: s.env });

  test("ENOSPC: create-layer names the full device, exits 9, and leaves no half layer", () => {
    expect(ov(["create-layer"]).code).toBe(0);
    // Fill the filesystem (dd stops at ENOSPC).
    run(["dd", "if=/dev/zero", `of=${join(fs, "filler")}`, "bs=64k"]);
    const r = ov(["create-layer", "--id", "full"]);
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/^ovlayer: .*: no space left on the device holding \/.+ \(ENOSPC\)\n/);
    expect(r.stderr).toContain("hint: free some space");
    rmSync(join(fs, "filler"));
    expect(ov(["layers"]).stdout).not.toContain("full");
    expect(ov(["check"]).code).toBe(0);
  });

  test("EROFS: a read-only store is named as such, exit 7, and root is not told to run as root", () => {
    expect(run(["mount", "-o", "remount,ro", fs]).code).toBe(0);
    try {
      const r = ov(["create-layer"]);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/^ovlayer: .*: the store at \/.+ is on a read-only filesystem \(EROFS\)\n/);
      expect(r.stderr).toContain("hint: remount that filesystem read-write");
      expect(r.stderr).not.toContain("run as root");
    } finally {
      run(["mount", "-o", "remount,rw", fs]);
    }
  });

  test("EMFILE: the fd strategy past `ulimit -n` says which limit to raise, and mounts nothing", () => {
    let parent = "";
    for (let i = 0; i < 24; i++) parent = firstLine(s.ovOk(parent ? ["create-layer", parent] : ["create-layer"]));
    const argv = ["--graph", s.graph, "--run", s.runRoot, "--storage-opt", "overlay.mount_strategy=fd", "mount", parent];
    const bin = join(import.meta.dir, "../../dist/ovlayer");
    const r = run(["sh", "-c", `ulimit -n 24 && exec "$0" "$@"`, bin, ...argv], { env: s.env });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain("too many open files: this process reached its limit of open file descriptors (EMFILE)");
    expect(r.stderr).toContain("hint: raise the limit (`ulimit -n");
    expect(readMountinfo().some((m) => m.mountPoint === join(s.graph, "overlay", parent, "merged"))).toBe(false);
  });

  test("a 400-byte ID (200 characters) is a usage error, before any path is built from it", () => {
    const id = "é".repeat(200);
    const r = s.ov(["create-layer", "--id", id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("it is 400 bytes long in UTF-8, the limit is 255");
    expect(r.stderr).not.toContain("ENAMETOOLONG");
  });
});
