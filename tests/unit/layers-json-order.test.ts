/**
 * orderRecord() skips rebuilding a record that is already in upstream order
 * (the common case, for speed); these pin that the shortcut never changes
 * what is written.
 */
import { describe, expect, test } from "bun:test";
import { formatLayersJson, orderRecord, parseLayersJson } from "../../src/store/records/layers-json.ts";

describe("orderRecord()", () => {
  test("returns a record already in upstream order as it is", () => {
    const r = { id: "a", names: ["n"], parent: "p", created: "2026-01-01T00:00:00Z", "future-field": 1 };
    expect(orderRecord(r)).toBe(r);
  });

  test("rebuilds a record whose unknown field comes before a known one", () => {
    const text = '[{"id":"a","future-field":1,"created":"2026-01-01T00:00:00Z"}]';
    expect(formatLayersJson(parseLayersJson(text, "f"))).toBe('[{"id":"a","created":"2026-01-01T00:00:00Z","future-field":1}]');
  });

  test("rebuilds a record in order but with an empty field to drop", () => {
    const r = { id: "a", names: [], created: "2026-01-01T00:00:00Z", flags: {} };
    expect(orderRecord(r)).not.toBe(r);
    expect(formatLayersJson([r])).toBe('[{"id":"a","created":"2026-01-01T00:00:00Z"}]');
  });

  test("writes integer-like unknown keys where JSON.stringify puts them, with or without the shortcut", () => {
    const text = '[{"id":"a","created":"2026-01-01T00:00:00Z","7":"x"}]';
    expect(formatLayersJson(parseLayersJson(text, "f"))).toBe('[{"7":"x","id":"a","created":"2026-01-01T00:00:00Z"}]');
  });
});
