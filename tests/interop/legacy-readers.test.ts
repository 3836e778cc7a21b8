/**
 * Old readers only read `lower`. podman 4.3, buildah 1.28, skopeo 1.9 and
 * containers-storage 1.43 follow R/overlay/l/<LID> symlinks named in `lower`
 * and know nothing of `lower-layers`, so every layer ovlayer creates (unless
 * the store was made symlink-free) must have `link`, a valid l/ link and, with
 * a parent, a `lower` of l/ entries giving its whole chain.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSampleImages,
  hasPeers,
  isSymlinkFree,
  legacyProblems,
  parentChain,
  peers,
  readLayerRecords,
  storeProblems,
  treeOf,
  writeLayerFiles,
  type Peers,
  type SampleImage,
  unmountLayers,
} from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, tempStore, type TempStore } from "../helpers/store.ts";

describe.skipIf(!canMount() || !hasContainersStorage())("old readers only read lower", () => {
  let s: TempStore;
  /** Every layer ovlayer created in this file, by what it was created on. */
  const made = new Map<string, string>();
  /** Every layer ovlayer created in this file. */
  const allOv: string[] = [];
  const home = () => join(s.graph, "overlay");
  const ov = (args: string[]) => {
    const id = firstLine(s.ovOk(["create-layer", ...args]));
    allOv.push(id);
    return id;
  };
  const cs = (args: string[]) => firstLine(s.csOk(["create-layer", ...args]));

  beforeAll(() => {
    s = tempStore("ovl-interop-legacy-");
    const ovBase = ov([]);
    made.set("a base layer", ovBase);
    made.set("a base layer with an explicit ID and two names", ov(["--id", "ab".repeat(32), "-n", "named-1", "-n", "named-2"]));
    const ovChild = ov([ovBase]);
    made.set("a child of an ovlayer layer", ovChild);
    made.set("a grandchild, parent given by name", ov(["-n", "grandchild", ovChild]));
    made.set("a read-only child", ov(["--readonly", ovChild]));
    made.set("a child of a named layer, by name", ov(["named-1"]));
    const csBase = cs([]);
    made.set("a child of a containers-storage base layer", ov([csBase]));
    let csTop = csBase;
    for (let i = 0; i < 5; i++) csTop = cs([csTop]);
    const onCs = ov([csTop]);
    made.set("a child of a 6-layer containers-storage chain", onCs);
    made.set("a child of containers-storage's child of ovlayer's layer", ov([cs([onCs])]));
    let deep = ovBase;
    for (let i = 0; i < 40; i++) deep = ov([deep]);
    made.set("the top of a 41-layer ovlayer chain", deep);
    // Deleting layers around them must not disturb the others' links.
    const tmp = ov([deep]);
    s.ovOk(["delete-layer", tmp]);
    s.csOk(["delete-layer", cs([onCs])]);
  }, 120_000);
  afterEach(() => {
    unmountLayers(s);
  });
  afterAll(() => s?.cleanup());

  test("every layer ovlayer creates has link, a valid l/ link and a lower that resolves to its whole chain", () => {
    expect(isSymlinkFree(s)).toBe(false);
    const records = readLayerRecords(s);
    for (const [what, id] of made) expect({ what, problems: legacyProblems(s, id, records) }).toEqual({ what, problems: [] });
    // All of ovlayer's layers still there, the 40 in the deep chain included.
    const live = allOv.filter((id) => records.some((r) => r.id === id));
    expect(live).toHaveLength(allOv.length - 1); // all but the one deleted in beforeAll
    for (const id of live) expect(legacyProblems(s, id, records)).toEqual([]);
    expect(storeProblems(s)).toEqual([]);
  }, 60_000);

  test("containers-storage 1.43 reads lower, never lower-layers; ovlayer prefers lower-layers", () => {
    const a1 = ov([]);
    const a2 = ov([a1]);
    const a3 = ov([a2]);
    const b1 = ov([]);
    const b2 = ov([b1]);
    for (const [id, f] of [[a1, "a1"], [a2, "a2"], [a3, "a3"], [b1, "b1"], [b2, "b2"]] as const) writeLayerFiles(s, id, { [f]: `${f}\n` });
    const llFile = join(home(), a3, "lower-layers");
    const ll = readFileSync(llFile, "utf8");
    writeFileSync(llFile, `${b2}:${b1}`); // a valid chain, but not a3's
    try {
      expect(treeOf(s.csOk(["mount", a3]))).toEqual({ a1: "a1\n", a2: "a2\n", a3: "a3\n" });
      s.csOk(["unmount", a3]);
      expect(treeOf(s.ovOk(["mount", a3]))).toEqual({ b1: "b1\n", b2: "b2\n", a3: "a3\n" });
      s.ovOk(["unmount", a3]);
    } finally {
      writeFileSync(llFile, ll);
    }
    for (const id of [a3, a2, a1, b2, b1]) s.ovOk(["delete-layer", id]);
  }, 60_000);

  test("the check catches every way a layer can break old readers", () => {
    const parent = ov([]);
    const id = ov([parent]);
    const dir = join(home(), id);
    const lid = readFileSync(join(dir, "link"), "utf8");
    const lower = readFileSync(join(dir, "lower"), "utf8");
    const breakages: [string, () => void, () => void, RegExp][] = [
      ["no lower file", () => unlinkSync(join(dir, "lower")), () => writeFileSync(join(dir, "lower"), lower), /no lower file/],
      ["no link file", () => unlinkSync(join(dir, "link")), () => writeFileSync(join(dir, "link"), lid), /no link file/],
      ["a link file with a newline", () => writeFileSync(join(dir, "link"), `${lid}\n`), () => writeFileSync(join(dir, "link"), lid), /not 26 base32/],
      ["no l/ link", () => unlinkSync(join(home(), "l", lid)), () => symlinkSync(`../${id}/diff`, join(home(), "l", lid)), /is missing/],
      [
        "an l/ link to another layer",
        () => {
          unlinkSync(join(home(), "l", lid));
          symlinkSync(`../${parent}/diff`, join(home(), "l", lid));
        },
        () => {
          unlinkSync(join(home(), "l", lid));
          symlinkSync(`../${id}/diff`, join(home(), "l", lid));
        },
        /points to/,
      ],
      ["lower of <ID>/diff entries (the first version of PR #666)", () => writeFileSync(join(dir, "lower"), `${parent}/diff`), () => writeFileSync(join(dir, "lower"), lower), /not an l\/<LID> entry/],
      ["lower of bare IDs", () => writeFileSync(join(dir, "lower"), parent), () => writeFileSync(join(dir, "lower"), lower), /not an l\/<LID> entry/],
      ["an empty lower", () => writeFileSync(join(dir, "lower"), ""), () => writeFileSync(join(dir, "lower"), lower), /not an l\/<LID> entry/],
      [
        "a base layer without empty/",
        () => renameSync(join(home(), parent, "empty"), join(home(), parent, "empty.aside")),
        () => renameSync(join(home(), parent, "empty.aside"), join(home(), parent, "empty")),
        /no empty directory/,
      ],
      ["no work dir", () => rmSync(join(dir, "work"), { recursive: true }), () => mkdirSync(join(dir, "work"), { mode: 0o700 }), /no work directory/],
    ];
    for (const [what, breakIt, mend, problem] of breakages) {
      breakIt();
      try {
        const found = [...legacyProblems(s, id), ...legacyProblems(s, parent)].join("\n");
        expect({ what, found }).toEqual({ what, found: expect.stringMatching(problem) });
      } finally {
        mend();
      }
      expect({ what, after: [...legacyProblems(s, id), ...legacyProblems(s, parent)] }).toEqual({ what, after: [] });
    }
    // A dangling l/ link is a store problem: containers-storage 1.43 fails a mount when it has to recreate links.
    symlinkSync("../0000000000000000000000000000000000000000000000000000000000000000/diff", join(home(), "l", "AAAAAAAAAAAAAAAAAAAAAAAAAA"));
    expect(storeProblems(s).join("\n")).toMatch(/l\/AAAAAAAAAAAAAAAAAAAAAAAAAA: dangling/);
    unlinkSync(join(home(), "l", "AAAAAAAAAAAAAAAAAAAAAAAAAA"));
    s.ovOk(["delete-layer", id, parent]);
    expect(storeProblems(s)).toEqual([]);
  }, 60_000);

  describe("a store made symlink-free on purpose", () => {
    test("is exempt from the legacy check, and old tools can no longer use it", () => {
      const sf = tempStore("ovl-interop-symlink-free-");
      try {
        const base = firstLine(sf.csOk(["create-layer"]));
        const child = firstLine(sf.ovOk(["create-layer", base]));
        writeLayerFiles(sf, base, { "base.txt": "base\n" });
        expect(legacyProblems(sf, child)).toEqual([]);
        sf.ovOk(["migrate", "--drop-legacy-links", "--yes"]);
        expect(isSymlinkFree(sf)).toBe(true);
        const top = firstLine(sf.ovOk(["create-layer", child]));
        // No legacy files at all now; the check lets that be.
        expect(readdirSync(join(sf.graph, "overlay", top)).sort()).toEqual(["diff", "lower-layers", "merged", "work"]);
        expect(legacyProblems(sf, top)).toEqual([]);
        expect(storeProblems(sf)).toEqual([]);
        expect(treeOf(sf.ovOk(["mount", top]))).toEqual({ "base.txt": "base\n" });
        sf.ovOk(["unmount", top]);
        // containers-storage 1.43 tries to recreate the missing links from link files that are gone.
        for (const args of [["mount", top], ["create-layer", top]]) {
          const r = sf.cs(args);
          expect(r.code).not.toBe(0);
          expect(r.stderr).toContain("recreating the links");
        }
      } finally {
        sf.cleanup();
      }
    }, 60_000);
  });

  describe.skipIf(!hasPeers())("what the peers do with what they read", () => {
    let p: Peers;
    let app2: SampleImage;
    let n = 0;
    const skopeoCopy = () => p.tryCopyToOci(app2.name, join(s.dir, "oci", String(++n)));
    beforeAll(() => {
      p = peers(s);
      app2 = buildSampleImages(p, join(s.dir, "peers-src")).find((i) => i.name === "localhost/ovl-app:2")!;
    }, 60_000);
    afterEach(() => {
      p?.podman(["image", "umount", "--all", "--force"]);
    });
    afterAll(() => p?.cleanup());

    test("lower written in the new formats breaks them: skopeo fails as in podman's CI, podman mounts layer directories instead of files", () => {
      // Why ovlayer keeps writing l/ entries in lower: what skopeo 1.9 and podman 4.3 do otherwise.
      const lowerFile = join(home(), app2.top, "lower");
      const lower = readFileSync(lowerFile, "utf8");
      const chain = parentChain(readLayerRecords(s), app2.top);
      for (const [format, content] of [
        ["<ID>/diff", chain.map((c) => `${c}/diff`).join(":")],
        ["bare IDs", chain.join(":")],
      ] as const) {
        writeFileSync(lowerFile, content);
        try {
          expect(legacyProblems(s, app2.top).join("\n")).toMatch(/not an l\/<LID> entry/);
          const r = skopeoCopy();
          expect({ format, code: r.code, err: r.stderr }).toEqual({ format, code: 1, err: expect.stringContaining("creating file-getter: readlink") });
          expect(r.stderr).toContain("invalid argument");
          const m = p.podmanOk(["image", "mount", app2.name]);
          if (format === "<ID>/diff") expect(treeOf(m)).toEqual(app2.tree);
          else expect(Object.keys(treeOf(m))).toContain("link"); // the layer directories themselves, not their diff
          p.podmanOk(["image", "umount", app2.name]);
        } finally {
          writeFileSync(lowerFile, lower);
        }
      }
      // With l/ entries back, all is well again.
      expect(skopeoCopy().code).toBe(0);
      expect(legacyProblems(s, app2.top)).toEqual([]);
    }, 60_000);

    test("skopeo rebuilds layers from their tar-split files, and recreates a lost l/ link while it reads", () => {
      // Without R/overlay-layers/<ID>.tar-split.gz the tar skopeo makes from the diff is not the layer's: the copy fails.
      const tarSplit = join(s.graph, "overlay-layers", `${app2.top}.tar-split.gz`);
      renameSync(tarSplit, `${tarSplit}.aside`);
      try {
        const r = skopeoCopy();
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("Digest did not match");
      } finally {
        renameSync(`${tarSplit}.aside`, tarSplit);
      }
      // A lost l/ link of a lower layer: skopeo warns, writes the store (recreates every missing link) and goes on.
      const base = parentChain(readLayerRecords(s), app2.top).at(-1)!;
      const lid = readFileSync(join(home(), base, "link"), "utf8");
      unlinkSync(join(home(), "l", lid));
      const r = skopeoCopy();
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("attempting to recreate the missing symlinks");
      expect(readlinkSync(join(home(), "l", lid))).toBe(`../${base}/diff`);
    }, 60_000);
  });
});
