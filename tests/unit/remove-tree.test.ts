import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errCode } from "../../src/errors.ts";
import { mkdirAll } from "../../src/store/files/mkdir-all.ts";
import { removeTree } from "../../src/store/files/remove-tree.ts";

let dir = "";
afterEach(() => {
  if (dir) Bun.spawnSync(["rm", "-rf", dir]);
  dir = "";
});
const tmp = () => (dir = mkdtempSync(join(tmpdir(), "ovl-rmtree-")));

describe("removeTree()", () => {
  test("removes a tree of files, dirs and symlinks, and leaves what a symlink points at", () => {
    const t = tmp();
    const keep = join(t, "keep");
    mkdirSync(keep);
    writeFileSync(join(keep, "k"), "k");
    const root = join(t, "tree");
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(root, `d${i}`, "sub"), { recursive: true });
      writeFileSync(join(root, `d${i}`, "sub", "f"), "x");
    }
    symlinkSync(keep, join(root, "link"));
    removeTree(root);
    expect(existsSync(root)).toBe(false);
    expect(existsSync(join(keep, "k"))).toBe(true);
  });

  test("removes a tree 3,000 levels deep (6,000 bytes of path, past PATH_MAX)", () => {
    const t = tmp();
    let fd = openSync(t, constants.O_RDONLY | constants.O_DIRECTORY);
    for (let i = 0; i < 3000; i++) {
      mkdirSync(`/proc/self/fd/${fd}/d`);
      const next = openSync(`/proc/self/fd/${fd}/d`, constants.O_RDONLY | constants.O_DIRECTORY);
      closeSync(fd);
      fd = next;
    }
    writeFileSync(`/proc/self/fd/${fd}/f`, "x");
    closeSync(fd);
    removeTree(join(t, "d"));
    expect(existsSync(join(t, "d"))).toBe(false);
  }, 60_000);

  test("a missing path is fine; a single file is unlinked; without recursive, a non-empty dir is ENOTEMPTY", () => {
    const t = tmp();
    removeTree(join(t, "nope"));
    writeFileSync(join(t, "f"), "x");
    removeTree(join(t, "f"), false);
    expect(existsSync(join(t, "f"))).toBe(false);
    mkdirSync(join(t, "d"));
    writeFileSync(join(t, "d", "x"), "x");
    let code: string | undefined;
    try {
      removeTree(join(t, "d"), false);
    } catch (e) {
      code = errCode(e);
    }
    expect(code).toBe("ENOTEMPTY");
  });
});

describe("mkdirAll()", () => {
  test("makes missing parents, accepts an existing dir, refuses a file with ENOTDIR naming the path", () => {
    const t = tmp();
    mkdirAll(join(t, "a", "b", "c"), 0o700);
    mkdirAll(join(t, "a", "b", "c"), 0o700);
    expect(existsSync(join(t, "a", "b", "c"))).toBe(true);
    writeFileSync(join(t, "file"), "x");
    let err: unknown;
    try {
      mkdirAll(join(t, "file"), 0o700);
    } catch (e) {
      err = e;
    }
    expect(errCode(err)).toBe("ENOTDIR");
    expect((err as { path?: string }).path).toBe(join(t, "file"));
    rmSync(join(t, "file"));
  });
});

describe("one way to make and remove trees", () => {
  test("only store/files/mkdir-all.ts calls a recursive mkdirSync, and no source file calls rmSync (store/files/remove-tree.ts removes)", () => {
    const src = join(import.meta.dir, "../../src");
    const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith(".ts"));
    const calling = (re: RegExp) => files.filter((f) => re.test(readFileSync(join(src, f), "utf8"))).sort();
    expect(calling(/mkdirSync\([^)]*recursive: true/)).toEqual(["store/files/mkdir-all.ts"]);
    expect(calling(/\brmSync\(/)).toEqual([]);
  });
});
