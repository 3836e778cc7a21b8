import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import {
  formatLower,
  formatLowerLayers,
  idFromLinkTarget,
  linkTargetFor,
  MAX_DEPTH,
  parseLower,
  parseLowerLayers,
} from "../../src/store/layers/lower.ts";

const ID1 = "a".repeat(64);
const ID2 = "b".repeat(64);

function corruptMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OvError);
    expect((e as OvError).kind).toBe("corrupt");
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

describe("parseLower()", () => {
  test("reads l/ entries uppermost first", () => {
    expect(parseLower("l/AAAA:l/BBBB", "f")).toEqual([
      { kind: "link", lid: "AAAA", raw: "l/AAAA" },
      { kind: "link", lid: "BBBB", raw: "l/BBBB" },
    ]);
  });
  test("accepts a bare layer ID entry", () => {
    expect(parseLower(`l/AAAA:${ID1}`, "f")[1]).toEqual({ kind: "id", id: ID1, raw: ID1 });
  });
  test("rejects an empty file, naming the file", () => {
    expect(corruptMessage(() => parseLower("", "/s/overlay/x/lower"))).toContain("/s/overlay/x/lower: the file is empty");
  });
  test("rejects an empty entry with its position", () => {
    expect(corruptMessage(() => parseLower("l/A::l/B", "f"))).toContain("entry 2 of 3 is empty");
    expect(corruptMessage(() => parseLower("l/A:", "f"))).toContain("entry 2 of 2 is empty");
  });
  test("rejects entries that could leave the store", () => {
    for (const bad of ["/etc", "../x", "l/../x", "l/", "l/a/b", "."]) {
      expect(corruptMessage(() => parseLower(bad, "f"))).toContain(JSON.stringify(bad));
    }
  });
});

describe("parseLowerLayers()", () => {
  test("reads IDs", () => {
    expect(parseLowerLayers(`${ID1}:${ID2}`, "f")).toEqual([ID1, ID2]);
  });
  test("rejects l/ entries and paths", () => {
    expect(corruptMessage(() => parseLowerLayers("l/AAAA", "f"))).toContain("is not a layer ID");
    expect(corruptMessage(() => parseLowerLayers(`${ID1}/diff`, "f"))).toContain("contains '/'");
  });
  test("rejects a trailing newline instead of taking it as part of an ID", () => {
    // containers-storage writes no newline; one added by hand must not become part of an ID
    expect(corruptMessage(() => parseLowerLayers(`${ID1}\n`, "f"))).toContain("control character");
  });
});

describe("formatting", () => {
  test("round-trips", () => {
    expect(parseLowerLayers(formatLowerLayers([ID1, ID2]), "f")).toEqual([ID1, ID2]);
    expect(formatLower(["AAA", "BBB"])).toBe("l/AAA:l/BBB");
  });
  test("link targets", () => {
    expect(linkTargetFor(ID1)).toBe(`../${ID1}/diff`);
    expect(idFromLinkTarget(`../${ID1}/diff`)).toBe(ID1);
    expect(idFromLinkTarget(`/abs/${ID1}/diff`)).toBeNull();
    expect(idFromLinkTarget(`../../x/diff`)).toBeNull();
    expect(idFromLinkTarget(`../${ID1}/work`)).toBeNull();
    expect(idFromLinkTarget(`../../diff`)).toBeNull();
  });
  test("the depth limit is the kernel's OVL_MAX_STACK", () => {
    expect(MAX_DEPTH).toBe(500);
  });
});
