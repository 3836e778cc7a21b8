/**
 * Progress shows on a terminal only: an import through a slow pipe, run in
 * a pseudo-terminal (util-linux `script`), draws and then erases a progress
 * line on stderr; the same import with stderr piped prints nothing there.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OVLAYER, canMount, hasCommand, run, tempStore, type TempStore } from "../helpers/store.ts";

let s: TempStore;
let tarball = "";

describe.if(canMount() && hasCommand("script"))("progress on a terminal", () => {
  beforeAll(() => {
    s = tempStore("ovl-progress-");
    const src = join(s.dir, "src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), new Uint8Array(8_000_000).map((_, i) => (i * 7919) & 0xff));
    tarball = join(s.dir, "big.tar");
    expect(run(["tar", "-C", src, "-cf", tarball, "."]).code).toBe(0);
  });
  afterAll(() => s.cleanup());

  // import-layer fed half the tarball, a pause, then the rest.
  test("a slow import on a terminal draws a progress line and erases it before the ID is printed", () => {
    const cmd = `(head -c 4000000 ${tarball}; sleep 1; tail -c +4000001 ${tarball}) | ${OVLAYER} --graph ${s.graph} --run ${s.runRoot} import-layer`;
    const r = run(["script", "-qfec", cmd, "/dev/null"], { env: s.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\rovlayer: import-layer: \d+\.\d MB, [\d.]+ [kM]?B\/s\x1b\[K/);
    // Erased, then the new layer's ID on a clean line.
    expect(r.stdout).toMatch(/\r\x1b\[K[0-9a-f]{64}\r?\n/);
  });

  test("the same import with stderr piped prints no progress", () => {
    const r = run(["sh", "-c", `(head -c 4000000 ${tarball}; sleep 1; tail -c +4000001 ${tarball}) | ${OVLAYER} --graph ${s.graph} --run ${s.runRoot} import-layer`], { env: s.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  });
});
