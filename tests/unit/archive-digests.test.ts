import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { wantWorker } from "../../src/archive/apply/digest-client.ts";
import { StreamDigests } from "../../src/archive/apply/digests.ts";
import { textRecord } from "../../src/archive/tar/pax.ts";
import { concat, END, enc, entry, paxHeader, rawHeader } from "./archive-fixtures.ts";
import { TypeFlag } from "../../src/archive/tar/header.ts";

const archive = concat(
  entry({ name: "etc/", kind: "dir", uid: 0, gid: 0 }),
  entry({ name: "etc/a", uid: 1000, gid: 100 }, enc("a")),
  entry({ name: "etc/.wh.gone", uid: 4242, gid: 4242 }),
  entry({ name: "etc/.wh..wh..opq", uid: 4343, gid: 4343 }),
  entry({ name: "home/u", kind: "dir", uid: 3000000, gid: 3000001 }),
  END,
);

describe("StreamDigests", () => {
  test("hashes the stream and collects ids as containers-storage does (whiteouts left out)", () => {
    const d = new StreamDigests({ layerId: "L", compressed: false });
    for (let i = 0; i < archive.length; i += 700) d.tar(archive.subarray(i, i + 700));
    const r = d.finish();
    const sha = "sha256:" + createHash("sha256").update(archive).digest("hex");
    expect(r.diffDigest).toBe(sha);
    expect(r.compressedDigest).toBe(sha);
    expect(r.diffSize).toBe(archive.length);
    expect(r.compressedSize).toBe(archive.length);
    expect(r.uids).toEqual([0, 1000, 3000000]);
    expect(r.gids).toEqual([0, 100, 3000001]);
    expect(r.entries).toBe(5);
    expect(r.tarSplit).toBe(false);
  });

  test("hashes compressed and uncompressed bytes apart", () => {
    const gz = gzipSync(archive);
    const d = new StreamDigests({ layerId: "L", compressed: true });
    d.compressed(gz);
    d.tar(archive);
    const r = d.finish();
    expect(r.compressedDigest).toBe("sha256:" + createHash("sha256").update(gz).digest("hex"));
    expect(r.compressedSize).toBe(gz.length);
    expect(r.diffDigest).toBe("sha256:" + createHash("sha256").update(archive).digest("hex"));
  });

  test("counts a pax global header as ids 0 (Go returns it as an entry)", () => {
    const a = concat(paxHeader([textRecord("comment", "git archive")], true), rawHeader({ typeflag: TypeFlag.REG, name: "f", uid: 7, gid: 8 }), END);
    const d = new StreamDigests({ layerId: "L", compressed: false });
    d.tar(a);
    expect(d.finish()).toMatchObject({ uids: [0, 7], gids: [0, 8] });
  });

  test("reports a truncated stream", () => {
    const d = new StreamDigests({ layerId: "L", compressed: false });
    d.tar(archive.subarray(0, 700));
    expect(() => d.finish()).toThrow(/truncated/);
  });
});

describe("wantWorker()", () => {
  test("uses a second thread only when a core is free, unless told", () => {
    expect(wantWorker({}, 2, 0.3)).toBe(true);
    expect(wantWorker({}, 2, 1.5)).toBe(false);
    expect(wantWorker({}, 1, 0)).toBe(false);
    expect(wantWorker({}, 8, 5)).toBe(true);
    expect(wantWorker({ OVLAYER_DIGESTS: "inline" }, 8, 0)).toBe(false);
    expect(wantWorker({ OVLAYER_DIGESTS: "worker" }, 1, 9)).toBe(true);
  });
});
