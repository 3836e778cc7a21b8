import { describe, expect, test } from "bun:test";
import { findVerb, verbLine, COMMANDS } from "../../src/cli/commands.ts";
import { copyDestName, parseChown, parseCopySpec } from "../../src/cli/content/copy-spec.ts";
import { joinName } from "../../src/archive/export/host-tarball.ts";
import { mountsBelow } from "../../src/mount/unmount-below.ts";
import { parseMountinfo } from "../../src/mount/mountinfo.ts";
import { dedupLayers } from "../../src/store/lifecycle/dedup.ts";
import { leftoverLayerDirs, orphanLayerMetadata } from "../../src/store/gc.ts";
import { bigDataFileName, bigDataNames } from "../../src/store/lifecycle/layer-data.ts";
import { tempInstanceIds } from "../../src/store/temp-dirs.ts";
import { wipeOrder } from "../../src/store/wipe.ts";

const H = (c: string) => c.repeat(64);

describe("tempInstanceIds()", () => {
  test("pairs temp-dir-N and lock-N by N, once each, and ignores other names", () => {
    expect(tempInstanceIds(["temp-dir-7", "lock-7", "lock-9", "temp-dir-12", "other", "temp-dir-", "lock-"])).toEqual(["12", "7", "9"]);
    expect(tempInstanceIds([])).toEqual([]);
  });
});

describe("mountsBelow()", () => {
  const info = parseMountinfo(
    [
      "1 0 8:1 / / rw - ext4 /dev/vda rw",
      "2 1 0:5 / /s/root/overlay rw shared:1 - none none rw",
      "3 2 0:6 / /s/root/overlay/tempdirs/temp-dir-1/x/merged rw - tmpfs tmpfs rw",
      "4 3 0:7 / /s/root/overlay/tempdirs/temp-dir-1/x/merged/deeper rw - tmpfs tmpfs rw",
      "5 1 0:8 / /s/root/overlay/tempdirs/temp-dir-10 rw - tmpfs tmpfs rw",
    ].join("\n"),
  );
  test("lists the mounts at or below a directory, deepest first, and not a sibling sharing its prefix", () => {
    expect(mountsBelow("/s/root/overlay/tempdirs/temp-dir-1", info)).toEqual([
      "/s/root/overlay/tempdirs/temp-dir-1/x/merged/deeper",
      "/s/root/overlay/tempdirs/temp-dir-1/x/merged",
    ]);
    expect(mountsBelow("/s/root/overlay/tempdirs/temp-dir-10/", info)).toEqual(["/s/root/overlay/tempdirs/temp-dir-10"]);
    expect(mountsBelow("/elsewhere", info)).toEqual([]);
  });
});

describe("wipe and gc planning", () => {
  test("wipeOrder() deletes newest first, so children go before parents", () => {
    const recs = [
      { id: "a", created: "2026-01-01T00:00:01Z" },
      { id: "c", created: "2026-01-01T00:00:03.5Z" },
      { id: "b", created: "2026-01-01T00:00:02Z", parent: "a" },
    ];
    expect(wipeOrder(recs).map((r) => r.id)).toEqual(["c", "b", "a"]);
  });
  test("leftoverLayerDirs() keeps known layers and the driver's own entries", () => {
    expect(leftoverLayerDirs(["l", "staging", "tempdirs", H("a"), H("b"), "named-layer", ".."], new Set([H("a")]))).toEqual([H("b"), "named-layer"]);
  });
  test("orphanLayerMetadata() finds tar-split files and data dirs of unknown 64-hex IDs only", () => {
    const entries = [
      { name: "layers.json", dir: false },
      { name: "layers.lock", dir: false },
      { name: `${H("a")}.tar-split.gz`, dir: false },
      { name: `${H("b")}.tar-split.gz`, dir: false },
      { name: H("b"), dir: true },
      { name: H("a"), dir: true },
      { name: "tmp", dir: true },
      { name: "named.tar-split.gz", dir: false },
      { name: H("c"), dir: false },
    ];
    expect(orphanLayerMetadata(entries, new Set([H("a")]))).toEqual([`${H("b")}.tar-split.gz`, H("b")]);
  });
});

describe("layer data naming", () => {
  test("bigDataFileName() keeps [.0-9a-z] keys and base64-encodes the rest, as upstream", () => {
    expect(bigDataFileName("manifest.v2")).toBe("manifest.v2");
    expect(bigDataFileName("big-item-1")).toBe("=" + Buffer.from("big-item-1").toString("base64"));
    expect(bigDataFileName("Upper")).toBe("=VXBwZXI=");
    expect(bigDataFileName("a/b")).toBe("=YS9i");
  });
  test("bigDataNames() reads the record's big-data-names, ignoring non-strings", () => {
    expect(bigDataNames({ id: "x", "big-data-names": ["a", 3, "b"] })).toEqual(["a", "b"]);
    expect(bigDataNames({ id: "x" })).toEqual([]);
  });
});

describe("copy arguments", () => {
  test("parseCopySpec() splits LAYER:PATH at the first colon", () => {
    expect(parseCopySpec("L1:/a:b")).toEqual({ layer: "L1", path: "/a:b" });
    expect(parseCopySpec("/host/file")).toEqual({ path: "/host/file" });
  });
  test("parseChown() takes UID[:GID] and refuses names", () => {
    expect(parseChown("100:200")).toEqual({ uid: 100, gid: 200 });
    expect(parseChown("100")).toEqual({ uid: 100, gid: 100 });
    expect(() => parseChown("root:0")).toThrow("bad UID");
    expect(() => parseChown("1:x")).toThrow("bad GID");
    expect(() => parseChown("4294967296")).toThrow("bad UID");
  });
  test("copyDestName() places a file under a target ending in '/', and never climbs above the root", () => {
    expect(copyDestName("/file1", "/tmp/src", false)).toBe("file1");
    expect(copyDestName("/dir/", "/tmp/src", false)).toBe("dir/src");
    expect(copyDestName("/dir/", "/tmp/src", true)).toBe("dir");
    expect(copyDestName("/../../etc/x", "/tmp/src", false)).toBe("etc/x");
    expect(copyDestName("/", "/tmp/d", true)).toBe("");
    expect(joinName("", "a")).toBe("a");
    expect(joinName("dir", "a")).toBe("dir/a");
  });
});

describe("dedupLayers()", () => {
  test("visits every image layer and its parents once, and stops at an unknown layer", () => {
    const recs = [{ id: "a" }, { id: "b", parent: "a" }, { id: "c", parent: "b" }, { id: "d", parent: "gone" }, { id: "e" }];
    expect(dedupLayers(recs, ["c", "b", "d", "missing"]).sort()).toEqual(["a", "b", "c", "d"]);
  });
});

describe("verb aliases", () => {
  test("every no-dash spelling of containers-storage's commands resolves to its verb", () => {
    const pairs: [string, string][] = [
      ["createlayer", "create-layer"],
      ["importlayer", "import-layer"],
      ["deletelayer", "delete-layer"],
      ["apply-diff", "applydiff"],
      ["diff-size", "diffsize"],
      ["umount", "unmount"],
      ["listlayerdata", "list-layer-data"],
      ["getlayerdata", "get-layer-data"],
      ["setlayerdata", "set-layer-data"],
    ];
    for (const [alias, verb] of pairs) expect(findVerb(alias)?.name).toBe(verb);
    expect(findVerb("layers")?.name).toBe("layers");
    expect(findVerb("toString")).toBeUndefined();
    expect(findVerb("nope")).toBeUndefined();
  });
  test("no alias is also a verb or another verb's alias, and help shows them", () => {
    const seen = new Set(Object.keys(COMMANDS));
    for (const e of Object.values(COMMANDS)) {
      for (const a of e.aliases ?? []) {
        expect(seen.has(a)).toBe(false);
        seen.add(a);
      }
    }
    expect(verbLine("applydiff", COMMANDS.applydiff!)).toContain("(alias: apply-diff)");
  });
});
