/**
 * EIO and ENOSPC injected one syscall at a time (strace -e inject, see
 * tests/helpers/fault-inject.ts) into create-layer, import-layer,
 * delete-layer, mount, unmount, create-image, create-container, check and
 * repair. Each verb is traced once on a fresh copy of a template store; then,
 * for each syscall kind it uses on the store and a spread of its call indices
 * (OVL_FAULT_SAMPLES per kind, default below), the verb runs again on a fresh
 * copy with that one call failed by EIO or ENOSPC (in turn; both with
 * OVL_FAULT_BOTH=1). After each run:
 * - the exit code is not 70 (internal error) and no signal ended it;
 * - a failure is reported as "ovlayer: ..." lines naming the error, no stack;
 * - every JSON file of the store parses;
 * - no overlay is mounted in the store without a mount count;
 * - `repair` then `check --verbose` leaves the store clean;
 * - containers-storage 1.43 still lists the layers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { canInject, spread, traceVerb, runWithFault, type Errno } from "../helpers/fault-inject.ts";
import { canMount, firstLine, hasCommand, hasContainersStorage, inCI, OVLAYER, tempStore, unmountBelow, type RunResult, type TempStore } from "../helpers/store.ts";

const SAMPLES = Number(process.env.OVL_FAULT_SAMPLES ?? 2);
const ERRNOS: readonly Errno[] = ["EIO", "ENOSPC"];
/** Both errnos on every sampled call (OVL_FAULT_BOTH=1), else they alternate from one sampled call to the next (~150 runs, ~2 min). */
const BOTH = process.env.OVL_FAULT_BOTH === "1";
let turn = 0;
const errnosFor = (): readonly Errno[] => (BOTH ? ERRNOS : [ERRNOS[turn++ % ERRNOS.length]!]);

function hasStrace(): boolean {
  const ok = hasCommand("strace") && canInject();
  if (!ok && inCI) throw new Error("CI=true but strace with -e inject is missing (.ci/run must install strace)");
  return ok;
}

interface Verb {
  name: string;
  args: string[];
  /** Brings the fresh copy of the template into the state the verb needs. */
  setup?: (s: TempStore) => void;
}

const VERBS: Verb[] = [
  { name: "create-layer", args: ["create-layer", "base"] },
  { name: "import-layer", args: ["import-layer", "-f", "@TAR", "base"] },
  { name: "delete-layer", args: ["delete-layer", "leaf"] },
  { name: "mount", args: ["mount", "top"] },
  { name: "unmount", args: ["unmount", "top"], setup: (s) => void s.ovOk(["mount", "top"]) },
  { name: "create-image", args: ["create-image", "leaf"] },
  { name: "create-container", args: ["create-container", "img"] },
  { name: "check", args: ["check"] },
  {
    name: "repair",
    args: ["repair"],
    setup: (s) => {
      const l = join(s.graph, "overlay", "l");
      rmSync(join(l, readdirSync(l)[0]!));
    },
  },
];

describe.skipIf(!canMount() || !hasContainersStorage() || !hasStrace())("EIO and ENOSPC injected one syscall at a time", () => {
  let s: TempStore;
  let tarball: string;
  const stats = { cases: 0, failed: 0, succeeded: 0 };

  const sh = (argv: string[]) => {
    const p = Bun.spawnSync(argv, { stdout: "ignore", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${p.stderr.toString()}`);
  };
  const restore = () => {
    unmountBelow(s.graph);
    unmountBelow(s.runRoot);
    rmSync(s.graph, { recursive: true, force: true });
    rmSync(s.runRoot, { recursive: true, force: true });
    sh(["cp", "-a", `${s.graph}.tpl`, s.graph]);
    sh(["cp", "-a", `${s.runRoot}.tpl`, s.runRoot]);
  };
  const argvOf = (v: Verb) => [OVLAYER, "--graph", s.graph, "--run", s.runRoot, "--storage-driver", "overlay", ...v.args.map((a) => (a === "@TAR" ? tarball : a))];

  beforeAll(() => {
    s = tempStore("ovl-fault-");
    const src = join(s.dir, "src");
    mkdirSync(join(src, "etc"), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(src, "etc", `f${i}`), `file ${i}\n`.repeat(50));
    tarball = join(s.dir, "layer.tar");
    sh(["tar", "-C", src, "-cf", tarball, "."]);
    s.ovOk(["import-layer", "-n", "base", "-f", tarball]);
    s.ovOk(["import-layer", "-n", "top", "-f", tarball, "base"]);
    s.ovOk(["create-layer", "-n", "leaf", "base"]);
    s.ovOk(["create-image", "-n", "img", "top"]);
    firstLine(s.ovOk(["create-container", "-n", "ctr", "img"]));
    s.ovOk(["shutdown"]);
    unmountBelow(s.graph);
    mkdirSync(s.runRoot, { recursive: true });
    sh(["cp", "-a", s.graph, `${s.graph}.tpl`]);
    sh(["cp", "-a", s.runRoot, `${s.runRoot}.tpl`]);
  });
  afterAll(() => {
    console.log(`fault injection: ${stats.cases} runs with one failed call, ${stats.failed} reported an error, ${stats.succeeded} succeeded anyway`);
    s?.cleanup();
  });

  /** Every JSON file of the store's record dirs that does not parse. */
  function unparseable(): string[] {
    const bad: string[] = [];
    for (const root of [s.graph, s.runRoot]) {
      for (const sub of ["overlay-layers", "overlay-images", "overlay-containers"]) {
        let names: string[] = [];
        try {
          names = readdirSync(join(root, sub));
        } catch {
          continue;
        }
        for (const n of names.filter((n) => n.endsWith(".json"))) {
          try {
            JSON.parse(readFileSync(join(root, sub, n), "utf8"));
          } catch {
            bad.push(join(root, sub, n));
          }
        }
      }
    }
    return bad;
  }

  /** Overlay mounts in the store whose layer has no mount count in mountpoints.json. */
  function uncounted(): string[] {
    let counted = new Set<string>();
    try {
      const recs = JSON.parse(readFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "utf8")) as { id?: string; count?: number }[];
      counted = new Set(recs.filter((r) => (r.count ?? 0) > 0).map((r) => r.id ?? ""));
    } catch {
      /* no counts at all */
    }
    return readMountinfo()
      .filter((m) => m.fsType === "overlay" && m.mountPoint.startsWith(s.graph + "/"))
      .map((m) => m.mountPoint)
      .filter((mp) => !counted.has(mp.split("/").at(-2) ?? ""));
  }

  /** What is wrong after one faulty run, as sentences (empty: all held). */
  function judge(r: RunResult): string[] {
    const wrong: string[] = [];
    if (r.code === 70) wrong.push(`internal error: ${r.stderr.trim()}`);
    if (r.code < 0) wrong.push(`ended by a signal: ${r.stderr.trim().slice(-300)}`);
    if (r.code !== 0) {
      const lines = r.stderr.trim().split("\n");
      if (!lines[0]?.startsWith("ovlayer: ")) wrong.push(`stderr does not start with "ovlayer: ": ${r.stderr.slice(0, 300)}`);
      if (r.stderr.includes("    at ") || r.stderr.includes("Bun v")) wrong.push(`a stack or Bun's banner on stderr: ${r.stderr.slice(0, 300)}`);
      // check reports a file it cannot read as a finding of its layer, on stdout, as upstream does.
      if (!/EIO|ENOSPC|input\/output error|no space left/i.test(r.stderr + r.stdout)) wrong.push(`the error is not named: ${r.stderr.trim()}`);
    }
    const bad = unparseable();
    if (bad.length) wrong.push(`unparseable JSON: ${bad.join(", ")}`);
    const leaked = uncounted();
    if (leaked.length) wrong.push(`mounted without a count: ${leaked.join(", ")}`);
    const check1 = s.ov(["check"]);
    if (check1.code === 70 || check1.code < 0) wrong.push(`check: internal error: ${check1.stderr.trim()}`);
    const rep = s.ov(["repair"]);
    if (rep.code === 70 || rep.code < 0) wrong.push(`repair: internal error: ${rep.stderr.trim()}`);
    const check2 = s.ov(["check", "--verbose"]);
    if (check2.code !== 0) wrong.push(`check after repair exits ${check2.code}: ${(check2.stdout + check2.stderr).trim().slice(0, 400)}`);
    const cs = s.cs(["layers"]);
    if (cs.code !== 0) wrong.push(`containers-storage layers exits ${cs.code}: ${cs.stderr.trim()}`);
    return wrong;
  }

  for (const verb of VERBS) {
    test(`${verb.name}: no internal error, a named error, a store check and repair make clean, containers-storage reads`, () => {
      restore();
      verb.setup?.(s);
      const traced = traceVerb(argvOf(verb), s.env, s.dir, join(s.dir, "trace.log"));
      expect(traced.result.code).toBe(0);
      const failures: string[] = [];
      let cases = 0;
      for (const [kind, indices] of traced.calls) {
        for (const index of spread(indices, SAMPLES)) {
          for (const errno of errnosFor()) {
            restore();
            verb.setup?.(s);
            const r = runWithFault(argvOf(verb), s.env, kind, index, errno);
            cases++;
            stats.cases++;
            if (r.code === 0) stats.succeeded++;
            else stats.failed++;
            for (const w of judge(r)) failures.push(`${verb.name} with ${kind} #${index} failing ${errno}: ${w}`);
          }
        }
      }
      restore();
      console.log(`${verb.name}: ${cases} faulty runs over ${traced.calls.size} syscall kinds (${[...traced.calls.keys()].join(", ")})`);
      expect(failures).toEqual([]);
    }, 600_000);
  }
});
