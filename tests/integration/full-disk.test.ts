/**
 * A full disk: the store on a 1 MiB tmpfs, the free space stepped down from
 * 64 KiB to nothing with a filler file, and create-layer, import-layer and
 * mount run at each step. Each failure must be ENOSPC with exit 9 (never 70),
 * leave no record for the failed call, and leave a store that check finds
 * clean (or that repair makes clean).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMount, firstLine, OVLAYER, run, unmountBelow, type RunResult } from "../helpers/store.ts";

const STEPS_KIB = [64, 48, 32, 24, 16, 12, 8, 4, 0];

describe.skipIf(!canMount())("a full disk", () => {
  let dir: string, fs: string, graph: string, runRoot: string, conf: string, tarball: string, base: string;
  const ov = (args: string[]): RunResult => run([OVLAYER, "--graph", graph, "--run", runRoot, ...args], { env: { CONTAINERS_STORAGE_CONF: conf, STORAGE_OPTS: "" } });
  const layerIds = (): string[] => ov(["layers", "-q"]).stdout.split("\n").filter(Boolean).sort();
  const filler = () => join(fs, "filler");

  /** Leaves `kib` KiB free on the tmpfs. */
  function leaveFree(kib: number): void {
    rmSync(filler(), { force: true });
    const st = statfsSync(fs);
    const size = st.bavail * st.bsize - kib * 1024;
    expect(run(["fallocate", "-l", String(size), filler()]).code).toBe(0);
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ovl-full-"));
    fs = join(dir, "fs");
    mkdirSync(fs);
    expect(run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", fs]).code).toBe(0);
    graph = join(fs, "root");
    runRoot = join(fs, "run");
    conf = join(dir, "storage.conf");
    writeFileSync(conf, '[storage]\ndriver = "overlay"\n');
    const src = join(dir, "src");
    mkdirSync(src);
    for (let i = 0; i < 200; i++) writeFileSync(join(src, `f${i}`), `file ${i}\n`.repeat(20));
    tarball = join(dir, "small.tar");
    expect(run(["tar", "-C", src, "-cf", tarball, "."]).code).toBe(0);
    base = firstLine(ov(["create-layer"]).stdout);
  });
  afterAll(() => {
    unmountBelow(fs);
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  test("create-layer, import-layer and mount fail with ENOSPC (exit 9), keep no record, leave a consistent store", () => {
    const seen = { ok: 0, enospc: 0, repaired: 0 };
    for (const kib of STEPS_KIB) {
      for (const op of [["create-layer", base], ["import-layer", "-f", tarball, base], ["mount", base]]) {
        const what = `${op[0]} with ${kib} KiB free`;
        const before = layerIds();
        leaveFree(kib);
        const r = ov(op);
        rmSync(filler(), { force: true });
        if (r.code === 70) throw new Error(`${what} exited 70: ${r.stderr}`);
        if (r.code !== 0) {
          expect({ what, code: r.code, enospc: r.stderr.includes("(ENOSPC)") }).toEqual({ what, code: 9, enospc: true });
          expect({ what, layers: layerIds() }).toEqual({ what, layers: before });
          seen.enospc++;
        } else {
          seen.ok++;
          if (op[0] === "mount") expect(ov(["unmount", base]).code).toBe(0);
          else expect({ what, layers: layerIds() }).toEqual({ what, layers: [...before, firstLine(r.stdout)].sort() });
        }
        const c = ov(["check", "--verbose"]);
        if (c.code !== 0) {
          seen.repaired++;
          ov(["repair"]);
          const again = ov(["check", "--verbose"]);
          expect({ what, code: again.code, stderr: again.stderr }).toEqual({ what, code: 0, stderr: expect.stringContaining("no problems") });
        }
      }
    }
    // The steps must really reach the failures: most calls ran out of space, some succeeded.
    expect(seen.enospc).toBeGreaterThanOrEqual(10);
    expect(seen.ok).toBeGreaterThanOrEqual(5);
    console.log(`full disk: ${seen.ok} calls succeeded, ${seen.enospc} failed with ENOSPC, ${seen.repaired} needed repair`);
  });
});
