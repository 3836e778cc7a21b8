/**
 * The one way a message quotes what the user gave (an argument, a flag
 * value, a file name from the command line): JSON-quoted, and cut to its
 * first 200 characters plus "… (N bytes)" so a 100 KB argument does not
 * flood the terminal or a log. Pure.
 */

/** Characters of a quoted value kept in a message. */
export const QUOTE_LIMIT = 200;

/**
 * @example quoteArg("abc") // "\"abc\""
 * @example quoteArg("x".repeat(5000)) // "\"xxx…xxx\"… (5000 bytes)"
 */
export function quoteArg(s: string | undefined, limit = QUOTE_LIMIT): string {
  if (s === undefined) return "(none)";
  if (s.length <= limit) return JSON.stringify(s);
  return `${JSON.stringify(head(s, limit))}… (${Buffer.byteLength(s, "utf8")} bytes)`;
}

/**
 * The same cut for text that is already escaped for display (no JSON quoting).
 * @param bytes the size to report for the whole value
 */
export function cutShown(s: string, bytes: number, limit = QUOTE_LIMIT): string {
  return s.length <= limit ? `"${s}"` : `"${head(s, limit)}"… (${bytes} bytes)`;
}

/** The same cut without quotes, where upstream's wording prints the value bare ("flag provided but not defined: -x"). */
export function clip(s: string, limit = QUOTE_LIMIT): string {
  return s.length <= limit ? s : `${head(s, limit)}… (${Buffer.byteLength(s, "utf8")} bytes)`;
}

/** The first `limit` UTF-16 units of `s`, never splitting a surrogate pair. */
function head(s: string, limit: number): string {
  const cut = s.slice(0, limit);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
