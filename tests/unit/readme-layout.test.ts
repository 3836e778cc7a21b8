/**
 * README's "Layout, one line per folder" list matches the tree: every folder
 * under src/ and tests/ that holds files has exactly one line, and every line
 * names a folder that exists.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const repo = join(import.meta.dir, "../..");

/** Folders (relative, with a trailing slash) below `top` that hold at least one file directly. */
function foldersWithFiles(top: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const entries = readdirSync(join(repo, rel), { withFileTypes: true });
    if (entries.some((e) => e.isFile())) out.push(`${rel}/`);
    for (const e of entries) if (e.isDirectory()) walk(`${rel}/${e.name}`);
  };
  walk(top);
  return out.sort();
}

function layoutLines(): string[] {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const start = readme.indexOf("Layout, one line per folder:");
  expect(start).toBeGreaterThan(0);
  const block = readme.slice(start).split("\n\n")[1]!;
  return block
    .split("\n")
    .map((l) => /^- `([^`]+\/)`:/.exec(l)?.[1])
    .filter((f): f is string => f !== undefined);
}

describe("README layout", () => {
  test("one line per folder of src/ and tests/, and no line for a folder that does not exist", () => {
    const listed = layoutLines();
    const dupes = listed.filter((f, i) => listed.indexOf(f) !== i);
    expect(dupes).toEqual([]);
    const tree = [...foldersWithFiles("src"), ...foldersWithFiles("tests")];
    expect([...listed].sort()).toEqual(tree);
  });
});
