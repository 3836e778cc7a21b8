/**
 * OVLAYER_PROFILE=1 (src/profile.ts) writes a call's phase marks on stderr at
 * exit, in order, for bench/profile.ts; without it nothing of them appears.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { firstLine, tempStore, type TempStore } from "../helpers/store.ts";

/** The `ovlayer-profile LABEL MS` lines of `stderr`, as [label, ms]. */
function marks(stderr: string): [string, number][] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("ovlayer-profile "))
    .map((l) => {
      const [, label, ms] = l.split(" ");
      return [label!, Number(ms)];
    });
}

describe("profile marks", () => {
  let s: TempStore;
  beforeAll(() => {
    s = tempStore("ovl-profile-");
    firstLine(s.ovOk(["create-layer"]));
  });
  afterAll(() => s.cleanup());

  test("`layers` with OVLAYER_PROFILE=1: every phase, in order, times never going back; stdout unchanged", () => {
    const plain = s.ov(["layers"]);
    const r = s.ov(["layers"], { env: { OVLAYER_PROFILE: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    const m = marks(r.stderr);
    expect(m.map(([l]) => l)).toEqual(["timeOrigin", "runtime", "dispatch-modules", "verb-module", "flags-config", "temp-recovery", "layers.json", "images-containers", "verb", "output", "exit"]);
    for (let i = 1; i < m.length; i++) expect(m[i]![1]).toBeGreaterThanOrEqual(m[i - 1]![1]);
    // Epoch milliseconds: the parent compares them with its own clock.
    expect(Math.abs(m[0]![1] - Date.now())).toBeLessThan(60_000);
    expect(r.stderr).toMatch(/^ovlayer-profile-overhead \d+\.\d{3}$/m);
  });

  test("without OVLAYER_PROFILE (or with another value) no mark is written", () => {
    const envs: Record<string, string>[] = [{}, { OVLAYER_PROFILE: "0" }];
    for (const env of envs) {
      const r = s.ov(["layers"], { env });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain("ovlayer-profile");
    }
  });
});
