import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import {
  childrenOf,
  clearFlag,
  findLayer,
  formatCreated,
  formatLayersJson,
  INCOMPLETE_FLAG,
  isIncomplete,
  parseLayersJson,
  setFlag,
} from "../../src/store/records/layers-json.ts";
import { formatMountpoints, parseMountpoints } from "../../src/store/records/mountpoints.ts";

// What containers-storage 1.43 wrote for a two-layer store (captured on this machine).
const CS_WRITTEN =
  '[{"id":"8a0cda2a273e5b89e8b24d63f1866a476ded6046d55fae8e9e7d2bf4ddcf900f","created":"2026-11-26T15:36:22.484042687Z"},' +
  '{"id":"23aeb0a6154ffa58ca2a1d35ad939c017d2f5820a6f5914ee05525c69957bc2f","names":["foo","bar"],"parent":"8a0cda2a273e5b89e8b24d63f1866a476ded6046d55fae8e9e7d2bf4ddcf900f","created":"2026-11-26T15:36:22.490751382Z"}]';

describe("layers.json", () => {
  test("a file written by containers-storage is rewritten byte for byte", () => {
    expect(formatLayersJson(parseLayersJson(CS_WRITTEN, "f"))).toBe(CS_WRITTEN);
  });
  test("known fields come out in containers-storage's order, unknown ones survive after them", () => {
    const recs = parseLayersJson(
      '[{"future-field":{"x":[1,2]},"created":"2026-01-01T00:00:00Z","parent":"p","id":"c","diff-size":12,"uidset":[0,1000],"flags":{"a":true}}]',
      "f",
    );
    expect(formatLayersJson(recs)).toBe(
      '[{"id":"c","parent":"p","created":"2026-01-01T00:00:00Z","diff-size":12,"uidset":[0,1000],"flags":{"a":true},"future-field":{"x":[1,2]}}]',
    );
  });
  test("omits empty optional fields as Go's omitempty does", () => {
    expect(formatLayersJson([{ id: "x", names: [], parent: "", flags: {}, created: "2026-01-01T00:00:00Z" }])).toBe(
      '[{"id":"x","created":"2026-01-01T00:00:00Z"}]',
    );
  });
  test("escapes <, > and & like Go's encoder", () => {
    expect(formatLayersJson([{ id: "x", names: ["a<b>&c"] }])).toBe('[{"id":"x","names":["a\\u003cb\\u003e\\u0026c"]}]');
  });
  test("an empty file is an empty store", () => {
    expect(parseLayersJson("", "f")).toEqual([]);
  });
  test("a truncated file is a corrupt error naming the file", () => {
    let e: unknown;
    try {
      parseLayersJson(CS_WRITTEN.slice(0, 50), "/s/overlay-layers/layers.json");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(OvError);
    expect((e as OvError).kind).toBe("corrupt");
    expect((e as Error).message).toContain("/s/overlay-layers/layers.json does not parse");
  });
  test("an entry without an id is refused with its position", () => {
    expect(() => parseLayersJson('[{"id":"a"},{"names":[]}]', "f")).toThrow("entry 2 of 2");
  });
});

describe("flags", () => {
  test("incomplete flag set and cleared, other flags kept", () => {
    const r = { id: "x", flags: { other: 1 } as Record<string, unknown> };
    setFlag(r, INCOMPLETE_FLAG, true);
    expect(isIncomplete(r)).toBe(true);
    clearFlag(r, INCOMPLETE_FLAG);
    expect(isIncomplete(r)).toBe(false);
    expect(r.flags).toEqual({ other: 1 });
    clearFlag(r, "other");
    expect(r.flags).toBeUndefined();
  });
});

describe("findLayer()", () => {
  const recs = [
    { id: "abc123", names: ["one"] },
    { id: "abd456", parent: "abc123" },
    { id: "zzz", parent: "abc123" },
  ];
  test("by ID, by name, by unique prefix", () => {
    expect(findLayer(recs, "abd456")?.id).toBe("abd456");
    expect(findLayer(recs, "one")?.id).toBe("abc123");
    expect(findLayer(recs, "abc")?.id).toBe("abc123");
    expect(findLayer(recs, "nope")).toBeUndefined();
  });
  test("an ambiguous prefix is a conflict naming the count", () => {
    expect(() => findLayer(recs, "ab")).toThrow("prefix of 2 layer IDs");
  });
  test("childrenOf() lists children", () => {
    expect(childrenOf(recs, "abc123")).toEqual(["abd456", "zzz"]);
  });
});

describe("formatCreated()", () => {
  test("RFC 3339 with nanoseconds, trailing zeros trimmed as Go's RFC3339Nano", () => {
    expect(formatCreated(1_790_000_000_123_456_789n)).toBe("2026-09-21T14:13:20.123456789Z");
    expect(formatCreated(1_790_000_000_120_000_000n)).toBe("2026-09-21T14:13:20.12Z");
    expect(formatCreated(1_790_000_000_000_000_000n)).toBe("2026-09-21T14:13:20Z");
  });
});

describe("mountpoints.json", () => {
  test("keeps only positive counts, in id/path/count order", () => {
    const recs = parseMountpoints('[{"count":2,"path":"/m","id":"a"},{"id":"b","path":"/n","count":0}]', "f");
    expect(formatMountpoints(recs)).toBe('[{"id":"a","path":"/m","count":2}]');
  });
  test("a file that does not parse is corrupt, naming the file", () => {
    expect(() => parseMountpoints("[{", "/run/x/mountpoints.json")).toThrow("/run/x/mountpoints.json does not parse");
  });
});
