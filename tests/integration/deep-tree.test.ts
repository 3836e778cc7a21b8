/**
 * A layer whose diff holds a directory tree 5,000 levels deep (10,000 bytes
 * of path, past PATH_MAX): `diff` walks it with its own stack and short
 * fd-anchored paths, so it neither overflows the call stack nor fails with
 * ENAMETOOLONG; `delete-layer` removes it in linear time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canMount, firstLine, OVLAYER, tempStore, type TempStore } from "../helpers/store.ts";

const DEPTH = 5000;

/** Makes `d/d/.../d/leaf` DEPTH levels below `dir`, each level reached from an fd of the one above. */
function deepTree(dir: string): void {
  let fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (let i = 0; i < DEPTH; i++) {
      mkdirSync(`/proc/self/fd/${fd}/d`);
      const next = openSync(`/proc/self/fd/${fd}/d`, constants.O_RDONLY | constants.O_DIRECTORY);
      closeSync(fd);
      fd = next;
    }
    writeFileSync(`/proc/self/fd/${fd}/leaf`, "deep\n");
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!canMount())(`a directory tree ${DEPTH} levels deep`, () => {
  let s: TempStore;
  let id: string;
  beforeAll(() => {
    s = tempStore("ovl-deep-");
    id = firstLine(s.ovOk(["create-layer", "-n", "deep"]));
    deepTree(join(s.graph, "overlay", id, "diff"));
  }, 300_000);
  // GNU rm walks by fd: the test's own rmSync takes minutes on a tree past PATH_MAX.
  afterAll(() => {
    Bun.spawnSync(["rm", "-rf", join(s.graph, "overlay", id, "diff")]);
    s.cleanup();
  }, 300_000);

  test("diff exports every level and the file at the bottom", () => {
    const tarball = join(s.dir, "deep.tar");
    const r = s.ov(["diff", "-u", "-f", tarball, "deep"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const list = Bun.spawnSync(["tar", "-tf", tarball], { stdout: "pipe", stderr: "pipe" });
    expect(list.exitCode).toBe(0);
    const names = list.stdout.toString().split("\n").filter(Boolean);
    expect(names.length).toBe(DEPTH + 1);
    expect(names.at(-1)).toBe("d/".repeat(DEPTH) + "leaf");
  }, 120_000);

  test("delete-layer removes it, each level once (src/store/files/remove-tree.ts)", () => {
    const r = s.ov(["delete-layer", "deep"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(s.ovOk(["layers", "-q"])).toBe("");
    expect(existsSync(join(s.graph, "overlay", id))).toBe(false);
  }, 120_000);
});
