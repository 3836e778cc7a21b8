/**
 * Shell completion and the man page are generated from the command tree:
 * every verb, alias and flag that a verb module declares must be in both.
 */
import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { aliasesOf, globalArgs } from "../../src/cli/args.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { completionScript, SHELLS } from "../../src/cli/help/completion-scripts.ts";
import { manPage, roff } from "../../src/cli/help/manpage.ts";
import { commandReference, type CommandRef } from "../../src/cli/help/reference.ts";

const ref: CommandRef = await commandReference();

/** What each verb module itself declares, loaded without the tree. */
async function declared(): Promise<{ verb: string; aliases: string[]; flags: string[] }[]> {
  const out = [];
  for (const [verb, entry] of Object.entries(COMMANDS)) {
    const def = ((await entry.load()).default as { args?: ArgsDef }).args ?? {};
    const flags = Object.entries(def)
      .filter(([, d]) => d.type !== "positional")
      .flatMap(([n, d]) => [`--${n}`, ...aliasesOf(d).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))]);
    out.push({ verb, aliases: [...(entry.aliases ?? [])], flags });
  }
  return out;
}

describe("completion scripts and the man page", () => {
  test("the reference has every verb of commands.ts, in order", () => {
    expect(ref.verbs.map((v) => v.name)).toEqual(Object.keys(COMMANDS));
  });

  for (const shell of SHELLS) {
    test(`${shell}: every verb, alias and flag is completed`, async () => {
      const script = completionScript(shell, ref);
      const missing: string[] = [];
      for (const { verb, aliases, flags } of await declared()) {
        for (const w of [verb, ...aliases]) if (!new RegExp(`(^|[\\s'|(])${w.replace(/[-]/g, "\\-")}([\\s'|):]|$)`, "m").test(script)) missing.push(w);
        for (const f of flags) {
          // fish spells flags as -l name / -s x; the others as --name / -x.
          const word = shell === "fish" ? (f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`) : f;
          if (!script.includes(word)) missing.push(`${verb} ${f}`);
        }
      }
      expect(missing).toEqual([]);
    });
  }

  test("the man page names every verb, alias and flag", async () => {
    const page = manPage(ref, "0.0.0", "2026-01-01");
    const missing: string[] = [];
    for (const { verb, aliases, flags } of await declared()) {
      if (!page.includes(`.SS \\fB${roff(verb)}\\fR`)) missing.push(verb);
      for (const a of aliases) if (!page.includes(`\\fB${roff(a)}\\fR`)) missing.push(`${verb} alias ${a}`);
      for (const f of flags) if (!page.includes(`\\fB${roff(f)}\\fR`)) missing.push(`${verb} ${f}`);
    }
    for (const n of Object.keys(globalArgs)) if (!page.includes(`\\fB${roff(`--${n}`)}\\fR`)) missing.push(`global --${n}`);
    expect(missing).toEqual([]);
    expect(page).toStartWith('.TH OVLAYER 1 "2026-01-01"');
  });

  test("roff() escapes what man(7) would read as markup", () => {
    expect(roff(".x\n'y a\\b --z")).toBe("\\&.x\n\\&'y a\\eb \\-\\-z");
  });

  test("bash: the script parses and completes verbs, a verb's flags and its values as files", () => {
    const script = completionScript("bash", ref);
    const complete = (line: string) => {
      const words = line.split(" ");
      const prog = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _ovlayer; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = Bun.spawnSync(["bash", "-c", prog]);
      expect(r.exitCode).toBe(0);
      return r.stdout.toString().trim().split("\n");
    };
    expect(complete("ovlayer create-i")).toEqual(["create-image"]);
    expect(complete("ovlayer --graph /x mou")).toEqual(["mount", "mounted"]);
    expect(complete("ovlayer mount --r")).toContain("--ro");
    expect(complete("ovlayer createlayer --na")).toEqual(["--name"]);
    expect(complete("ovlayer layers --gr")).toEqual(["--graph"]);
  });
});
