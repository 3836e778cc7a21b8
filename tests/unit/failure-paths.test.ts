/**
 * Failure paths that must not reach the user as exit 70, and a create that
 * fails late: the layer and its record go again, and when that undo fails
 * too, the error says what is left for `repair`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatError } from "../../src/cli/report.ts";
import { OvError } from "../../src/errors.ts";
import { createLayer } from "../../src/store/lifecycle/create.ts";
import { runRepair } from "../../src/check/session.ts";
import { StorePaths } from "../../src/store/paths.ts";
import { SysError } from "../../src/sys/libc.ts";

describe("formatError(): the safety net for errors that escaped their wrapping", () => {
  test("a raw Node fs error goes through the errno policy, never exit 70", () => {
    let raw: unknown;
    try {
      readFileSync("/nonexistent-ovlayer-dir/file");
    } catch (e) {
      raw = e;
    }
    const r = formatError(raw);
    expect(r.code).toBe(3);
    expect(r.text).toContain("/nonexistent-ovlayer-dir/file");
    expect(r.text).not.toContain("internal error");
  });

  test("ENOSPC from a write names the device's path and exits 9", () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write", path: "/s/overlay-layers/layers.json" });
    const r = formatError(e);
    expect(r.code).toBe(9);
    expect(r.text).toContain("no space left on the device holding /s/overlay-layers/layers.json (ENOSPC)");
  });

  test("a SysError keeps its errno's kind: EACCES exits 7 with a hint, EIO 9", () => {
    const acc = formatError(new SysError("mkdir", 13, "/s/run"));
    expect(acc.code).toBe(7);
    expect(acc.text).toContain("hint: ");
    expect(formatError(new SysError("read", 5, "/s/x")).code).toBe(9);
  });

  test("an error that is no failed call stays an internal error (70)", () => {
    expect(formatError(new TypeError("undefined is not an object")).code).toBe(70);
    expect(formatError(Object.assign(new Error("odd"), { code: "ERR_SOMETHING" })).code).toBe(70);
  });
});

describe("createLayer() failing late", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const store = () => {
    dir = mkdtempSync(join(tmpdir(), "ovl-fail-"));
    return new StorePaths(join(dir, "root"), join(dir, "run"));
  };
  const recordIds = (p: StorePaths): string[] => (JSON.parse(readFileSync(p.layersJson, "utf8")) as { id: string }[]).map((r) => r.id);

  test("when the last save of layers.json fails, the record and the directory go again", async () => {
    const p = store();
    const base = await createLayer(p, {});
    let made = "";
    const err = await createLayer(p, { parent: base.id }, (rec, txn) => {
      made = rec.id;
      const save = txn.save;
      txn.save = () => {
        txn.save = save; // only the save that clears the incomplete flag fails
        throw new OvError("sys", `Cannot write ${p.layersJson}: no space left (ENOSPC)`);
      };
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvError);
    expect((err as OvError).message).toContain("ENOSPC");
    expect((err as OvError).also).toEqual([]);
    expect(recordIds(p)).toEqual([base.id]);
    expect(existsSync(p.layer(made))).toBe(false);
  });

  test("when removing the record fails too, the first error stays and names the leftover for repair", async () => {
    const p = store();
    let made = "";
    const err = await createLayer(p, {}, (rec, txn) => {
      made = rec.id;
      txn.save = () => {
        throw new OvError("sys", `Cannot write ${p.layersJson}: no space left (ENOSPC)`);
      };
    }).catch((e: unknown) => e);
    expect((err as OvError).message).toContain("ENOSPC");
    expect((err as OvError).also.join("\n")).toContain(`layer ${made} stays in ${p.layersJson} flagged incomplete: \`ovlayer repair\` removes it`);
    expect(recordIds(p)).toEqual([made]); // the first save, flagged incomplete
    expect(existsSync(p.layer(made))).toBe(false);
  });
});

describe("repair after a layer directory in the middle of a chain is removed", () => {
  test("plans and runs without an internal error, and reports the broken chains it cannot fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ovl-midchain-"));
    try {
      const p = new StorePaths(join(dir, "root"), join(dir, "run"));
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await createLayer(p, i ? { parent: ids[i - 1]! } : {})).id);
      rmSync(p.layer(ids[1]!), { recursive: true });
      for (const dryRun of [true, false]) {
        const r = runRepair(p, { dryRun });
        expect(r.failed).toEqual([]);
        const left = r.remaining.map((f) => f.code);
        expect(left).toContain("entry-without-dir");
        expect(left).toContain("lower-layers-missing-layer");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
