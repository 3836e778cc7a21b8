/**
 * The two files that name a layer's lower layers, uppermost first, joined by ':'
 * with no trailing newline:
 *
 *   lower         legacy: `l/<LID>` entries, each a symlink R/overlay/l/<LID> -> ../<ID>/diff
 *   lower-layers  new (containers/container-libs#666): plain layer IDs; the reader appends /diff
 *
 * Pure parsing and formatting; resolving entries is the chain rule of
 * chain-eval.ts, answered from the disk by chain.ts.
 */
import { OvError } from "../../errors.ts";
import { invalidIdReason, invalidLinkNameReason } from "./ids.ts";
import { quoteArg } from "../../quote.ts";

/** The most lower layers a layer may have: upstream's maxDepth and the kernel's OVL_MAX_STACK. */
export const MAX_DEPTH = 500;

export type LowerEntry =
  | { kind: "link"; lid: string; raw: string }
  | { kind: "id"; id: string; raw: string };

function corrupt(file: string, what: string): OvError {
  return new OvError("corrupt", `${file}: ${what}`, { hint: "run `ovlayer check` to see every problem and `ovlayer repair` to fix them" });
}

/** Splits a lower file's content; rejects an empty file and empty entries. */
function splitEntries(content: string, file: string): string[] {
  if (content.length === 0) throw corrupt(file, "the file is empty");
  const parts = content.split(":");
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "") throw corrupt(file, `entry ${i + 1} of ${parts.length} is empty`);
  }
  return parts;
}

/**
 * Parses one entry of `lower`: `l/<LID>` (legacy symlink) or a bare layer ID.
 * @throws {OvError} corrupt, naming the file and the entry.
 */
export function parseLowerEntry(raw: string, file: string): LowerEntry {
  if (raw.startsWith("l/")) {
    const lid = raw.slice(2);
    const why = invalidLinkNameReason(lid);
    if (why) throw corrupt(file, `entry ${quoteArg(raw)} is not a valid l/ link name: ${why}`);
    return { kind: "link", lid, raw };
  }
  const why = invalidIdReason(raw);
  if (why) throw corrupt(file, `entry ${quoteArg(raw)} is neither l/<LID> nor a layer ID: ${why}`);
  return { kind: "id", id: raw, raw };
}

/**
 * Parses the content of a `lower` file.
 * @throws {OvError} corrupt on an empty file, an empty entry or an entry that could escape the store.
 * @example parseLower("l/AAA:l/BBB", f) // [{kind:"link",lid:"AAA"},{kind:"link",lid:"BBB"}]
 */
export function parseLower(content: string, file: string): LowerEntry[] {
  return splitEntries(content, file).map((e) => parseLowerEntry(e, file));
}

/**
 * Parses the content of a `lower-layers` file: layer IDs only.
 * @throws {OvError} corrupt, naming the file and the bad entry.
 */
export function parseLowerLayers(content: string, file: string): string[] {
  const ids = splitEntries(content, file);
  for (const id of ids) {
    const why = invalidIdReason(id);
    if (why) throw corrupt(file, `entry ${quoteArg(id)} is not a layer ID: ${why}`);
  }
  return ids;
}

/**
 * The `l/<LID>` names a `lower` file's content mentions, read leniently: a
 * damaged file still uses the links it names, so check and repair must not
 * take them for unused ones.
 * @example linkNamesIn("l/AAA::bad:l/BBB") // ["AAA", "BBB"]
 */
export function linkNamesIn(content: string): string[] {
  return content
    .split(":")
    .filter((raw) => raw.startsWith("l/") && raw.length > 2)
    .map((raw) => raw.slice(2));
}

export function formatLowerLayers(ids: readonly string[]): string {
  return ids.join(":");
}

export function formatLower(lids: readonly string[]): string {
  return lids.map((l) => `l/${l}`).join(":");
}

/**
 * Parses a legacy link target `../<ID>/diff` and returns the ID, or null when
 * the target has any other shape (absolute, escaping, not a diff dir).
 */
export function idFromLinkTarget(target: string): string | null {
  const m = /^\.\.\/([^/]+)\/diff\/?$/.exec(target);
  if (!m) return null;
  return invalidIdReason(m[1]!) ? null : m[1]!;
}

export function linkTargetFor(id: string): string {
  return `../${id}/diff`;
}
