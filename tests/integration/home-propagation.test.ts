/**
 * The overlay home's propagation read through statx + statmount
 * (quickHomeAction) gives the answer mountinfo gives (planHome), for private,
 * shared and slave mounts, and declines (null) where mountinfo must decide.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { planHome, quickHomeAction } from "../../src/mount/propagation.ts";
import { mountRootState } from "../../src/sys/statmount.ts";
import { canMount, unmountBelow } from "../helpers/store.ts";

/** statmount(2) is Linux 6.8+: on older kernels quickHomeAction always declines. */
const kernelTells = mountRootState("/") !== null;

function sh(...argv: string[]): void {
  const p = Bun.spawnSync(argv, { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${p.stderr.toString()}`);
}

describe("home propagation without mountinfo", () => {
  test.if(kernelTells)("every mount point of this process: the same answer as mountinfo's", () => {
    const entries = readMountinfo();
    const points = [...new Set(entries.map((e) => e.mountPoint))].filter((p) => !/[\s\\]/.test(p));
    expect(points.length).toBeGreaterThan(0);
    let told = 0;
    for (const p of points) {
      const q = quickHomeAction(p);
      if (q === null) continue; // e.g. a mount we cannot stat
      told++;
      expect({ p, action: q }).toEqual({ p, action: planHome(p, entries) });
    }
    expect(told).toBeGreaterThan(0);
  });

  test("a directory that is no mount root, and a missing path: declined (mountinfo decides)", () => {
    const d = mkdtempSync(join(tmpdir(), "ovl-prop-"));
    try {
      mkdirSync(join(d, "home"));
      expect(quickHomeAction(join(d, "home"))).toBeNull();
      expect(quickHomeAction(join(d, "missing"))).toBeNull();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!canMount() || !kernelTells)("home propagation of mounts made here", () => {
  let d: string;
  beforeAll(() => {
    d = mkdtempSync(join(tmpdir(), "ovl-prop-"));
    mkdirSync(join(d, "a"));
    mkdirSync(join(d, "b"));
    sh("mount", "-t", "tmpfs", "tmpfs", join(d, "a"));
    sh("mount", "--make-private", join(d, "a"));
  });
  afterAll(() => {
    unmountBelow(d);
    rmSync(d, { recursive: true, force: true });
  });

  const both = (p: string) => ({ quick: quickHomeAction(p), mountinfo: planHome(p, readMountinfo()) });

  test("private: nothing to do", () => {
    expect(both(join(d, "a"))).toEqual({ quick: "none", mountinfo: "none" });
  });

  test("shared: made private", () => {
    sh("mount", "--make-shared", join(d, "a"));
    expect(both(join(d, "a"))).toEqual({ quick: "private", mountinfo: "private" });
  });

  test("a slave of a shared mount: made private", () => {
    sh("mount", "--bind", join(d, "a"), join(d, "b"));
    sh("mount", "--make-slave", join(d, "b"));
    expect(both(join(d, "b"))).toEqual({ quick: "private", mountinfo: "private" });
  });
});
