import { describe, expect, test } from "bun:test";
import { IdMapper, mapperFor } from "../../src/archive/apply/idmap.ts";

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
