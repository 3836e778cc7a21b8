/**
 * Builds layer chains quickly, in-process (one createLayer call per layer
 * instead of one process each), with one file per layer so tests can check
 * that every layer is visible through a mount.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLayer } from "../../src/store/lifecycle/create.ts";
import { StorePaths } from "../../src/store/paths.ts";

export interface Chain {
  ids: string[];
  paths: StorePaths;
}

/** Creates `n` layers, each the child of the previous one; layer i holds file `f<i>` with content `layer <i>`. */
export async function buildChain(graph: string, runRoot: string, n: number, opts: { parent?: string; prefix?: string } = {}): Promise<Chain> {
  const paths = new StorePaths(graph, runRoot);
  const ids: string[] = [];
  let parent = opts.parent;
  const prefix = opts.prefix ?? "f";
  for (let i = 0; i < n; i++) {
    const rec = await createLayer(paths, parent ? { parent } : {});
    writeFileSync(join(paths.diff(rec.id), `${prefix}${i}`), `layer ${i}\n`);
    ids.push(rec.id);
    parent = rec.id;
  }
  return { ids, paths };
}
