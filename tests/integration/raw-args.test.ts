/**
 * Arguments and environment values that are not UTF-8 are refused with a
 * usage error (exit 2) naming them, and nothing is created (cli/raw-args.ts);
 * long arguments are cut in messages (quote.ts). Run through bash for $'\xff'.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { OVLAYER, tempStore, type TempStore } from "../helpers/store.ts";

let s: TempStore;
beforeAll(() => {
  s = tempStore("ovl-args-");
});
afterAll(() => s.cleanup());

function sh(script: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync(["bash", "-c", script], { env: { ...process.env, ...s.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}
const ov = (args: string) => `${OVLAYER} --graph ${s.graph} --run ${s.runRoot} ${args}`;
const hint = "hint: paths, IDs and names given to ovlayer must be UTF-8\n";

describe("non-UTF-8 arguments", () => {
  test("--graph $'/x/\\xff\\xfe' creates no store anywhere", () => {
    const r = sh(`${OVLAYER} --graph $'${s.dir}/g/\\xff\\xfe' --run ${s.runRoot} layers`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ovlayer: Argument 2 (the value of --graph) "${s.dir}/g/\\xff\\xfe" is not valid UTF-8; ovlayer refuses it rather than change it\n${hint}`);
    expect(existsSync(join(s.dir, "g"))).toBe(false);
  });

  test.each([
    ["create-layer --id $'\\xc3\\x28abc'", 'Argument 7 (the value of --id) "\\xc3(abc"'],
    ["create-layer --id=$'\\xc3\\x28abc'", 'Argument 6 (--id=...) "--id=\\xc3(abc"'],
    ["create-layer -n $'caf\\xe9'", 'Argument 7 (the value of -n) "caf\\xe9"'],
    ["delete-layer $'\\x80'", 'Argument 6 "\\x80"'],
  ])("%s: usage error naming it, no layer made", (args, named) => {
    const r = sh(ov(args));
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith(`ovlayer: ${named} is not valid UTF-8`);
    expect(r.stdout).toBe("");
    expect(sh(ov("layers")).stdout).toBe("");
  });

  test("a name with a real U+FFFD (bytes EF BF BD) is accepted as given", () => {
    const r = sh(ov("create-layer -n $'ok\\xef\\xbf\\xbd'"));
    expect(r.code).toBe(0);
    expect(sh(ov("layers")).stdout).toContain("ok\uFFFD");
  });

  test.each([
    ["STORAGE_DRIVER", "$'over\\xfflay'", '$STORAGE_DRIVER "over\\xfflay"'],
    ["STORAGE_OPTS", "$'overlay.mountopt=\\xfe'", '$STORAGE_OPTS "overlay.mountopt=\\xfe"'],
    ["CONTAINERS_STORAGE_CONF", "$'/etc/\\xe9.conf'", '$CONTAINERS_STORAGE_CONF "/etc/\\xe9.conf"'],
  ])("environment %s=%s is refused", (name, value, named) => {
    const r = sh(`${name}=${value} ${ov("layers")}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ovlayer: ${named} is not valid UTF-8; ovlayer refuses it rather than change it\n`);
  });

  test("a variable ovlayer does not read may hold any bytes", () => {
    expect(sh(`SOMETHING=$'\\xff' ${ov("layers")}`).code).toBe(0);
  });

  test("a batch line gets no special treatment, the process's own argv is checked once", () => {
    const r = sh(`printf 'layers\\n' | ${ov("batch")}`);
    expect(r.code).toBe(0);
  });
});

describe("long arguments in messages", () => {
  test("a 100 KB layer reference is cut to 200 characters and its size", () => {
    const r = sh(ov(`delete-layer $(head -c 100000 /dev/zero | tr '\\0' a)`));
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`ovlayer: Cannot delete "${"a".repeat(200)}"… (100000 bytes): layer not known\n`);
  });

  test("a 100 KB bad ID and storage option are cut the same way", () => {
    const id = sh(ov(`create-layer --id $(head -c 100000 /dev/zero | tr '\\0' A)`));
    expect(id.code).toBe(2);
    expect(id.stderr.length).toBeLessThan(600);
    expect(id.stderr).toContain("… (100000 bytes)");
    const opt = sh(ov(`--storage-opt $(head -c 100000 /dev/zero | tr '\\0' b) layers`));
    expect(opt.code).toBe(2);
    expect(opt.stderr.length).toBeLessThan(600);
    expect(readdirSync(s.graph).length).toBeGreaterThanOrEqual(0);
  });
});

describe("long flags and options in messages", () => {
  test("an unknown 100 KB flag keeps upstream's wording, cut", () => {
    const r = sh(ov(`layers --$(head -c 100000 /dev/zero | tr '\\0' x)`));
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith(`ovlayer: flag provided but not defined: --${"x".repeat(198)}… (100002 bytes)\n`);
  });

  test("a 100 KB storage option value is cut", () => {
    const r = sh(ov(`--storage-opt overlay.mount_program=/x --storage-opt overlay.skip_mount_home=$(head -c 100000 /dev/zero | tr '\\0' y) layers`));
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(600);
  });
});
