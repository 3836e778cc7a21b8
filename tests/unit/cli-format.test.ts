import { describe, expect, test } from "bun:test";
import { renderTree } from "../../src/cli/layer-format.ts";
import { renderUsage } from "../../src/cli/usage.ts";
import createLayer from "../../src/cli/create-layer.ts";

describe("renderTree()", () => {
  test("draws what containers-storage 1.43 draws for a chain with names", () => {
    // `containers-storage layers --tree` on this machine for base -> mid(foo,bar)
    expect(
      renderTree([
        { left: "(base)", right: "A", notes: [] },
        { left: "A", right: "B", notes: ["name: foo", "name: bar"] },
      ]),
    ).toEqual(["(base)", "└─A", "  └─B", "    name: foo", "    name: bar"]);
  });
  test("siblings get a continuing vertical bar", () => {
    expect(
      renderTree([
        { left: "(base)", right: "A", notes: [] },
        { left: "A", right: "B", notes: ["name: b"] },
        { left: "A", right: "C", notes: [] },
        { left: "B", right: "D", notes: [] },
      ]),
    ).toEqual(["(base)", "└─A", "  ├─B", "  │ name: b", "  │ └─D", "  └─C"]);
  });
});

describe("renderUsage()", () => {
  test("lists every flag with its aliases, and no colour codes", () => {
    const u = renderUsage(createLayer);
    expect(u).toStartWith("Usage: ovlayer create-layer [flags] [PARENT]");
    expect(u).toContain("--name, -n VALUE");
    expect(u).toContain("--readonly, -r");
    expect(u).not.toContain("\u001b[");
  });
});
