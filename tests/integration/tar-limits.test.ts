/**
 * The header limits through the binary (archive/tar/limits.ts): the inputs of
 * issue 12 that kept an import busy for minutes, or crashed it, now end in
 * well under a second with a corrupt error (exit 5), leave no layer behind,
 * and do not hold the layers lock.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { textRecord } from "../../src/archive/tar/pax.ts";
import { canMount, firstLine, tempStore, type TempStore } from "../helpers/store.ts";
import { concat, END, entry, gnuLong, paxHeader } from "../unit/archive-fixtures.ts";

const haveRoot = canMount();
let s: TempStore;
beforeAll(() => {
  s = tempStore("ovl-limits-");
});
afterAll(() => s?.cleanup());

/** A raw pax header whose data is `n` minimal records: built directly, the fixtures would be slow for 300k. */
function manyRecords(n: number, global: boolean, key = "a"): Uint8Array {
  const rec = Buffer.from(`${5 + key.length + String(5 + key.length).length - 1} ${key}=b\n`);
  const data = Buffer.alloc(rec.length * n);
  for (let i = 0; i < n; i++) rec.copy(data, i * rec.length);
  const h = paxHeader([textRecord("x", "y")], global).subarray(0, 512).slice();
  // Size field: 11 octal digits at 124.
  h.set(Buffer.from(data.length.toString(8).padStart(11, "0") + "\0"), 124);
  let sum = 8 * 0x20;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += h[i]!;
  h.set(Buffer.from(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  const pad = (512 - (data.length % 512)) % 512;
  return concat(h, data, new Uint8Array(pad));
}

function importGz(name: string, tar: Uint8Array): { code: number; stderr: string; ms: number } {
  const file = join(s.dir, name);
  writeFileSync(file, gzipSync(tar));
  const t0 = performance.now();
  const r = s.ov(["import-layer", "-f", file]);
  return { code: r.code, stderr: r.stderr, ms: performance.now() - t0 };
}

describe.skipIf(!haveRoot)("header limits through import-layer", () => {
  test("the issue's global header of 300k records ends at once, naming the limit", () => {
    const r = importGz("g300k.tar.gz", concat(manyRecords(300_000, true), entry({ name: "f", mode: 0o644 }), END));
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/invalid tar header: pax header of 1800000 bytes is over the limit of 1048576/);
    expect(r.ms).toBeLessThan(5000);
    expect(s.ovOk(["layers"])).toBe("");
  });

  test("100k records inside 1 MiB: the record limit, at once", () => {
    const r = importGz("l100k.tar.gz", concat(manyRecords(100_000, false), entry({ name: "f", mode: 0o644 }), END));
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/pax header of 4097 records or more is over the limit of 4096/);
    expect(r.ms).toBeLessThan(5000);
  });

  test("an 800 KB GNU long name: exit 5 naming the limit, not exit 70", () => {
    const r = importGz("long.tar.gz", concat(gnuLong("L", "n".repeat(800_000)), entry({ name: "f", mode: 0o644 }), END));
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/GNU long name: invalid tar header: name of 800000 bytes is over the limit of 4096/);
    expect(r.stderr).not.toContain("call stack");
  });

  test("while a refused import ran, the store stayed usable; a real layer with 4000 global defaults imports", () => {
    const g = paxHeader(Array.from({ length: 4000 }, (_, i) => textRecord(`comment.k${i}`, "v")), true);
    const parts: Uint8Array[] = [g];
    for (let i = 0; i < 200; i++) parts.push(entry({ name: `f${i}`, mode: 0o644 }));
    const file = join(s.dir, "ok.tar");
    writeFileSync(file, concat(...parts, END));
    const t0 = performance.now();
    const id = firstLine(s.ovOk(["import-layer", "-f", file]));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
