import { describe, expect, test } from "bun:test";
import { parseIdMap, sameMap, subordinateMap } from "../../src/archive/apply/idmap-parse.ts";
import { planIdMaps } from "../../src/cli/layers/idmap-args.ts";
import { isIdXattr, shiftXattr } from "../../src/archive/apply/xattr-shift.ts";
import { OvError } from "../../src/errors.ts";
import { acl, capV3 } from "../helpers/xattr-values.ts";

describe("parseIdMap", () => {
  test("reads containerID:hostID:size ranges, comma-separated and from repeated flags", () => {
    expect(parseIdMap(["0:100000:1,1:200000:65535", "70000:300000:10"], "uidmap")).toEqual([
      { container_id: 0, host_id: 100000, size: 1 },
      { container_id: 1, host_id: 200000, size: 65535 },
      { container_id: 70000, host_id: 300000, size: 10 },
    ]);
    expect(parseIdMap([], "uidmap")).toEqual([]);
  });
  test("refuses bad syntax, naming the flag and the range", () => {
    const bad = (v: string, re: RegExp) => {
      let err: unknown;
      try {
        parseIdMap([v], "gidmap");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OvError);
      expect((err as OvError).kind).toBe("usage");
      expect((err as OvError).message).toMatch(re);
    };
    bad("0:1000", /--gidmap "0:1000": expected containerID:hostID:size \(2 fields\)/);
    bad("0:x:1", /"x" is not a non-negative integer/);
    bad("0:-1:1", /"-1" is not a non-negative integer/);
    bad("0:1:0", /the size must be at least 1/);
    bad("0:4294967295:2", /ends past 4294967295/);
    bad("0:1000:10,5:2000:1", /container ranges starting at 0 and 5 overlap/);
    bad("0:1000:10,20:1005:1", /host ranges starting at 1000 and 1005 overlap/);
  });
});

describe("subordinateMap", () => {
  const file = "# comment\nalice:100000:65536\nbob:165536:65536\nalice:300000:10\n";
  test("gives a name's ranges consecutive container IDs from 0", () => {
    expect(subordinateMap(file, "alice", "/etc/subuid")).toEqual([
      { container_id: 0, host_id: 100000, size: 65536 },
      { container_id: 65536, host_id: 300000, size: 10 },
    ]);
  });
  test("refuses a name without ranges, naming the file", () => {
    expect(() => subordinateMap(file, "carol", "/etc/subgid")).toThrow(/No subordinate ID range for "carol" in \/etc\/subgid/);
  });
});

test("sameMap compares ranges in order", () => {
  const a = [{ container_id: 0, host_id: 1, size: 2 }];
  expect(sameMap(a, [{ container_id: 0, host_id: 1, size: 2 }])).toBe(true);
  expect(sameMap(a, [{ container_id: 0, host_id: 1, size: 3 }])).toBe(false);
  expect(sameMap(a, [])).toBe(false);
  expect(sameMap([], [])).toBe(true);
});

describe("shiftXattr", () => {
  const shift = (id: number, kind: "UID" | "GID") => (kind === "UID" ? id + 1000 : id + 2000);
  const UNDEF = 0xffffffff;
  test("shifts the uid of ACL_USER and the gid of ACL_GROUP entries only", () => {
    const before = acl([
      [0x01, 7, UNDEF], // USER_OBJ
      [0x02, 6, 5], // USER 5
      [0x04, 5, UNDEF], // GROUP_OBJ
      [0x08, 4, 7], // GROUP 7
      [0x10, 7, UNDEF], // MASK
      [0x20, 0, UNDEF], // OTHER
    ]);
    for (const name of ["system.posix_acl_access", "system.posix_acl_default"]) {
      expect(isIdXattr(name)).toBe(true);
      expect(shiftXattr(name, before, shift, "/f")).toEqual(
        acl([
          [0x01, 7, UNDEF],
          [0x02, 6, 1005],
          [0x04, 5, UNDEF],
          [0x08, 4, 2007],
          [0x10, 7, UNDEF],
          [0x20, 0, UNDEF],
        ]),
      );
    }
    // The input is not changed in place.
    expect(new DataView(before.buffer).getUint32(16, true)).toBe(5);
  });
  test("refuses a malformed ACL, naming the file", () => {
    expect(() => shiftXattr("system.posix_acl_access", new Uint8Array(7), shift, "/etc/f")).toThrow(/\/etc\/f system.posix_acl_access: 7 bytes is not an ACL/);
    const v3 = acl([]);
    new DataView(v3.buffer).setUint32(0, 3, true);
    expect(() => shiftXattr("system.posix_acl_access", v3, shift, "/f")).toThrow(/ACL version 3, expected 2/);
  });
  test("shifts the rootid of v3 capabilities and leaves v2 ones alone", () => {
    const v3 = new Uint8Array(24);
    const d = new DataView(v3.buffer);
    d.setUint32(0, 0x03000001, true); // revision 3, effective bit
    d.setUint32(4, 0x2000, true); // permitted: CAP_NET_BIND_SERVICE
    d.setUint32(20, 0, true);
    const out = shiftXattr("security.capability", v3, shift, "/bin/ping");
    expect(new DataView(out.buffer).getUint32(20, true)).toBe(1000);
    expect(new DataView(out.buffer).getUint32(4, true)).toBe(0x2000);
    expect(d.getUint32(20, true)).toBe(0);
    const v2 = new Uint8Array(20);
    new DataView(v2.buffer).setUint32(0, 0x02000001, true);
    expect(shiftXattr("security.capability", v2, shift, "/bin/ping")).toBe(v2);
  });
  test("other attributes pass unchanged", () => {
    expect(isIdXattr("user.foo")).toBe(false);
    const v = new Uint8Array([1, 2, 3]);
    expect(shiftXattr("user.foo", v, shift, "/f")).toBe(v);
  });
});

describe("planIdMaps (containers-storage's flag rules)", () => {
  const sub = (file: string, name: string) => (file === "/etc/subuid" ? [{ container_id: 0, host_id: name === "alice" ? 100000 : 1, size: 65536 }] : [{ container_id: 0, host_id: 500000, size: 65536 }]);
  const none = { hostuid: false, hostgid: false, uidmap: [] as string[], gidmap: [] as string[] };
  test("--host*map with a map of its kind is refused", () => {
    expect(() => planIdMaps({ ...none, hostuid: true, uidmap: ["0:1:1"] }, sub)).toThrow(/host uid map specified along with UID mapping/);
    expect(() => planIdMaps({ ...none, hostgid: true, subgid: "alice" }, sub)).toThrow(/host gid map specified along with GID mapping/);
  });
  test("one --sub*map name serves both kinds, and --uidmap ranges follow the subordinate ones", () => {
    const m = planIdMaps({ ...none, subgid: "alice", uidmap: ["70000:1:1"] }, sub);
    expect(m.uidmap).toEqual([
      { container_id: 0, host_id: 100000, size: 65536 },
      { container_id: 70000, host_id: 1, size: 1 },
    ]);
    expect(m.gidmap).toEqual([{ container_id: 0, host_id: 500000, size: 65536 }]);
  });
  test("--hostuidmap with only --subgidmap: the GID map from it, no UID map, host flagged", () => {
    const m = planIdMaps({ ...none, hostuid: true, subgid: "alice" }, sub);
    expect(m.uidmap).toEqual([]);
    expect(m.gidmap).toEqual([{ container_id: 0, host_id: 500000, size: 65536 }]);
    expect(m.hostUid).toBe(true);
    expect(m.hostGid).toBe(false);
  });
  test("no flags: empty maps, not host (the parent's maps will apply)", () => {
    expect(planIdMaps(none, sub)).toEqual({ uidmap: [], gidmap: [], hostUid: false, hostGid: false });
  });
});
