import { describe, expect, test } from "bun:test";
import { classifyBase, isOpaqueValue, isOverlayXattr, opaqueXattrFor, whiteoutName } from "../../src/archive/apply/whiteout.ts";

describe("whiteout names", () => {
  test("map .wh.NAME to a whiteout of NAME and back", () => {
    expect(classifyBase(".wh.passwd")).toEqual({ kind: "whiteout", target: "passwd" });
    expect(whiteoutName("passwd")).toBe(".wh.passwd");
    expect(classifyBase(whiteoutName(".hidden"))).toEqual({ kind: "whiteout", target: ".hidden" });
  });
  test("recognise the opaque marker and other AUFS metadata", () => {
    expect(classifyBase(".wh..wh..opq")).toEqual({ kind: "opaque" });
    expect(classifyBase(".wh..wh.plnk")).toEqual({ kind: "meta" });
    expect(classifyBase(".wh.")).toEqual({ kind: "meta" });
    expect(classifyBase(".wh..")).toEqual({ kind: "meta" });
  });
  test("leave ordinary names alone", () => {
    expect(classifyBase("passwd")).toEqual({ kind: "normal" });
    expect(classifyBase("x.wh.y")).toEqual({ kind: "normal" });
  });
});

describe("overlay xattrs", () => {
  test("use user.overlay.opaque only with the userxattr mount option", () => {
    expect(opaqueXattrFor([])).toBe("trusted.overlay.opaque");
    expect(opaqueXattrFor(["nodev", "userxattr"])).toBe("user.overlay.opaque");
  });
  test("know overlay's private xattrs and the opaque value", () => {
    expect(isOverlayXattr("trusted.overlay.redirect")).toBe(true);
    expect(isOverlayXattr("user.overlay.metacopy")).toBe(true);
    expect(isOverlayXattr("user.mime_type")).toBe(false);
    expect(isOpaqueValue(Buffer.from("y"))).toBe(true);
    expect(isOpaqueValue(Buffer.from("n"))).toBe(false);
    expect(isOpaqueValue(null)).toBe(false);
  });
});
