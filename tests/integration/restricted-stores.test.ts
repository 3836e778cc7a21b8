/**
 * Stores a caller may not write: every verb run as nobody (uid 65534) on a
 * root-owned store, unreadable (0700, as ovlayer makes it) and readable; and
 * every verb as root on a read-only bind mount of the graph root. Writers
 * exit 7 with a fitting hint, reads work where the files are readable, no
 * verb exits 70, and the store is unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canMount, firstLine, hasCommand, OVLAYER, run, tempStore, unmountBelow, type RunResult, type TempStore } from "../helpers/store.ts";

const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

/** Every verb with arguments naming the store's layers; `kind` says what a caller without write access must get. */
function verbs(base: string, top: string, tarball: string): { argv: string[]; kind: "read" | "write" }[] {
  return [
    { argv: ["layers"], kind: "read" },
    { argv: ["layers", "--json"], kind: "read" },
    { argv: ["layer", base], kind: "read" },
    { argv: ["exists", base, top], kind: "read" },
    { argv: ["check"], kind: "read" },
    { argv: ["repair", "--dry-run"], kind: "read" },
    { argv: ["migrate", "--dry-run"], kind: "read" },
    { argv: ["mounted", base], kind: "read" },
    { argv: ["status"], kind: "read" },
    { argv: ["diff", top], kind: "read" },
    { argv: ["diffsize", top], kind: "read" },
    { argv: ["changes", top], kind: "read" },
    { argv: ["list-layer-data", base], kind: "read" },
    { argv: ["repair"], kind: "write" },
    { argv: ["migrate"], kind: "write" },
    { argv: ["create-layer"], kind: "write" },
    { argv: ["create-layer", top], kind: "write" },
    { argv: ["import-layer", "-f", tarball, top], kind: "write" },
    { argv: ["applydiff", "-f", tarball, top], kind: "write" },
    { argv: ["delete-layer", top], kind: "write" },
    { argv: ["delete", top], kind: "write" },
    { argv: ["mount", top], kind: "write" },
    { argv: ["set-layer-data", "-f", tarball, base, "key"], kind: "write" },
    { argv: ["wipe"], kind: "write" },
    { argv: ["gc"], kind: "write" },
    { argv: ["dedup"], kind: "write" },
  ];
}

/** A fingerprint of the store's files: names, sizes and the JSON files' bytes. */
function fingerprint(graph: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${p} ${e.isFile() ? statSync(p).size : "-"}`);
    }
  };
  walk(graph);
  return out.join("\n") + readFileSync(join(graph, "overlay-layers/layers.json"), "utf8");
}

function expectNo70(r: RunResult, what: string): void {
  if (r.code === 70) throw new Error(`${what} exited 70: ${r.stderr}`);
}

describe.skipIf(!canMount() || !hasCommand("setpriv"))("a caller without write access", () => {
  let s: TempStore;
  let base: string, top: string, tarball: string;
  beforeAll(() => {
    s = tempStore("ovl-restricted-");
    chmodSync(s.dir, 0o755); // nobody must reach the store; the store's own modes decide
    base = firstLine(s.ovOk(["create-layer", "-n", "base"]));
    top = firstLine(s.ovOk(["create-layer", base]));
    writeFileSync(join(s.graph, "overlay", top, "diff/file"), "data\n");
    const src = join(s.dir, "src");
    mkdirSync(src);
    writeFileSync(join(src, "f"), "x\n");
    tarball = join(s.dir, "small.tar");
    expect(run(["tar", "-C", src, "-cf", tarball, "."]).code).toBe(0);
    chmodSync(tarball, 0o644);
  });
  afterAll(() => s.cleanup());

  const asNobody = (args: string[]): RunResult =>
    run([...NOBODY, OVLAYER, "--graph", s.graph, "--run", s.runRoot, ...args], { env: s.env, cwd: "/" });

  test("on a root-owned store it cannot read: every verb exits 7 with a hint, none touches the store", () => {
    const before = fingerprint(s.graph);
    for (const v of verbs(base, top, tarball)) {
      const r = asNobody(v.argv);
      expectNo70(r, v.argv.join(" "));
      expect({ verb: v.argv.join(" "), code: r.code }).toEqual({ verb: v.argv.join(" "), code: 7 });
      expect(r.stderr).toContain("hint: run as root");
    }
    expect(fingerprint(s.graph)).toBe(before);
  });

  test("on a readable root-owned store: reads exit 0 (check finds nothing), writers exit 7, the store is unchanged", () => {
    run(["chmod", "-R", "a+rX", s.graph]);
    try {
      const before = fingerprint(s.graph);
      for (const v of verbs(base, top, tarball)) {
        const r = asNobody(v.argv);
        expectNo70(r, v.argv.join(" "));
        expect({ verb: v.argv.join(" "), code: r.code }).toEqual({ verb: v.argv.join(" "), code: v.kind === "read" ? 0 : 7 });
      }
      expect(asNobody(["layers", "-q"]).stdout.split("\n").filter(Boolean).sort()).toEqual([base, top].sort());
      expect(asNobody(["check", "--verbose"]).stderr).toContain("no problems");
      expect(fingerprint(s.graph)).toBe(before);
    } finally {
      run(["chmod", "-R", "go-rwx", s.graph]);
    }
  });
});

describe.skipIf(!canMount())("a read-only store", () => {
  let s: TempStore;
  let ro: string, runRoot: string;
  let base: string, top: string, tarball: string;
  beforeAll(() => {
    s = tempStore("ovl-rostore-");
    base = firstLine(s.ovOk(["create-layer", "-n", "base"]));
    top = firstLine(s.ovOk(["create-layer", base]));
    tarball = join(s.dir, "empty.tar");
    writeFileSync(tarball, new Uint8Array(1024));
    ro = join(s.dir, "ro");
    runRoot = join(s.dir, "ro-run");
    mkdirSync(ro);
    expect(run(["mount", "--bind", s.graph, ro]).code).toBe(0);
    expect(run(["mount", "-o", "remount,bind,ro", ro]).code).toBe(0);
  });
  afterAll(() => {
    unmountBelow(ro);
    s.cleanup();
  });

  const onRo = (args: string[]): RunResult => run([OVLAYER, "--graph", ro, "--run", runRoot, ...args], { env: s.env });

  test("layers, layer, exists and check work (read lock on a lock file opened read-only)", () => {
    expect(onRo(["layers", "-q"]).stdout.split("\n").filter(Boolean).sort()).toEqual([base, top].sort());
    expect(onRo(["layer", "base"]).code).toBe(0);
    expect(onRo(["exists", base, top]).code).toBe(0);
    const c = onRo(["check", "--verbose"]);
    expect({ code: c.code, stderr: c.stderr }).toEqual({ code: 0, stderr: expect.stringContaining("no problems") });
  });

  test("writers exit 7 with the read-only message and mount no layer", () => {
    for (const v of verbs(base, top, tarball).filter((x) => x.kind === "write")) {
      const r = onRo(v.argv);
      expectNo70(r, v.argv.join(" "));
      expect({ verb: v.argv.join(" "), code: r.code }).toEqual({ verb: v.argv.join(" "), code: 7 });
      expect(r.stderr).toContain("read-only filesystem (EROFS)");
      expect(r.stderr).not.toContain("run as root");
    }
    // create-layer makes the overlay home a private bind mount first, as containers-storage does at every store start; no layer is mounted.
    const below = run(["findmnt", "-R", "-n", "-l", "-o", "TARGET", ro]).stdout.trim().split("\n");
    expect(below.filter((m) => m !== ro && m !== join(ro, "overlay"))).toEqual([]);
    rmSync(runRoot, { recursive: true, force: true });
  });
});
