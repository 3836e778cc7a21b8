import { describe, expect, test } from "bun:test";
import { renderTree } from "../../src/cli/layers/layer-format.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { helpText, renderUsage } from "../../src/cli/help/usage.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { commandTree, resolved, subCommand, subCommandNames } from "../../src/cli/help/tree.ts";
import createLayer from "../../src/cli/layers/create-layer.ts";

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

describe("the command tree (citty, help path only)", () => {
  test("has every verb, each resolving to its module's name, description and flags", async () => {
    const tree = await commandTree();
    expect(await subCommandNames(tree)).toEqual(Object.keys(COMMANDS));
    const sub = (await subCommand(tree, "create-layer"))!;
    const { meta, args } = await resolved(sub);
    expect(meta.name).toBe("create-layer");
    expect(meta.description).toBe(createLayer.meta.description);
    expect(Object.keys(args)).toEqual(Object.keys(createLayer.args));
    expect((await resolved((await subCommand(tree, "umount"))!)).meta.name).toBe("umount");
    expect(await subCommand(tree, "nope")).toBeUndefined();
  });

  test("--help renders the tree in the plain style", async () => {
    expect(await helpText("create-layer")).toBe(renderUsage(createLayer));
    const root = await helpText();
    expect(root).toStartWith("Usage: ovlayer [global flags] COMMAND [flags] [args]\n\nCommands:\n  create-layer    Create a new layer (alias: createlayer)\n");
    for (const verb of Object.keys(COMMANDS)) expect(root).toContain(`\n  ${verb.length < 16 ? verb.padEnd(16) : verb + "  "}`);
  });

  test("only tree.ts imports citty's code, and only the help path imports tree.ts or usage.ts", () => {
    const src = join(import.meta.dir, "../../src");
    const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith(".ts"));
    const valueImport = (text: string, what: RegExp) => text.split("\n").filter((l) => /^import (?!type )/.test(l) && what.test(l));
    const citty = files.filter((f) => valueImport(readFileSync(join(src, f), "utf8"), /from "citty"|import\("citty"\)/).length > 0);
    expect(citty).toEqual([]);
    const dynamicCitty = files.filter((f) => readFileSync(join(src, f), "utf8").includes('import("citty")'));
    expect(dynamicCitty).toEqual(["cli/help/tree.ts"]);
    const staticHelp = files.filter((f) => valueImport(readFileSync(join(src, f), "utf8"), /from "[^"]*\/help\/(usage|tree)\.ts"|from "\.\/(usage|tree)\.ts"/).length > 0);
    // usage.ts (help) and reference.ts (the completion verb and the man page) import tree.ts; nothing else does statically.
    expect(staticHelp.sort()).toEqual(["cli/help/reference.ts", "cli/help/usage.ts"]);
  });
});
