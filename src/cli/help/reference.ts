/**
 * The whole command line as data, read from citty's command tree (tree.ts):
 * every verb with its aliases, description, flags and positional arguments.
 * Shell completion (completion-scripts.ts) and the man page (manpage.ts)
 * are rendered from it, so neither can miss a verb or a flag that the tree
 * has. Loads every verb module: only for `completion` and the man page.
 */
import type { ArgsDef } from "citty";
import { aliasesOf, globalArgs } from "../args.ts";
import { COMMANDS } from "../commands.ts";
import { commandTree, resolved, subCommand, subCommandNames } from "./tree.ts";

export interface FlagRef {
  name: string;
  /** Aliases as typed after one dash (one letter) or two. */
  aliases: string[];
  takesValue: boolean;
  description: string;
}

export interface VerbRef {
  name: string;
  aliases: string[];
  description: string;
  /** The verb's own flags (the global ones are in CommandRef.globals). */
  flags: FlagRef[];
  positionals: { name: string; description: string }[];
}

export interface CommandRef {
  globals: FlagRef[];
  verbs: VerbRef[];
}

/** A flag table as FlagRefs, without `exclude`'s names. Pure. */
export function flagRefs(def: ArgsDef, exclude: ReadonlySet<string> = new Set()): FlagRef[] {
  return Object.entries(def)
    .filter(([name, d]) => d.type !== "positional" && !exclude.has(name))
    .map(([name, d]) => ({ name, aliases: aliasesOf(d), takesValue: d.type === "string" || d.type === "enum", description: d.description ?? "" }));
}

/** Every verb of the tree, in its order. */
export async function commandReference(): Promise<CommandRef> {
  const tree = await commandTree();
  const globalNames = new Set(Object.keys(globalArgs));
  const verbs: VerbRef[] = [];
  for (const name of await subCommandNames(tree)) {
    const { meta, args } = await resolved((await subCommand(tree, name))!);
    verbs.push({
      name,
      aliases: [...(COMMANDS[name]?.aliases ?? [])],
      description: meta.description ?? "",
      flags: flagRefs(args, globalNames),
      positionals: Object.entries(args)
        .filter(([, d]) => d.type === "positional")
        .map(([n, d]) => ({ name: n.toUpperCase(), description: d.description ?? "" })),
    });
  }
  return { globals: flagRefs(globalArgs), verbs };
}

/** `--name` and its aliases as typed (`-g`, `--graph`). Pure. */
export function spellings(f: FlagRef): string[] {
  return [`--${f.name}`, ...f.aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
}
