/**
 * A store directory swapped for a symlink between ovlayer's check of it and
 * its use cannot redirect the use. strace holds ovlayer at the first call
 * after the check (delay_enter on that call: applydiff's listing of the diff
 * dir, the direct strategy's mount(2)); meanwhile the test renames the
 * checked directory away and puts a symlink to an outside directory in its
 * place. The writes (applydiff) and the mount (direct strategy) must land in
 * the directory that was checked, and nothing in the outside one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { canInject, parseTrace } from "../helpers/fault-inject.ts";
import { canMount, firstLine, hasCommand, inCI, OVLAYER, tempStore, type RunResult, type TempStore } from "../helpers/store.ts";

/** How long ovlayer is held at the call after its check, and when the test swaps the directory within that time. */
const HOLD_US = 3_000_000;
const SWAP_AFTER_MS = 1_000;

function hasStrace(): boolean {
  const ok = hasCommand("strace") && canInject();
  if (!ok && inCI) throw new Error("CI=true but strace with -e inject is missing (.ci/run must install strace)");
  return ok;
}

describe.skipIf(!canMount() || !hasStrace())("a checked directory swapped for a symlink before its use", () => {
  let s: TempStore;
  let tarball: string;
  beforeAll(() => {
    s = tempStore("ovl-swap-");
    const src = join(s.dir, "src");
    mkdirSync(src);
    for (let i = 0; i < 5; i++) writeFileSync(join(src, `f${i}`), `file ${i}\n`);
    tarball = join(s.dir, "layer.tar");
    expect(Bun.spawnSync(["tar", "-C", src, "-cf", tarball, "."]).exitCode).toBe(0);
  });
  afterAll(() => s.cleanup());

  const argv = (args: string[]) => [OVLAYER, "--graph", s.graph, "--run", s.runRoot, "--storage-driver", "overlay", ...args];

  /** The index, among the main thread's calls of `kind`, of the first one whose arguments contain `needle`. */
  function indexOf(args: string[], kind: string, needle: string): number {
    const log = join(s.dir, `${kind}.log`);
    const p = Bun.spawnSync(["strace", "-f", "-qq", "-y", "-s", "256", "-e", `trace=${kind}`, "-o", log, ...argv(args)], { env: { ...process.env, ...s.env } });
    expect(p.exitCode).toBe(0);
    const n = parseTrace(readFileSync(log, "utf8"), needle).calls.get(kind)?.[0];
    if (n === undefined) throw new Error(`no ${kind} call naming ${needle} in ${log}`);
    return n;
  }

  /** Runs `args` held for HOLD_US at the `n`th call of `kind`, running `swap` while it waits. */
  async function heldRun(args: string[], kind: string, n: number, swap: () => void): Promise<RunResult> {
    const p = Bun.spawn(["strace", "-f", "-qq", "-o", "/dev/null", "-e", `trace=${kind}`, "-e", `inject=${kind}:delay_enter=${HOLD_US}:when=${n}`, ...argv(args)], {
      env: { ...process.env, ...s.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    await Bun.sleep(SWAP_AFTER_MS);
    swap();
    const [code, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code, stdout, stderr };
  }

  /** Puts a symlink to `outside` where `dir` was; returns where the real dir went. */
  function swapForSymlink(dir: string, outside: string): string {
    const moved = `${dir}.checked`;
    renameSync(dir, moved);
    symlinkSync(outside, dir);
    return moved;
  }

  test("applydiff: the files land in the diff dir that was checked, none through the symlink", async () => {
    const id = firstLine(s.ovOk(["create-layer"]));
    const diff = join(s.graph, "overlay", id, "diff");
    const probe = firstLine(s.ovOk(["create-layer"]));
    // The first listing of the diff dir comes right after the check; the same call of a twin layer finds its index.
    const n = indexOf(["applydiff", "-f", tarball, probe], "getdents64", join(s.graph, "overlay", probe, "diff"));
    const outside = join(s.dir, "outside-diff");
    mkdirSync(outside);
    let moved = "";
    const r = await heldRun(["applydiff", "-f", tarball, id], "getdents64", n, () => (moved = swapForSymlink(diff, outside)));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(moved).sort()).toEqual(["f0", "f1", "f2", "f3", "f4"]);
    rmSync(diff);
    renameSync(moved, diff);
  }, 60_000);

  test("direct strategy: the overlay is mounted on the merged dir that was checked, with the upper dir that was checked", async () => {
    const opt = ["--storage-opt", "overlay.mount_strategy=direct"];
    const base = firstLine(s.ovOk(["import-layer", "-f", tarball]));
    const keep = firstLine(s.ovOk(["create-layer", base]));
    s.ovOk([...opt, "mount", keep]); // the store's home stays bind-mounted: every run below makes the same calls
    const probe = firstLine(s.ovOk(["create-layer", base]));
    const n = indexOf([...opt, "mount", probe], "mount", "lowerdir=");
    s.ovOk(["unmount", probe]);
    const id = firstLine(s.ovOk(["create-layer", base]));
    const layerDir = join(s.graph, "overlay", id);
    const outMerged = join(s.dir, "outside-merged");
    const outDiff = join(s.dir, "outside-upper");
    mkdirSync(outMerged);
    mkdirSync(outDiff);
    let merged = "";
    let diff = "";
    const r = await heldRun([...opt, "mount", id], "mount", n, () => {
      merged = swapForSymlink(join(layerDir, "merged"), outMerged);
      diff = swapForSymlink(join(layerDir, "diff"), outDiff);
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const points = readMountinfo().map((m) => m.mountPoint);
    expect(points).not.toContain(outMerged);
    expect(points).toContain(merged);
    writeFileSync(join(merged, "written"), "through the mount\n");
    expect(readdirSync(diff)).toContain("written");
    expect(readdirSync(outDiff)).toEqual([]);
    expect(readdirSync(outMerged)).toEqual([]);
    expect(Bun.spawnSync(["umount", merged]).exitCode).toBe(0);
  }, 60_000);
});
