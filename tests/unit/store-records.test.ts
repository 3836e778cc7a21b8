/**
 * The typed decoder (store/records/decode.ts) and the image and container codecs:
 * field types, duplicates, unknown fields, nesting depth, and output
 * byte-identical to what containers-storage 1.43 wrote.
 */
import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import { applyNameOp, addToHistory, moveNames } from "../../src/store/any-kind.ts";
import { bigDataBaseName, noteBigData, sha256Digest } from "../../src/store/lifecycle/big-data.ts";
import { formatContainersJson, parseContainersJson } from "../../src/store/records/containers-json.ts";
import { valueDepth } from "../../src/store/records/decode.ts";
import { formatImagesJson, imageDigests, parseImagesJson, recomputeDigest, type ImageRecord } from "../../src/store/records/images-json.ts";
import { layersToRemove, planImageRecord, validateDigest } from "../../src/store/lifecycle/images.ts";
import { formatLayersJson, parseLayersJson, type LayerRecord } from "../../src/store/records/layers-json.ts";
import { parseMountpoints } from "../../src/store/records/mountpoints.ts";

/** What containers-storage 1.43 wrote (create-image -n img1 -n 'a<b' -m meta --digest ..., three data items). */
const CS_IMAGES =
  '[{"id":"5390e7b5eb5cac311ab941015bd23f6818d9e7bfc4cf402e4967a99e941ac6fe","digest":"sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","names":["img1","a\\u003cb"],"layer":"c937a4665e473aa9c6813addea2abea9cf9827670674f406d4e578f81ca117a2","metadata":"meta","big-data-names":["manifest","Big Key/x","abc.1"],"big-data-sizes":{"Big Key/x":5,"abc.1":5,"manifest":5},"big-data-digests":{"Big Key/x":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","abc.1":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","manifest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},"created":"2026-12-01T16:04:13.590282125Z"}]';
const CS_CONTAINERS =
  '[{"id":"318d3d2c928bca0b98b9bc7d7beaeb02333b861bfa97de1d40467d04029e70c9","names":["c1"],"image":"5390e7b5eb5cac311ab941015bd23f6818d9e7bfc4cf402e4967a99e941ac6fe","layer":"6c4775a8ef10c7d91de26683400f32e3db31b0cd63b8c0b94defa6d2cbc4fd3b","big-data-names":["k1"],"big-data-sizes":{"k1":5},"big-data-digests":{"k1":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},"created":"2026-12-01T16:04:14.117924645Z","flags":{"MountLabel":"","ProcessLabel":""}}]';

function corruptMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OvError);
    expect((e as OvError).kind).toBe("corrupt");
    return (e as Error).message;
  }
  throw new Error("expected a corrupt error");
}

describe("decodeRecords() through the four codecs", () => {
  test('layers.json: "names": "foobar" is corrupt, naming the file, the entry and the field', () => {
    const m = corruptMessage(() => parseLayersJson('[{"id":"a","names":"foobar"}]', "/s/overlay-layers/layers.json"));
    expect(m).toBe('/s/overlay-layers/layers.json: entry 1 of 1 (layer "a"): "names" must be string[], found string');
  });
  test('layers.json: "parent": {"x":1} is corrupt instead of printing [object Object]', () => {
    expect(corruptMessage(() => parseLayersJson('[{"id":"a","parent":{"x":1}}]', "f"))).toContain('"parent" must be string, found object');
  });
  test("a duplicated record is refused, naming both entries", () => {
    expect(corruptMessage(() => parseLayersJson('[{"id":"a"},{"id":"b"},{"id":"a"}]', "f"))).toContain('entry 3 of 3 (layer "a"): the same ID as entry 1');
    expect(corruptMessage(() => parseMountpoints('[{"id":"a","path":"/m","count":1},{"id":"a","path":"/m","count":1}]', "f"))).toContain("the same ID as entry 1");
  });
  test("a name used by two records is refused", () => {
    const two = '[{"id":"a","names":["x"],"image":"","layer":""},{"id":"b","names":["y","x"],"image":"","layer":""}]';
    expect(corruptMessage(() => parseContainersJson(two, "c.json"))).toContain('entry 2 of 2 (container "b"): the name "x" is also entry 1\'s');
    expect(corruptMessage(() => parseImagesJson(two, "i.json"))).toContain('(image "b")');
  });
  test("a 100,000-deep unknown field is refused without a stack overflow, naming the field", () => {
    const deep = '[{"id":"a","x":' + "[".repeat(100_000) + "]".repeat(100_000) + "}]";
    expect(corruptMessage(() => parseLayersJson(deep, "f"))).toContain('"x" is nested deeper than 64 levels');
    const flags = '[{"id":"a","flags":{"k":' + "[".repeat(70) + "]".repeat(70) + "}}]";
    expect(corruptMessage(() => parseLayersJson(flags, "f"))).toContain('"flags" is nested deeper than 64 levels');
  });
  test("valueDepth() counts parsed nesting, not brackets inside strings, and stops past its limit", () => {
    expect(valueDepth(JSON.parse('[{"id":"[[[[\\"{{{{"}]'))).toBe(2);
    expect(valueDepth("x")).toBe(0);
    expect(valueDepth({ a: [{ b: [] }] })).toBe(4);
    expect(valueDepth(JSON.parse("[".repeat(1000) + "]".repeat(1000)), 10)).toBe(11);
  });
  test("wrong types in images.json and containers.json name the field", () => {
    expect(corruptMessage(() => parseImagesJson('[{"id":"i","big-data-sizes":{"m":"5"}}]', "f"))).toContain('"big-data-sizes" must be map<number>, found object');
    expect(corruptMessage(() => parseContainersJson('[{"id":"c","layer":7}]', "f"))).toContain('"layer" must be string, found number');
    expect(corruptMessage(() => parseImagesJson('{"id":"i"}', "f"))).toContain("expected a JSON array of image records, found object");
    expect(corruptMessage(() => parseImagesJson('[{"id":"i"', "f"))).toContain("does not parse as JSON");
    expect(corruptMessage(() => parseContainersJson("[42]", "f"))).toContain("entry 1 of 1 is number, not an object");
  });
  test("null fields are read as Go reads them (absent) and dropped on writing", () => {
    expect(formatLayersJson(parseLayersJson('[{"id":"a","names":null,"created":"2020-01-01T00:00:00Z"}]', "f"))).toBe('[{"id":"a","created":"2020-01-01T00:00:00Z"}]');
  });
});

describe("image and container codecs", () => {
  test("images.json written by containers-storage 1.43 is rewritten byte for byte", () => {
    expect(formatImagesJson(parseImagesJson(CS_IMAGES, "f"))).toBe(CS_IMAGES);
  });
  test("containers.json written by containers-storage 1.43 is rewritten byte for byte", () => {
    expect(formatContainersJson(parseContainersJson(CS_CONTAINERS, "f"))).toBe(CS_CONTAINERS);
  });
  test("unknown fields survive, after the known ones; known fields go back to Go's order, maps sorted", () => {
    const text = '[{"zz":{"a":[1]},"created":"2020-01-01T00:00:00Z","big-data-sizes":{"b":1,"a":2},"names":[],"id":"i","layer":"l"}]';
    expect(formatImagesJson(parseImagesJson(text, "f"))).toBe('[{"id":"i","layer":"l","big-data-sizes":{"a":2,"b":1},"created":"2020-01-01T00:00:00Z","zz":{"a":[1]}}]');
  });
  test("a container always has image, layer and created, as Go writes them", () => {
    expect(formatContainersJson(parseContainersJson('[{"id":"c"}]', "f"))).toBe('[{"id":"c","image":"","layer":"","created":"0001-01-01T00:00:00Z"}]');
  });
});

describe("image digests and big data", () => {
  test("digest first, then each distinct manifest* digest", () => {
    const img = parseImagesJson(CS_IMAGES, "f")[0]!;
    expect(imageDigests(img)).toEqual(["sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"]);
  });
  test("the first manifest gives an image without a digest its digest; later ones do not replace it", () => {
    const img: ImageRecord = { id: "i" };
    noteBigData(img, "config", 1, "sha256:" + "c".repeat(64));
    recomputeDigest(img);
    expect(img.digest).toBeUndefined();
    noteBigData(img, "manifest-b", 1, "sha256:" + "b".repeat(64));
    recomputeDigest(img);
    noteBigData(img, "manifest", 1, "sha256:" + "a".repeat(64));
    recomputeDigest(img);
    expect(img.digest).toBe("sha256:" + "b".repeat(64));
    expect(imageDigests(img)).toEqual(["sha256:" + "b".repeat(64), "sha256:" + "a".repeat(64)]);
  });
  test("big data file names as upstream's makeBigDataBaseName", () => {
    expect(bigDataBaseName("manifest")).toBe("manifest");
    expect(bigDataBaseName("abc.1")).toBe("abc.1");
    expect(bigDataBaseName("Big Key/x")).toBe("=QmlnIEtleS94");
    expect(bigDataBaseName("../x")).toBe("=Li4veA==");
  });
  test("sha256Digest is the canonical digest of the bytes", () => {
    expect(sha256Digest(new TextEncoder().encode("hello"))).toBe("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  });
  test("validateDigest() refuses what go-digest refuses", () => {
    expect(validateDigest("sha256:" + "a".repeat(64))).toBe("sha256:" + "a".repeat(64));
    expect(() => validateDigest("sha256:abc")).toThrow("invalid checksum digest length");
    expect(() => validateDigest("md5:" + "a".repeat(32))).toThrow("unsupported digest algorithm");
    expect(() => validateDigest("nocolon")).toThrow("invalid checksum digest format");
  });
});

describe("planning and names", () => {
  const layers: LayerRecord[] = [{ id: "l1" }, { id: "l2", parent: "l1" }, { id: "l3", parent: "l2" }, { id: "x", parent: "l1" }];
  test("planImageRecord() refuses a name another image has and an unknown layer", () => {
    const images: ImageRecord[] = [{ id: "i1", names: ["n"] }];
    expect(() => planImageRecord(images, layers, { names: ["n"] }, 0n)).toThrow('image name "n" is already associated with image "i1"');
    expect(() => planImageRecord(images, layers, { layer: "nope" }, 0n)).toThrow("layer not known");
    expect(() => planImageRecord(images, layers, { id: "i1" }, 0n)).toThrow("already exists");
    expect(planImageRecord(images, layers, { layer: "l3", names: ["a/b:1"] }, 0n)).toMatchObject({ layer: "l3", names: ["a/b:1"] });
  });
  test("layersToRemove() walks down until a layer is shared, has other children, or is another image's", () => {
    expect(layersToRemove({ id: "i", layer: "l3" }, [], layers, new Set())).toEqual(["l3", "l2"]);
    expect(layersToRemove({ id: "i", layer: "l3" }, [{ id: "j", layer: "l2" }], layers, new Set())).toEqual(["l3"]);
    expect(layersToRemove({ id: "i" }, [], layers, new Set())).toEqual([]);
  });
  test("name operations as applyNameOperation: add puts the new names first, all deduplicated", () => {
    expect(applyNameOp(["a", "b"], ["c", "a"], "add")).toEqual(["c", "a", "b"]);
    expect(applyNameOp(["a", "b"], ["a"], "remove")).toEqual(["b"]);
    expect(applyNameOp(["a"], ["x", "x"], "set")).toEqual(["x"]);
  });
  test("moveNames() takes a name from the record that had it", () => {
    const recs = [{ id: "1", names: ["a", "b"] }, { id: "2", names: ["c"] }];
    moveNames(recs, recs[1]!, ["a", "c"]);
    expect(recs).toEqual([{ id: "1", names: ["b"] }, { id: "2", names: ["a", "c"] }]);
  });
  test("names-history gets the newest name first, without duplicates", () => {
    expect(addToHistory(["old", "b"], ["a", "b"])).toEqual(["b", "a", "old"]);
  });
});
