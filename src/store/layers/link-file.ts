/**
 * A layer's `link` file, R/overlay/<ID>/link: the 26-char name of its legacy
 * `l/<LID>` symlink, with no newline. The one parser of it, used by
 * create-layer (which copies the name into a child's `lower`), by layer
 * removal and by check/repair. A link name follows the one rule that the
 * `l/<LID>` entries of `lower` files follow too (ids.ts invalidLinkNameReason).
 */
import { OvError, sysError } from "../../errors.ts";
import { readFileState } from "../files/file-state.ts";
import { invalidLinkNameReason } from "./ids.ts";
import type { StorePaths } from "../paths.ts";
import { quoteArg } from "../../quote.ts";

export interface LinkFile {
  /** The link name meant (trailing newlines dropped), or null when there is none. */
  lid: string | null;
  /** What is wrong with the file's exact content, or null. */
  problem: string | null;
}

/**
 * Parses a `link` file. A trailing newline still names a link (`lid`) but is
 * a problem: upstream's getLower copies the content verbatim into a child's
 * `lower`, so it breaks children made by old tools.
 * @example parseLinkFile("AAAA:BBBB") // { lid: null, problem: 'its content "AAAA:BBBB" is not a link name: it contains \':\' ...' }
 */
export function parseLinkFile(text: string): LinkFile {
  const lid = text.replace(/\n+$/, "");
  const why = invalidLinkNameReason(lid);
  if (why) return { lid: null, problem: `its content ${quoteArg(text)} is not a link name: ${why}` };
  if (lid !== text) return { lid, problem: `its content ${quoteArg(text)} ends with a newline, which old tools copy into their children's lower files` };
  return { lid, problem: null };
}

/**
 * The link name in layer `id`'s `link` file, or null when it has none.
 * @throws {OvError} corrupt when the file holds no link name; the errno's kind when it cannot be read.
 */
export function readLinkId(paths: StorePaths, id: string): string | null {
  const file = paths.linkFile(id);
  const f = readFileState(file);
  if (f.kind === "missing") return null;
  if (f.kind === "error") throw sysError(`Cannot read the link file of layer ${id}`, f.cause, { path: file });
  const parsed = parseLinkFile(f.text);
  if (parsed.lid === null) {
    throw new OvError("corrupt", `${file}: ${parsed.problem}`, { hint: "run `ovlayer check` to see every problem and `ovlayer repair` to fix them" });
  }
  return parsed.lid;
}
