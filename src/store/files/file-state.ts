/**
 * A small file of the store as one read sees it: absent, its text, or why it
 * could not be read. The unit of the on-disk model that the chain rule
 * (chain-eval.ts), the verbs and check/repair share, so a file that cannot be
 * read is judged the same way by all of them.
 */
import { readFileSync } from "node:fs";
import { describeCause, errCode } from "../../errors.ts";

export type FileState =
  | { kind: "missing" }
  | { kind: "text"; text: string }
  /** `error` is the short cause ("read: EISDIR"); `cause` the error thrown, for the errno policy. */
  | { kind: "error"; error: string; cause?: unknown };

export const MISSING: FileState = Object.freeze({ kind: "missing" });

/** Reads `path`: ENOENT is "missing", any other failure (EISDIR, EACCES, ...) "error". */
export function readFileState(path: string): FileState {
  try {
    return { kind: "text", text: readFileSync(path, "utf8") };
  } catch (e) {
    if (errCode(e) === "ENOENT") return MISSING;
    return { kind: "error", error: describeCause(e), cause: e };
  }
}

export function textOf(f: FileState): string | null {
  return f.kind === "text" ? f.text : null;
}
