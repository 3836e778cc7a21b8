import { describe, expect, test } from "bun:test";
import { goQuote } from "../../src/archive/export/go-quote.ts";

describe("goQuote()", () => {
  test("quotes as Go's %q", () => {
    expect(goQuote("/etc/passwd")).toBe('"/etc/passwd"');
    expect(goQuote('/same/deep/q"uo\tte')).toBe('"/same/deep/q\\"uo\\tte"');
    expect(goQuote("back\\slash\n")).toBe('"back\\\\slash\\n"');
    expect(goQuote("\x01\x7f")).toBe('"\\x01\\x7f"');
    expect(goQuote("ünïcödé 日本")).toBe('"ünïcödé 日本"');
    expect(goQuote("\u200b")).toBe('"\\u200b"');
  });
});
