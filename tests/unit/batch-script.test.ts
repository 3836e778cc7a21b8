import { describe, expect, test } from "bun:test";
import { decodeBatch, parseBatch } from "../../src/cli/store/batch-script.ts";
import { OvError } from "../../src/errors.ts";

describe("parseBatch()", () => {
  test("splits words on blanks and numbers the lines, skipping blanks and comments", () => {
    expect(parseBatch("# boot\ncreate-layer  --id a\n\n\tmount a   # the base\n")).toEqual([
      { line: 2, words: ["create-layer", "--id", "a"] },
      { line: 4, words: ["mount", "a"] },
    ]);
  });

  test("keeps single-quoted text literally, including backslashes and #", () => {
    expect(parseBatch("set-names -n 'a b\\c #d' L")[0]!.words).toEqual(["set-names", "-n", "a b\\c #d", "L"]);
  });

  test("double quotes keep text but honour \\\" \\\\ \\$ and \\`", () => {
    expect(parseBatch('x "a \\"b\\" \\\\ \\$HOME \\n"')[0]!.words).toEqual(["x", 'a "b" \\ $HOME \\n']);
  });

  test("expands nothing: $, `, *, ~, ; and | are ordinary characters", () => {
    expect(parseBatch("x $HOME `id` * ~ a;b c|d")[0]!.words).toEqual(["x", "$HOME", "`id`", "*", "~", "a;b", "c|d"]);
  });

  test("a backslash outside quotes keeps the next character; at the end of a line it joins the next", () => {
    expect(parseBatch("x a\\ b \\#c\ny \\\n  z")).toEqual([
      { line: 1, words: ["x", "a b", "#c"] },
      { line: 2, words: ["y", "z"] },
    ]);
  });

  test("# inside a word is not a comment", () => {
    expect(parseBatch("x a#b #c")[0]!.words).toEqual(["x", "a#b"]);
  });

  test("empty quotes make an empty word", () => {
    expect(parseBatch("create-layer ''")[0]!.words).toEqual(["create-layer", ""]);
  });

  test("a quoted newline stays in the word and the command keeps its first line number", () => {
    expect(parseBatch("\nx 'a\nb'\ny")).toEqual([
      { line: 2, words: ["x", "a\nb"] },
      { line: 4, words: ["y"] },
    ]);
  });

  test("rejects an unterminated quote, naming the line it opened on", () => {
    expect(() => parseBatch("ok\nx 'abc\n\n")).toThrow(OvError);
    expect(() => parseBatch("ok\nx 'abc\n\n")).toThrow("line 2: the single quote opened here is never closed");
    expect(() => parseBatch('x "abc')).toThrow("line 1: the double quote");
  });

  test("rejects a backslash at the very end", () => {
    expect(() => parseBatch("x \\")).toThrow("a backslash ends the input");
  });

  test("CRLF line ends are accepted", () => {
    expect(parseBatch("a b\r\nc\r\n")).toEqual([
      { line: 1, words: ["a", "b"] },
      { line: 2, words: ["c"] },
    ]);
  });
});

describe("decodeBatch()", () => {
  test("decodes a UTF-8 script unchanged", () => {
    expect(decodeBatch(Buffer.from("layers\nmount caf\u00e9 \u{1f600}\n"))).toBe("layers\nmount caf\u00e9 \u{1f600}\n");
  });

  test.each([
    ["a lone continuation byte", [0x80], 2],
    ["a truncated sequence", [0xc3, 0x28], 2],
    ["an overlong slash", [0xc0, 0xaf], 2],
    ["a surrogate encoded", [0xed, 0xa0, 0x80], 2],
    ["a truncated last line without a newline", [0xe2, 0x82], 3],
  ])("refuses %s with a usage error naming the line", (_what, bad, line) => {
    const lines = line === 3 ? ["layers\n", "mount x\n", "id "] : ["layers\n", "mount "];
    const bytes = Buffer.concat([...lines.map((l) => Buffer.from(l)), Buffer.from(bad as number[]), Buffer.from(line === 3 ? "" : "\nlayers\n")]);
    let err: unknown;
    try {
      decodeBatch(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OvError);
    expect((err as OvError).kind).toBe("usage");
    expect((err as OvError).message).toStartWith(`batch: line ${line} `);
    expect((err as OvError).message).toContain("is not valid UTF-8");
  });
});
