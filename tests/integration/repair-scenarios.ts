/**
 * Shared by the repair integration tests: a small store made by ovlayer or by
 * containers-storage 1.43, the ways to break it, a full listing of the store
 * (to show that check and dry runs change nothing), and mounting every layer
 * with both tools to show every file is visible.
 */
import { expect } from "bun:test";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, truncateSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { formatLayersJson, parseLayersJson } from "../../src/store/records/layers-json.ts";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { firstLine, run, type TempStore } from "../helpers/store.ts";

export type Tool = "ovlayer" | "cs";

export interface Built {
  /** Layer IDs by short name: a (base), b on a, c and d on b. */
  ids: Record<"a" | "b" | "c" | "d", string>;
  /** Files each layer must show when mounted: its own and its ancestors'. */
  visible: Record<string, string[]>;
}

export const SHAPE = { a: undefined, b: "a", c: "b", d: "b" } as const;

/** Creates a, b, c, d with `tool` and puts one file in each layer's diff. */
export function buildStore(s: TempStore, tool: Tool): Built {
  const ids = {} as Built["ids"];
  const visible: Record<string, string[]> = {};
  for (const [name, parent] of Object.entries(SHAPE) as [keyof Built["ids"], keyof Built["ids"] | undefined][]) {
    const args = ["create-layer", ...(parent ? [ids[parent]] : [])];
    ids[name] = firstLine(tool === "ovlayer" ? s.ovOk(args) : s.csOk(args));
    writeFileSync(join(s.graph, "overlay", ids[name], "diff", `${name}.txt`), `layer ${name}\n`);
    visible[ids[name]] = [...(parent ? visible[ids[parent]]! : []), `${name}.txt`].sort();
  }
  return { ids, visible };
}

/** Every path under the graph and run roots with its type, mode, owner, and symlink target or content hash. */
export function listing(s: TempStore): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = relative(s.dir, p);
      const head = `${rel} ${(st.mode & 0o170777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out.push(`${head} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(head);
        walk(p);
      } else out.push(`${head} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(s.graph);
  try {
    walk(s.runRoot);
  } catch {}
  return out;
}

export interface Break {
  name: string;
  /** Breaks the store; returns the (code, layer) pairs check must report, sorted. */
  apply(s: TempStore, b: Built, tool: Tool): [string, string][];
}

const overlay = (s: TempStore, ...parts: string[]) => join(s.graph, "overlay", ...parts);
const pairs = (...p: [string, string][]) => p.sort((x, y) => (x.join() < y.join() ? -1 : 1));

function editLayersJson(s: TempStore, fn: (text: string) => string): void {
  const f = join(s.graph, "overlay-layers", "layers.json");
  writeFileSync(f, fn(readFileSync(f, "utf8")));
}

export const BREAKS: Break[] = [
  {
    name: "delete l/*",
    apply(s, { ids }) {
      for (const n of readdirSync(overlay(s, "l"))) rmSync(overlay(s, "l", n));
      return pairs(
        ...Object.values(ids).map((id) => ["link-missing", id] as [string, string]),
        ["lower-link-missing", ids.b],
        ["lower-link-missing", ids.c],
        ["lower-link-missing", ids.d],
      );
    },
  },
  {
    name: "delete */link",
    apply(s, { ids }) {
      for (const id of Object.values(ids)) rmSync(overlay(s, id, "link"));
      // c and d are tips: no lower file uses their l/ links, and now no link file names them either.
      return pairs(...Object.values(ids).map((id) => ["link-file-missing", id] as [string, string]), ["link-unclaimed", ids.c], ["link-unclaimed", ids.d]);
    },
  },
  {
    name: "delete l/* and */link",
    apply(s, { ids }) {
      for (const n of readdirSync(overlay(s, "l"))) rmSync(overlay(s, "l", n));
      for (const id of Object.values(ids)) rmSync(overlay(s, id, "link"));
      return pairs(
        ...Object.values(ids).map((id) => ["link-file-missing", id] as [string, string]),
        ["lower-link-missing", ids.b],
        ["lower-link-missing", ids.c],
        ["lower-link-missing", ids.d],
      );
    },
  },
  {
    name: "empty a lower",
    apply(s, { ids }) {
      truncateSync(overlay(s, ids.c, "lower"), 0);
      return [["lower-empty", ids.c]];
    },
  },
  {
    name: "truncate layers.json in the middle of a record",
    apply(s, { ids }) {
      // Records are in creation order: a and b stay intact, c is cut, d is lost.
      editLayersJson(s, (t) => t.slice(0, t.indexOf(`{"id":"${ids.c}"`) + 20));
      return pairs(["layers-json-corrupt", ""], ["dir-without-entry", ids.c], ["dir-without-entry", ids.d]);
    },
  },
  {
    name: "truncate layers.json to nothing",
    apply(s, { ids }) {
      truncateSync(join(s.graph, "overlay-layers", "layers.json"), 0);
      return pairs(...Object.values(ids).map((id) => ["dir-without-entry", id] as [string, string]));
    },
  },
  {
    name: "kill a create half-way",
    apply(s, { ids }) {
      // The state a create killed after its first steps leaves, as both tools order them: the
      // record saved flagged incomplete, then the directory with diff, the l/ link and link file;
      // no work, merged or lower yet.
      const id = "e".repeat(64);
      const lid = "HALFWAYHALFWAYHALFWAYHALFW";
      editLayersJson(s, (t) => {
        const recs = parseLayersJson(t, "layers.json");
        recs.push({ id, parent: ids.d, created: "2026-01-01T00:00:00Z", flags: { incomplete: true } });
        return formatLayersJson(recs);
      });
      mkdirSync(overlay(s, id, "diff"), { recursive: true });
      writeFileSync(overlay(s, id, "diff", "partial.txt"), "half\n");
      symlinkSync(`../${id}/diff`, overlay(s, "l", lid));
      writeFileSync(overlay(s, id, "link"), lid);
      return [["incomplete", id]];
    },
  },
  {
    name: "leave a stale mount count",
    apply(s, { ids }, tool) {
      const mp = firstLine(tool === "ovlayer" ? s.ovOk(["mount", ids.c]) : s.csOk(["mount", ids.c]));
      expect(mp).toBe(overlay(s, ids.c, "merged"));
      // Unmounted behind the tools' back (a crash, or `umount` by hand): the count stays.
      expect(run(["umount", mp]).code).toBe(0);
      return [["mount-count-stale", ids.c]];
    },
  },
];

function isMounted(path: string): boolean {
  return readMountinfo().some((m) => m.mountPoint === path && m.fsType === "overlay");
}

function listMerged(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Mounts every layer with ovlayer, then with containers-storage, and checks every expected file is visible. */
export function mountEveryLayer(s: TempStore, b: Built): void {
  for (const [id, files] of Object.entries(b.visible)) {
    const merged = overlay(s, id, "merged");
    expect(s.ovOk(["mount", id])).toBe(merged);
    try {
      expect(isMounted(merged)).toBe(true);
      expect(listMerged(merged)).toEqual(files);
      for (const f of files) expect(readFileSync(join(merged, f), "utf8")).toBe(`layer ${f.replace(".txt", "")}\n`);
    } finally {
      s.ovOk(["unmount", id]);
    }
    expect(isMounted(merged)).toBe(false);
    expect(s.csOk(["mount", id])).toBe(merged);
    try {
      expect(isMounted(merged)).toBe(true);
      expect(listMerged(merged)).toEqual(files);
    } finally {
      s.csOk(["unmount", id]);
    }
    expect(isMounted(merged)).toBe(false);
  }
}

/** check --json: exit code and the (code, layer) pairs. */
export function checkPairs(s: TempStore): { code: number; pairs: [string, string][]; problems: { code: string; layer?: string; file: string; problem: string }[] } {
  const r = s.ov(["check", "--json"]);
  const out = JSON.parse(r.stdout) as { problems: { code: string; layer?: string; file: string; problem: string }[] };
  return { code: r.code, pairs: pairs(...out.problems.map((p) => [p.code, p.layer ?? ""] as [string, string])), problems: out.problems };
}

/** repair's stdout lines with the backup file's time stamp masked (a dry run and the real run differ only there). */
export function actionLines(stdout: string): string[] {
  return stdout.split("\n").filter(Boolean).map((l) => l.replace(/\.corrupt-\d+T\d+Z/, ".corrupt-STAMP"));
}
