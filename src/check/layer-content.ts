/**
 * Whether a layer's content still is what it was imported as (upstream's
 * check without --quick): its diff is rebuilt as `diff` does (tar-split +
 * diff directory), hashed and counted, and compared with `diff-digest` and
 * `diff-size`; then the diff directory is walked and every entry the
 * tar-split does not list ("+/path") or that it lists but is gone
 * ("-/path") is reported. Reads only: the layer's diff directory, its
 * lowers' and its tar-split file.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { OvError } from "../errors.ts";
import { resolveDiffTarget, targetTarball } from "../archive/layer.ts";
import { existingTarSplit } from "../archive/layer-target.ts";
import { cleanName, parseTarSplitLine } from "../archive/tarsplit/format.ts";
import { lines } from "../archive/tarsplit/reader.ts";
import type { LayerRecord } from "../store/records/layers-json.ts";
import type { StorePaths } from "../store/paths.ts";
import { UPSTREAM_ERRORS } from "./upstream/judge.ts";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** The paths a tar-split lists, as they appear in a diff directory (whiteouts become their target). Pure. */
export function expectedPaths(tarNames: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const raw of tarNames) {
    const name = cleanName(raw).replace(/^\.?\/+/, "").replace(/\/+$/, "");
    if (name === "" || name === ".") continue;
    const slash = name.lastIndexOf("/");
    const dir = slash < 0 ? "" : name.slice(0, slash + 1);
    const base = name.slice(slash + 1);
    if (base === OPAQUE) continue;
    set.add(base.startsWith(WHITEOUT) ? dir + base.slice(WHITEOUT.length) : name);
  }
  return set;
}

/** "+/path" for what is on disk but not expected, "-/path" for the reverse, sorted. Pure. */
export function compareTrees(expected: ReadonlySet<string>, actual: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const p of actual) if (!expected.has(p)) out.push(`+/${p}`);
  for (const p of expected) if (!actual.has(p)) out.push(`-/${p}`);
  return out.sort((a, b) => (a.slice(1) < b.slice(1) ? -1 : a.slice(1) > b.slice(1) ? 1 : 0));
}

function walk(dir: string, prefix = "", into = new Set<string>()): Set<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + d.name;
    into.add(rel);
    if (d.isDirectory()) walk(`${dir}/${d.name}`, `${rel}/`, into);
  }
  return into;
}

async function tarSplitNames(file: string): Promise<string[]> {
  const names: string[] = [];
  let n = 0;
  for await (const line of lines(file)) {
    const e = parseTarSplitLine(line, file, ++n);
    if (e.type === "file") names.push(e.name);
  }
  return names;
}

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.includes("file integrity checksum failed") ? "file integrity checksum failed" : m;
}

/**
 * Content problems of `rec` in upstream's words (without "layer ID: "),
 * empty when it has none or records no `diff-digest` (nothing to vouch for).
 * Without `compareTree` (a layer of a read-only store, as upstream) only the
 * digest and size are checked, not the tree against the tar-split.
 */
export async function layerContentErrors(paths: StorePaths, records: readonly LayerRecord[], rec: LayerRecord, compareTree = true): Promise<string[]> {
  const digest = rec["diff-digest"];
  if (typeof digest !== "string" || digest === "") return [];
  const [algo, want] = digest.split(":");
  if (algo !== "sha256" || !want) return [`unsupported digest ${JSON.stringify(digest)}`];
  const errs: string[] = [];
  let count = 0;
  try {
    const t = resolveDiffTarget(paths, records, rec.id, undefined, "check");
    const h = createHash("sha256");
    for await (const chunk of targetTarball(paths, t, 0n)) {
      h.update(chunk);
      count += chunk.length;
    }
    if (h.digest("hex") !== want) errs.push(UPSTREAM_ERRORS.incorrectDigest);
    const size = rec["diff-size"];
    if (typeof size === "number" && size >= 0 && size !== count) errs.push(`read ${count} bytes instead of ${size} bytes: ${UPSTREAM_ERRORS.incorrectSize}`);
    if (errs.length || !compareTree) return errs;
    const ts = existingTarSplit(paths, rec.id);
    if (!ts) return [];
    const diffs = compareTrees(expectedPaths(await tarSplitNames(ts)), walk(paths.diff(rec.id)));
    return diffs.map((d) => `${d}, ${UPSTREAM_ERRORS.modified}`);
  } catch (e) {
    if (e instanceof OvError || e instanceof Error) return [message(e)];
    throw e;
  }
}
