/**
 * JSON text as Go's encoding/json writes it, which is how containers-storage
 * writes its files and prints `--json` output: compact, with `<`, `>` and `&`
 * escaped as \u003c, \u003e and \u0026 (Go's HTML escaping), and U+2028 and
 * U+2029 as \u2028 and \u2029 (Go always escapes those). Pure.
 */

/** Go's \uXXXX form of one UTF-16 unit. */
function escapeUnit(c: string): string {
  return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
}

/**
 * `JSON.stringify(v)` with Go's escaping.
 * @example goJson({ a: "<b>" }) // '{"a":"\u003cb\u003e"}'
 */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, escapeUnit);
}
