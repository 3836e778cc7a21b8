import { describe, expect, test } from "bun:test";
import { classifyBase, isOpaqueValue, isOverlayXattr, opaqueXattrFor, whiteoutName } from "../../src/archive/apply/whiteout.ts";
import { IdMapper, mapperFor } from "../../src/archive/apply/idmap.ts";

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

describe("IdMapper", () => {
  const m = new IdMapper([{ container_id: 0, host_id: 100000, size: 65536 }], [{ container_id: 0, host_id: 200000, size: 1000 }]);
  test("maps container ids to host ids and back", () => {
    expect(m.toHost(0, 5, "x")).toEqual([100000, 200005]);
    expect(m.toContainer(100033, 200999, "x")).toEqual([33, 999]);
  });
  test("refuses an id outside every range, naming it", () => {
    expect(() => m.toHost(70000, 0, "Cannot apply entry 3")).toThrow(/Cannot apply entry 3: container UID 70000 is not in the layer's UID mapping \(1 ranges\)/);
  });
  test("is the identity for a record without maps", () => {
    const id = mapperFor({ id: "x" });
    expect(id.identity).toBe(true);
    expect(id.toHost(3000000, 7, "x")).toEqual([3000000, 7]);
  });
});
