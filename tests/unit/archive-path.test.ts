import { describe, expect, test } from "bun:test";
import { normalizeEntryPath, normalizeLinkTarget, resolveDir, splitPath, type Probe } from "../../src/archive/apply/path-safety.ts";

describe("normalizeEntryPath()", () => {
  const cases: [string, string][] = [
    ["etc/passwd", "etc/passwd"],
    ["./etc/passwd", "etc/passwd"],
    ["/etc/passwd", "etc/passwd"],
    ["etc//x/./y/", "etc/x/y"],
    ["../../etc/passwd", "etc/passwd"],
    ["/../a/../../b", "b"],
    ["a/b/../c", "a/c"],
    ["./", ""],
    [".", ""],
    ["/", ""],
    ["..", ""],
    ["...", "..."],
    [".wh..wh..opq", ".wh..wh..opq"],
  ];
  for (const [name, want] of cases) test(`keeps ${JSON.stringify(name)} inside the root as ${JSON.stringify(want)}`, () => expect(normalizeEntryPath(name)).toBe(want));
  test("refuses a NUL byte", () => expect(() => normalizeEntryPath("a\0b")).toThrow(/contains a NUL byte/));
});

describe("normalizeLinkTarget()", () => {
  test("strips ./ and a leading slash", () => {
    expect(normalizeLinkTarget("./usr/bin/x", "h")).toBe("usr/bin/x");
    expect(normalizeLinkTarget("/usr/bin/x", "h")).toBe("usr/bin/x");
    expect(normalizeLinkTarget("usr/../bin/x", "h")).toBe("bin/x");
  });
  test("refuses a target that climbs out of the layer", () => {
    expect(() => normalizeLinkTarget("../../etc/shadow", "evil")).toThrow(/Hardlink "evil" -> "..\/..\/etc\/shadow" is refused: the target is outside the layer/);
    expect(() => normalizeLinkTarget("a/../../x", "evil")).toThrow(/outside the layer/);
    expect(() => normalizeLinkTarget("./", "evil")).toThrow(/the layer root/);
  });
});

describe("splitPath()", () => {
  test("splits at the last slash", () => {
    expect(splitPath("a/b/c")).toEqual({ dir: "a/b", base: "c" });
    expect(splitPath("c")).toEqual({ dir: "", base: "c" });
  });
});

describe("resolveDir()", () => {
  const ROOT = "/store/overlay/L/diff";
  function fs(tree: Record<string, Probe>): (rel: string) => Probe {
    return (rel) => tree[rel] ?? { kind: "missing" };
  }
  test("returns existing directories as they are", () => {
    expect(resolveDir(ROOT, "a/b", fs({ a: { kind: "dir" }, "a/b": { kind: "dir" } }), "a/b/f")).toEqual({ path: "a/b", missing: [] });
  });
  test("lists the missing directories outermost first", () => {
    expect(resolveDir(ROOT, "a/b/c", fs({ a: { kind: "dir" } }), "a/b/c/f")).toEqual({ path: "a/b/c", missing: ["a/b", "a/b/c"] });
  });
  test("follows a relative symlink that stays inside", () => {
    const probe = fs({ lib: { kind: "symlink", target: "usr/lib" }, usr: { kind: "dir" }, "usr/lib": { kind: "dir" } });
    expect(resolveDir(ROOT, "lib", probe, "lib/x.so")).toEqual({ path: "usr/lib", missing: [] });
  });
  test("follows an absolute symlink into the layer itself", () => {
    const probe = fs({ lib: { kind: "symlink", target: `${ROOT}/usr/lib` }, usr: { kind: "dir" }, "usr/lib": { kind: "dir" } });
    expect(resolveDir(ROOT, "lib", probe, "lib/x")).toEqual({ path: "usr/lib", missing: [] });
  });
  test("refuses a symlink to an absolute path outside the layer", () => {
    const probe = fs({ evil: { kind: "symlink", target: "/etc" } });
    expect(() => resolveDir(ROOT, "evil", probe, "evil/passwd")).toThrow(/Archive entry "evil\/passwd" is refused: its directory "evil" leads outside the layer: "evil" is a symlink to "\/etc", outside the layer/);
  });
  test("refuses a relative symlink that climbs above the root", () => {
    const probe = fs({ a: { kind: "dir" }, "a/up": { kind: "symlink", target: "../../.." } });
    expect(() => resolveDir(ROOT, "a/up/x", probe, "a/up/x/f")).toThrow(/leads outside the layer/);
  });
  test("refuses a symlink loop after 40 hops", () => {
    const probe = fs({ a: { kind: "symlink", target: "b" }, b: { kind: "symlink", target: "a" } });
    expect(() => resolveDir(ROOT, "a", probe, "a/f")).toThrow(/more than 40 symlinks/);
  });
  test("refuses a path through a regular file", () => {
    const probe = fs({ f: { kind: "other", what: "a regular file" } });
    expect(() => resolveDir(ROOT, "f/d", probe, "f/d/x")).toThrow(/"f" is a regular file, not a directory/);
  });
});
