/**
 * The fuzz runner: `npm run fuzz -- [--cases N] [--seed N] [--target a,b]
 * [--findings DIR]`. For each target (targets/index.ts) it mutates the
 * target's seeds (mutate.ts) with a fixed seed, so a run is repeatable, and
 * feeds each case to the target. A finding is an error that would end
 * ovlayer with exit 70 (anything but OvError or SysError), a case slower
 * than 10 s, or, for a target that writes, any change outside the case's
 * own directory. Findings are saved as files to replay; the last line is
 * "N passed, N failed", one count per target (.ci/run adds it to its totals).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OvError } from "../../src/errors.ts";
import { SysError } from "../../src/sys/libc.ts";
import { mutate, Rng } from "./mutate.ts";
import type { FuzzTarget } from "./target.ts";
import { TARGETS } from "./targets/index.ts";

const SLOW_MS = 10_000;
const CORPUS_MAX = 64;

interface Options {
  cases: number;
  seed: number;
  targets: string[] | null;
  findings: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { cases: 2000, seed: 1, targets: null, findings: "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === "--cases" && v) o.cases = Number((i++, v));
    else if (a === "--seed" && v) o.seed = Number((i++, v));
    else if (a === "--target" && v) o.targets = (i++, v).split(",");
    else if (a === "--findings" && v) o.findings = (i++, v);
    else throw new Error(`fuzz: unknown argument ${a} (use --cases N --seed N --target a,b --findings DIR)`);
  }
  if (!Number.isSafeInteger(o.cases) || o.cases < 0 || !Number.isSafeInteger(o.seed)) throw new Error("fuzz: --cases and --seed take integers");
  return o;
}

/** A number from a target's name, so each target has its own sequence for one seed. */
function nameHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * What must not change while a case writes in area/case: the names next to
 * it and in the parent directory, and the canary file's content and times.
 */
function outside(area: string): string {
  const canary = statSync(join(area, "canary", "file"), { throwIfNoEntry: false });
  return [readdirSync(area).sort().join(","), readdirSync(join(area, "..")).sort().join(","), readdirSync(join(area, "canary")).join(","), `${canary?.size}:${canary?.mtimeMs}:${canary?.mode}`].join("\n");
}

/** Why a case is a finding, or null. */
async function runCase(t: FuzzTarget, input: Uint8Array, area: string): Promise<string | null> {
  let caseDir = "";
  let before = "";
  if (t.writes) {
    caseDir = join(area, "case");
    mkdirSync(caseDir);
    before = outside(area);
  }
  const t0 = performance.now();
  let why: string | null = null;
  try {
    await t.run(input, caseDir);
  } catch (e) {
    if (!(e instanceof OvError) && !(e instanceof SysError)) why = `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  const ms = performance.now() - t0;
  if (why === null && ms > SLOW_MS) why = `slow: ${Math.round(ms)} ms (the limit is ${SLOW_MS})`;
  if (t.writes) {
    const after = outside(area);
    if (why === null && after !== before) why = `wrote outside its directory:\n${before}\n=> ${after}`;
    rmSync(caseDir, { recursive: true, force: true });
  }
  return why;
}

async function fuzzTarget(t: FuzzTarget, o: Options, area: string): Promise<number> {
  const rng = new Rng(o.seed ^ nameHash(t.name));
  const seeds = t.seeds();
  const corpus: Uint8Array[] = [...seeds];
  let findings = 0;
  let slowest = 0;
  const t0 = performance.now();
  for (let i = 1; i <= o.cases; i++) {
    const mutant = mutate(rng.pick(corpus), seeds, rng, t.unit);
    const input = t.fixup ? t.fixup(mutant, rng.int(1 << 30)) : mutant;
    const c0 = performance.now();
    const why = await runCase(t, input, area);
    slowest = Math.max(slowest, performance.now() - c0);
    if (why !== null) {
      findings++;
      const file = join(o.findings, `${t.name}-seed${o.seed}-case${i}.bin`);
      writeFileSync(file, input);
      console.log(`FINDING ${t.name} case ${i} (${input.length} bytes, saved as ${file}): ${why.split("\n").slice(0, 6).join("\n  ")}`);
    } else if (i % 8 === 0) {
      // Keep some mutants as parents: later cases go deeper than one step from a seed.
      if (corpus.length < CORPUS_MAX) corpus.push(input);
      else corpus[seeds.length + rng.int(CORPUS_MAX - seeds.length)] = input;
    }
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${t.name}: ${o.cases} cases in ${secs} s, slowest ${Math.round(slowest)} ms, ${findings} findings`);
  return findings;
}

const o = parseOptions(process.argv.slice(2));
const chosen = o.targets ? TARGETS.filter((t) => o.targets!.includes(t.name)) : TARGETS;
if (o.targets && chosen.length !== o.targets.length) throw new Error(`fuzz: known targets are ${TARGETS.map((t) => t.name).join(", ")}`);
const root = mkdtempSync(join(tmpdir(), "ovl-fuzz-"));
if (!o.findings) o.findings = join(root, "findings");
mkdirSync(o.findings, { recursive: true });
let passed = 0;
let failed = 0;
try {
  console.log(`fuzz: seed ${o.seed}, ${o.cases} cases per target, findings go to ${o.findings}`);
  for (const t of chosen) {
    const area = join(root, `area-${t.name}`);
    mkdirSync(join(area, "canary"), { recursive: true });
    writeFileSync(join(area, "canary", "file"), "canary");
    if ((await fuzzTarget(t, o, area)) === 0) passed++;
    else failed++;
  }
} finally {
  // Findings are kept when they were asked to go elsewhere.
  for (const n of readdirSync(root)) if (n !== "findings" || failed === 0) rmSync(join(root, n), { recursive: true, force: true });
  if (failed === 0) rmSync(root, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
