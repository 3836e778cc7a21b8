import { describe, expect, test } from "bun:test";
import { salvageLayersJson } from "../../src/check/salvage.ts";

const recs = [
  { id: "a", names: ["x}y", 'q"{'], created: "2026-01-01T00:00:00Z" },
  { id: "b", parent: "a", flags: { incomplete: true }, "big-data-names": ["[odd]"] },
  { id: "c", parent: "b", "unknown-field": { nested: [1, { deep: "}" }] } },
];
const text = JSON.stringify(recs);

describe("salvageLayersJson()", () => {
  test("keeps every record of an intact file, unknown fields included", () => {
    const s = salvageLayersJson(text);
    expect(s.records).toEqual(recs as never);
    expect(s.usedBytes).toBe(text.length - 1);
  });

  test("keeps the records that end before a truncation, whatever the cut", () => {
    const ends = recs.map((_, i) => JSON.stringify(recs.slice(0, i + 1)).length - 1);
    for (let cut = 0; cut <= text.length; cut++) {
      const n = ends.filter((e) => e <= cut).length;
      expect(salvageLayersJson(text.slice(0, cut)).records.map((r) => r.id)).toEqual(recs.slice(0, n).map((r) => r.id));
    }
  });

  test("braces and quotes inside strings do not end an object", () => {
    expect(salvageLayersJson(text.slice(0, text.indexOf("q") + 3)).records).toEqual([]);
  });

  test("stops at damage in the middle, at a record without an id, and at a repeated id", () => {
    expect(salvageLayersJson(text.replace('"parent":"a"', '"parent":a"')).records.map((r) => r.id)).toEqual(["a"]);
    expect(salvageLayersJson('[{"id":"a"},{"name":"b"},{"id":"c"}]').records.map((r) => r.id)).toEqual(["a"]);
    expect(salvageLayersJson('[{"id":"a"},{"id":"a"}]').records.map((r) => r.id)).toEqual(["a"]);
  });

  test("finds nothing in an empty file, whitespace, or something that is not an array", () => {
    for (const t of ["", "  \n", '{"id":"a"}', "null", "\0\0\0\0"]) expect(salvageLayersJson(t).records).toEqual([]);
  });
});
