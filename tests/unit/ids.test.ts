import { describe, expect, test } from "bun:test";
import { quoteArg } from "../../src/quote.ts";
import { OvError } from "../../src/errors.ts";
import { generateId, generateLinkId, invalidIdReason, isLinkId, validateId, validateName } from "../../src/store/layers/ids.ts";

describe("validateId()", () => {
  test("accepts generated and custom IDs", () => {
    expect(validateId("myid")).toBe("myid");
    expect(validateId("a".repeat(64))).toBe("a".repeat(64));
  });
  test.each([
    ["", "empty"],
    ["a/b", "'/'"],
    [".", "'.'"],
    ["..", "'..'"],
    ["a\0b", "NUL"],
    ["l", "reserved"],
    ["staging", "reserved"],
    ["a:b", "':'"],
    ["a,b", "','"],
    ["a\nb", "control character"],
    ["x".repeat(256), "the limit is 255"],
  ])("refuses %j (%s) as a usage error naming the value", (value, why) => {
    let err: unknown;
    try {
      validateId(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OvError);
    expect((err as OvError).kind).toBe("usage");
    expect((err as Error).message).toContain(quoteArg(value)); // the value, cut to 200 chars + its size when longer
    expect((err as Error).message).toContain(why);
  });
});

describe("validateName()", () => {
  test("allows ':' in names, which never become paths", () => {
    expect(validateName("img:latest")).toBe("img:latest");
  });
  test("refuses '/', '..', empty and NUL", () => {
    for (const bad of ["a/b", "..", "", "x\0"]) expect(() => validateName(bad)).toThrow(OvError);
  });
});

describe("generation", () => {
  test("generateId() gives 64 lowercase hex chars, each time different", () => {
    const ids = new Set(Array.from({ length: 200 }, generateId));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(invalidIdReason(id)).toBeNull();
    }
  });
  test("generateLinkId() gives 26 chars of A-Z2-7", () => {
    for (let i = 0; i < 200; i++) {
      const l = generateLinkId();
      expect(l).toMatch(/^[A-Z2-7]{26}$/);
      expect(isLinkId(l)).toBe(true);
    }
    expect(isLinkId("abc")).toBe(false);
  });
});
