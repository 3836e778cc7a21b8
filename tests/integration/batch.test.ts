/**
 * `ovlayer batch`: every line prints exactly what the separate call prints,
 * in order, and the batch stops at the first failure with its code.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBatch } from "../../src/cli/store/batch-script.ts";
import { OVLAYER, canMount, run, unmountBelow } from "../helpers/store.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);

/** A script with creates, mounts, listings, JSON, a failing line and names with blanks. */
const SCRIPT = `# boot
create-layer --id ${A} -n base
create-layer --id ${B} -n 'the app' base
mount "the app"
mounted 'the app'
layers
layer --json ${B}
exists nope base
create-layer --id ${C} ${B}
unmount 'the app'
layers -q
`;

let dir = "";
afterEach(() => {
  if (dir) {
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
    dir = "";
  }
});

/** A store at a fixed path (so outputs naming paths compare), emptied between runs. */
function freshStore(): { graph: string; runRoot: string; env: Record<string, string>; argv: string[] } {
  unmountBelow(dir);
  rmSync(join(dir, "s"), { recursive: true, force: true });
  mkdirSync(join(dir, "s", "root"), { recursive: true });
  const conf = join(dir, "storage.conf");
  writeFileSync(conf, '[storage]\ndriver = "overlay"\n');
  const graph = join(dir, "s", "root");
  const runRoot = join(dir, "s", "run");
  return { graph, runRoot, env: { CONTAINERS_STORAGE_CONF: conf, STORAGE_OPTS: "" }, argv: [OVLAYER, "--graph", graph, "--run", runRoot] };
}

describe.if(canMount())("batch", () => {
  test("each line prints exactly what the separate call prints, in order (--keep-going)", () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-batch-"));
    const script = join(dir, "boot.batch");
    writeFileSync(script, SCRIPT);

    let s = freshStore();
    const batch = run([...s.argv, "batch", "--keep-going", script], { env: s.env });

    s = freshStore();
    let stdout = "";
    let stderr = "";
    let first = 0;
    for (const { line, words } of parseBatch(SCRIPT)) {
      const r = run([...s.argv, ...words], { env: s.env });
      stdout += r.stdout;
      stderr += r.stderr;
      if (r.code !== 0) {
        stderr += `ovlayer: batch: line ${line} (${words[0]}) failed with exit code ${r.code}\n`;
        if (first === 0) first = r.code;
      }
    }
    expect(first).toBe(1); // `exists nope` answers no
    // Creation times differ between the two runs; everything else must not.
    const untimed = (t: string) => t.replace(/"created":"[^"]*"/g, '"created":"T"').split("\n");
    expect(untimed(batch.stdout)).toEqual(untimed(stdout));
    expect(batch.stderr.split("\n")).toEqual(stderr.split("\n"));
    expect(batch.code).toBe(first);
    expect(batch.stdout).toContain(`${B}\n`); // the lines after the failure ran
    expect(batch.stdout).toContain(`${C}\n`);
  });

  test("stops at the first failing line with its exit code and names the line; later lines do not run", () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-batch-"));
    const s = freshStore();
    const r = run([...s.argv, "batch", "-"], {
      env: s.env,
      stdin: `create-layer --id ${A}\n\ncreate-layer --id ${A}\ncreate-layer --id ${B}\n`,
    });
    expect(r.code).toBe(4); // conflict: the ID is in use
    expect(r.stderr).toContain("ovlayer: batch: line 3 (create-layer) failed with exit code 4");
    expect(r.stdout).toBe(`${A}\n`);
    const layers = run([...s.argv, "layers", "-q"], { env: s.env });
    expect(layers.stdout).toBe(`${A}\n`);
  });

  test("the batch's global flags apply to every line, and a line may add its own", () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-batch-"));
    const s = freshStore();
    const other = join(dir, "other");
    const r = run([OVLAYER, "batch", "--graph", s.graph, "--run", s.runRoot, "-"], {
      env: s.env,
      stdin: `create-layer --id ${A}\ncreate-layer --graph ${other}/root --run ${other}/run --id ${B}\nlayers -q\n`,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${A}\n${B}\n${A}\n`);
    expect(run([OVLAYER, "--graph", `${other}/root`, "--run", `${other}/run`, "layers", "-q"], { env: s.env }).stdout).toBe(`${B}\n`);
  });

  test("refuses a nested batch and a script with an unterminated quote", () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-batch-"));
    const s = freshStore();
    const nested = run([...s.argv, "batch", "-"], { env: s.env, stdin: "batch -\n" });
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain("line 1: a batch line cannot run batch");
    const quote = run([...s.argv, "batch", "-"], { env: s.env, stdin: `create-layer --id ${A}\nmount 'x\n` });
    expect(quote.code).toBe(2);
    expect(quote.stderr).toContain("line 2: the single quote opened here is never closed");
    expect(quote.stdout).toBe(""); // nothing ran: the script is parsed whole first
  });

  test("refuses a script with a line that is not UTF-8, naming the line, before running any line (stdin and file)", () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-batch-"));
    const s = freshStore();
    const script = Buffer.concat([Buffer.from(`create-layer --id ${A}\n# fine: caf\u00e9\ncreate-layer -n `), Buffer.from([0xc3, 0x28]), Buffer.from("x\n")]);
    const file = join(dir, "bad.batch");
    writeFileSync(file, script);
    for (const r of [run([...s.argv, "batch", "-"], { env: s.env, stdin: script }), run([...s.argv, "batch", file], { env: s.env })]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toStartWith("ovlayer: batch: line 3 ");
      expect(r.stderr).toContain("is not valid UTF-8");
      expect(r.stdout).toBe("");
    }
    expect(run([...s.argv, "layers", "-q"], { env: s.env }).stdout).toBe("");
  });
});
