/**
 * THE chain rule: how a layer's `lower-layers` and `lower` files become its
 * chain of lower layers, or typed problems. Pure: it reads the store through
 * `ChainFacts`, which the verbs answer from the disk (chain.ts: mount, diff,
 * create-layer, all of which refuse a chain with problems) and check/repair
 * from their snapshot (check/view.ts: reported as findings). One rule, so
 * `mount` refuses exactly the chains `check` reports.
 *
 *   - `lower-layers` is the reader's choice; `lower` only when it is absent.
 *   - an empty file, an empty or invalid entry, more than MAX_DEPTH entries,
 *     or an entry leading to the layer itself or to a layer named before (a
 *     loop) makes the whole file invalid;
 *   - each entry must lead to a real layer directory with a real `diff`
 *     directory (an `l/<LID>` entry through a symlink `../<ID>/diff`).
 */
import type { FileState } from "../files/file-state.ts";
import { MAX_DEPTH, idFromLinkTarget, parseLower, parseLowerLayers, type LowerEntry } from "./lower.ts";
import type { StorePaths } from "../paths.ts";
import { quoteArg } from "../../quote.ts";

/** Whether an ID names a layer: a real directory in R/overlay with a real `diff` directory in it. */
export type LayerPresence = "ok" | "no-diff" | "missing";

/** An `l/<LID>` name resolved to a layer ID, or why not. */
export type LinkLookup = { id: string } | { kind: "link-missing" | "link-bad"; why: string };
export type LinkResolver = (lid: string) => LinkLookup;

/**
 * What an `l/<LID>` entry found at `link` (its path) leads to: `target` is
 * undefined when nothing is there, null when it is not a symlink, else the
 * symlink's target, which must be `../<ID>/diff` of a valid ID.
 */
export function linkLookup(link: string, target: string | null | undefined): LinkLookup {
  if (target === undefined) return { kind: "link-missing", why: `${link} does not exist` };
  if (target === null) return { kind: "link-bad", why: `${link} is not a symlink` };
  const id = idFromLinkTarget(target);
  return id ? { id } : { kind: "link-bad", why: `${link} points to ${quoteArg(target)}, not ../<ID>/diff inside the store` };
}

/** What the rule needs to know of a store. */
export interface ChainFacts {
  paths: StorePaths;
  /** Layer `id`'s `lower` or `lower-layers` file. */
  file(id: string, name: "lower" | "lower-layers"): FileState;
  layer(id: string): LayerPresence;
}

/** Why one entry of a lower file does not lead to a layer's diff. */
export interface Unresolved {
  /** 0-based position. */
  index: number;
  raw: string;
  kind: "link-missing" | "link-bad" | "missing-layer";
  why: string;
}

/** A lower file judged: absent, unreadable, unusable as a whole, or parsed with each entry resolved or not. */
export type ChainEval =
  | { state: "absent" }
  | { state: "unreadable"; error: string; cause?: unknown }
  | { state: "invalid"; kind: "empty" | "malformed" | "too-deep"; problem: string }
  | { state: "parsed"; entries: LowerEntry[]; ids: (string | null)[]; unresolved: Unresolved[] };

export type ChainSource = "lower-layers" | "lower" | "none";

/** The chain a reader uses: from which file, judged. */
export interface ChainRead {
  source: ChainSource;
  /** The file read (absent for "none"). */
  file?: string;
  /** Its text, when it was read. */
  text?: string;
  eval: ChainEval;
}

const BASE: ChainEval = Object.freeze({ state: "parsed", entries: [], ids: [], unresolved: [] });

/** "entry 2 of 5" */
export function entryOf(index: number, total: number): string {
  return `entry ${index + 1} of ${total}`;
}

function judgeText(f: FileState, file: string, parse: (t: string, file: string) => LowerEntry[]): ChainEval | LowerEntry[] {
  if (f.kind === "missing") return { state: "absent" };
  if (f.kind === "error") return { state: "unreadable", error: f.error, ...(f.cause === undefined ? {} : { cause: f.cause }) };
  if (f.text === "") return { state: "invalid", kind: "empty", problem: "the file is empty" };
  let entries: LowerEntry[];
  try {
    entries = parse(f.text, file);
  } catch (e) {
    return { state: "invalid", kind: "malformed", problem: (e as Error).message.replace(`${file}: `, "") };
  }
  if (entries.length > MAX_DEPTH) {
    return { state: "invalid", kind: "too-deep", problem: `it names ${entries.length} lower layers, the limit is ${MAX_DEPTH} (max depth exceeded)` };
  }
  return entries;
}

function missingWhy(facts: ChainFacts, id: string, presence: LayerPresence): string {
  return presence === "missing" ? `layer ${id} does not exist (no directory ${facts.paths.layer(id)})` : `layer ${id} has no diff directory ${facts.paths.diff(id)}`;
}

/** Resolves every entry; a loop (the layer itself, or a layer twice) makes the file invalid. */
function resolveAll(facts: ChainFacts, self: string, entries: LowerEntry[], resolveLink: LinkResolver): ChainEval {
  const ids: (string | null)[] = [];
  const unresolved: Unresolved[] = [];
  const seen = new Map<string, number>([[self, -1]]);
  for (let index = 0; index < entries.length; index++) {
    const e = entries[index]!;
    let id: string;
    if (e.kind === "link") {
      const r = resolveLink(e.lid);
      if (!("id" in r)) {
        unresolved.push({ index, raw: e.raw, kind: r.kind, why: r.why });
        ids.push(null);
        continue;
      }
      id = r.id;
    } else id = e.id;
    const before = seen.get(id);
    if (before !== undefined) {
      const via = e.kind === "link" ? ` ${quoteArg(e.raw)} leads to layer ${id}, which` : ` ${quoteArg(e.raw)}`;
      const what = before < 0 ? "is the layer itself" : `${entryOf(before, entries.length)} names already`;
      return { state: "invalid", kind: "malformed", problem: `${entryOf(index, entries.length)}${via} ${what}: the chain loops` };
    }
    seen.set(id, index);
    const presence = facts.layer(id);
    if (presence !== "ok") {
      const why = missingWhy(facts, id, presence);
      unresolved.push({ index, raw: e.raw, kind: "missing-layer", why: e.kind === "link" ? `it points at ${id}, but ${why}` : why });
      ids.push(null);
      continue;
    }
    ids.push(id);
  }
  return { state: "parsed", entries, ids, unresolved };
}

const notAnId: LinkResolver = () => ({ kind: "link-bad", why: "not an ID" });

/** Judges layer `id`'s `lower-layers`. */
export function evalLowerLayers(facts: ChainFacts, id: string): ChainEval {
  const file = facts.paths.lowerLayersFile(id);
  const r = judgeText(facts.file(id, "lower-layers"), file, (t, f) => parseLowerLayers(t, f).map((i) => ({ kind: "id", id: i, raw: i })));
  return Array.isArray(r) ? resolveAll(facts, id, r, notAnId) : r;
}

/** Judges layer `id`'s `lower`, resolving `l/` entries with `resolveLink`. */
export function evalLower(facts: ChainFacts, id: string, resolveLink: LinkResolver): ChainEval {
  const r = judgeText(facts.file(id, "lower"), facts.paths.lowerFile(id), parseLower);
  return Array.isArray(r) ? resolveAll(facts, id, r, resolveLink) : r;
}

/**
 * The chain a reader uses for layer `id`: `lower-layers`, else `lower`, else
 * none (a base layer). `lower` is read only when `lower-layers` is absent.
 */
export function evalChain(facts: ChainFacts, id: string, resolveLink: LinkResolver): ChainRead {
  const llFile = facts.paths.lowerLayersFile(id);
  const llState = facts.file(id, "lower-layers");
  if (llState.kind !== "missing") {
    return { source: "lower-layers", file: llFile, ...textField(llState), eval: evalLowerLayers({ ...facts, file: () => llState }, id) };
  }
  const lState = facts.file(id, "lower");
  if (lState.kind !== "missing") {
    return { source: "lower", file: facts.paths.lowerFile(id), ...textField(lState), eval: evalLower({ ...facts, file: () => lState }, id, resolveLink) };
  }
  return { source: "none", eval: BASE };
}

function textField(f: FileState): { text?: string } {
  return f.kind === "text" ? { text: f.text } : {};
}

/** The chain as IDs when every entry resolved, else null. */
export function resolvedIds(c: ChainEval): string[] | null {
  if (c.state !== "parsed" || c.unresolved.length) return null;
  return c.ids as string[];
}
