import { describe, expect, test } from "bun:test";
import { formatBytes, formatProgress } from "../../src/cli/progress-format.ts";

describe("formatProgress()", () => {
  test("bytes with a total: amount, share and rate", () => {
    expect(formatProgress({ label: "import-layer", done: 12_000_000, total: 48_000_000, unit: "bytes", elapsedMs: 2000 })).toBe("import-layer: 12.0 MB of 48.0 MB (25%), 6.0 MB/s");
  });
  test("bytes without a total (a pipe): amount and rate", () => {
    expect(formatProgress({ label: "diff", done: 1500, unit: "bytes", elapsedMs: 1000 })).toBe("diff: 1.5 kB, 1.5 kB/s");
  });
  test("counted items", () => {
    expect(formatProgress({ label: "check", done: 1200, unit: "layer directories read", elapsedMs: 900 })).toBe("check: 1200 layer directories read");
  });
  test("the share never passes 100% when the input grew", () => {
    expect(formatProgress({ label: "x", done: 300, total: 200, unit: "bytes", elapsedMs: 0 })).toBe("x: 300 B of 200 B (100%)");
  });
  test("formatBytes() uses decimal units", () => {
    expect([0, 999, 1000, 1_234_567, 5e12].map(formatBytes)).toEqual(["0 B", "999 B", "1.0 kB", "1.2 MB", "5.0 TB"]);
  });
});
