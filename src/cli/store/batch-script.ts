/**
 * Parsing of a `batch` script, pure: one command per line, split into words
 * the way a POSIX shell splits them, without any expansion.
 *
 * - Blanks (space, tab) separate words; a `#` at the start of a word starts
 *   a comment that runs to the end of the line; blank lines are skipped.
 * - '...' keeps everything literally; "..." keeps everything but `\` before
 *   `"`, `\`, `$`, `` ` `` and a newline; outside quotes `\` keeps the next
 *   character, and `\` at the end of a line joins it with the next one.
 * - `$`, `` ` ``, `*`, `~`, `;`, `|`, `&`, `<`, `>` are ordinary characters:
 *   nothing is expanded, substituted, redirected or chained.
 * - The script is UTF-8: a line that is not is refused (decodeBatch), as
 *   arguments that are not are (raw-args.ts), never rewritten to U+FFFD.
 */
import { OvError } from "../../errors.ts";
import { cutShown } from "../../quote.ts";
import { isUtf8, showBytes } from "../raw-args.ts";

export interface BatchLine {
  /** 1-based number of the line the command starts on. */
  line: number;
  words: string[];
}

/**
 * The text of a script read as bytes.
 * @throws {OvError} usage naming the first line that is not valid UTF-8, and its bytes.
 * @example decodeBatch(Buffer.from("layers\nmount \xff")) // throws "batch: line 2 ..."
 */
export function decodeBatch(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    const b = bytes.subarray(start, end);
    if (!isUtf8(b)) {
      throw new OvError("usage", `batch: line ${line} ${cutShown(showBytes(b), b.length)} is not valid UTF-8; ovlayer refuses it rather than change it`, {
        hint: "paths, IDs and names given to ovlayer must be UTF-8",
      });
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  // Valid line by line but not as a whole cannot happen (a newline never continues a sequence).
  throw new OvError("usage", "batch: the script is not valid UTF-8");
}

/**
 * @throws {OvError} usage naming the line of an unterminated quote or a trailing backslash at the end of the input.
 * @example parseBatch("mount 'a b' # x\n\nunmount \"a b\"") // [{line:1,words:["mount","a b"]},{line:3,words:["unmount","a b"]}]
 */
export function parseBatch(text: string): BatchLine[] {
  const lines: BatchLine[] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let lineNo = 1;
  let start = 1;
  let quote: "'" | '"' | null = null;
  let quoteLine = 0;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endLine = () => {
    endWord();
    if (words.length) lines.push({ line: start, words });
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      if (c === "\n") lineNo++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
        const n = text[++i]!;
        if (n === "\n") lineNo++;
        else word += n;
      } else {
        if (c === "\n") lineNo++;
        word += c;
      }
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= text.length) throw new OvError("usage", `batch: line ${lineNo}: a backslash ends the input`);
      const n = text[++i]!;
      if (n === "\n") lineNo++; // line continuation
      else {
        word += n;
        inWord = true;
      }
      continue;
    }
    if (c === "'" || c === '"') {
      if (!inWord && words.length === 0) start = lineNo;
      quote = c;
      quoteLine = lineNo;
      inWord = true;
      continue;
    }
    if (c === "\n") {
      endLine();
      lineNo++;
      start = lineNo;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      endWord();
      continue;
    }
    if (c === "#" && !inWord) {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    }
    if (!inWord && words.length === 0) start = lineNo;
    word += c;
    inWord = true;
  }
  if (quote) throw new OvError("usage", `batch: line ${quoteLine}: the ${quote === "'" ? "single" : "double"} quote opened here is never closed`);
  endLine();
  return lines;
}
