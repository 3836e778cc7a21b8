/**
 * Streaming: a 1 GiB layer goes through import-layer on standard input
 * without being held in memory (peak RSS under 200 MB), uncompressed and
 * zstd-compressed. The tarball is made on the fly by GNU tar from a sparse
 * file, so the test costs no disk for its input.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, ftruncateSync, openSync, readFileSync, readdirSync, statSync, readSync } from "node:fs";
import { join } from "node:path";
import { canMount, firstLine, hasCommand, OVLAYER, tempStore, type TempStore } from "../helpers/store.ts";

const haveRoot = canMount();
const GiB = 1 << 30;
const RSS_LIMIT_KB = 200 * 1000;

/** Pids of `pid` and all its descendants (from /proc/PID/task/TID/children). */
function family(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, "utf8").trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {}
  }
  return out;
}

/** Runs a shell pipeline that includes ovlayer; returns its output and ovlayer's peak RSS (VmHWM, kB). */
async function runMeasured(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; peakKb: number }> {
  const p = Bun.spawn(["sh", "-c", script], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  let peakKb = 0;
  let seenOvlayer = false;
  const timer = setInterval(() => {
    for (const pid of family(p.pid)) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        if (!/^Name:\s*ovlayer/m.test(status)) continue;
        const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
        if (m) {
          seenOvlayer = true;
          peakKb = Math.max(peakKb, Number(m[1]));
        }
      } catch {}
    }
  }, 10);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearInterval(timer);
  if (!seenOvlayer) throw new Error("never saw the ovlayer process: the measurement is void");
  return { code, stdout, stderr, peakKb };
}

describe.skipIf(!haveRoot)("a 1 GiB layer streams through import-layer", () => {
  let s: TempStore;
  let src: string;
  let expectedDigest: string;
  beforeAll(() => {
    s = tempStore("ovl-content-stream-");
    src = join(s.dir, "src");
    Bun.spawnSync(["mkdir", "-p", src]);
    const fd = openSync(join(src, "big"), "w");
    ftruncateSync(fd, GiB); // a hole: no disk used, reads as zeros
    closeSync(fd);
    const h = Bun.spawnSync(["sh", "-c", `tar --format=gnu -C ${src} -cf - big | sha256sum`]);
    expectedDigest = "sha256:" + h.stdout.toString().split(" ")[0];
  }, 60_000);
  afterAll(() => s.cleanup());

  const env = () => ({ CONTAINERS_STORAGE_CONF: join(s.dir, "storage.conf"), STORAGE_OPTS: "" });
  const ov = () => `${OVLAYER} --graph ${s.graph} --run ${s.runRoot} --storage-driver overlay import-layer`;

  function check(id: string, compression: number | undefined): void {
    const rec = (JSON.parse(readFileSync(join(s.graph, "overlay-layers/layers.json"), "utf8")) as Record<string, unknown>[]).find((r) => r.id === id)!;
    expect(rec["diff-digest"]).toBe(expectedDigest);
    expect(rec["diff-size"] as number).toBeGreaterThan(GiB);
    expect(rec.compression).toBe(compression);
    const big = join(s.graph, "overlay", id, "diff/big");
    expect(statSync(big).size).toBe(GiB);
    // Spot checks: the content is zeros at the start, the middle and the end.
    const fd = openSync(big, "r");
    try {
      for (const off of [0, GiB / 2, GiB - 4096]) {
        const b = Buffer.alloc(4096, 1);
        readSync(fd, b, 0, 4096, off);
        expect(b.every((x) => x === 0)).toBe(true);
      }
    } finally {
      closeSync(fd);
    }
  }

  test("uncompressed on standard input, peak RSS under 200 MB", async () => {
    const r = await runMeasured(`tar --format=gnu -C ${src} -cf - big | ${ov()}`, env());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.peakKb).toBeGreaterThan(0);
    console.error(`peak RSS ${r.peakKb} kB`);
    expect(r.peakKb).toBeLessThan(RSS_LIMIT_KB);
    check(firstLine(r.stdout), undefined);
  }, 120_000);

  test.skipIf(!hasCommand("zstd"))("zstd-compressed on standard input, peak RSS under 200 MB", async () => {
    const r = await runMeasured(`tar --format=gnu -C ${src} -cf - big | zstd -1 -q -c | ${ov()}`, env());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.peakKb).toBeLessThan(RSS_LIMIT_KB);
    check(firstLine(r.stdout), 4);
  }, 120_000);
});
