import { describe, expect, test } from "bun:test";
import { boolFlag, allValues, expectPositionals, globalArgs, lastValue, scanArgs } from "../../src/cli/args.ts";

describe("scanArgs()", () => {
  const def = { ...globalArgs, name: { type: "string" as const, alias: ["n"] }, ro: { type: "boolean" as const, alias: ["r"] } };
  test("collects repeated flags and interleaved positionals", () => {
    const s = scanArgs(["-n", "a", "P", "--name=b", "-r", "--graph", "/g"], def, "x");
    expect(allValues(s, "name")).toEqual(["a", "b"]);
    expect(s.positionals).toEqual(["P"]);
    expect(boolFlag(s, "ro")).toBe(true);
    expect(lastValue(s, "graph")).toBe("/g");
  });
  test("--debug=false turns it off", () => {
    expect(boolFlag(scanArgs(["-D", "--debug=false"], def, "x"), "debug")).toBe(false);
  });
  test("rejects unknown flags as containers-storage does", () => {
    expect(() => scanArgs(["--bogus"], def, "create-layer")).toThrow("flag provided but not defined: --bogus");
    expect(() => scanArgs(["-z"], def, "x")).toThrow("flag provided but not defined: -z");
  });
  test("a string flag without its value is an error", () => {
    expect(() => scanArgs(["--name"], def, "x")).toThrow("flag needs an argument: --name");
  });
  test("-- ends the flags", () => {
    expect(scanArgs(["--", "-n"], def, "x").positionals).toEqual(["-n"]);
  });
  test("positional count checks name the verb", () => {
    const s = scanArgs(["a", "b"], def, "x");
    expect(() => expectPositionals(s, "create-layer", 0, 1, "at most one parent layer")).toThrow("create-layer: too many arguments");
  });
});
