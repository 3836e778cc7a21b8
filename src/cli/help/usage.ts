/**
 * `ovlayer --help` and `ovlayer VERB --help`: the command tree (tree.ts, in
 * citty's shape) rendered in the plain style of containers-storage's help
 * (no colours: it is data on stdout). Loaded only when help is asked for, or
 * when no verb is given.
 */
import type { ArgsDef, CommandDef } from "citty";
import { aliasesOf } from "../args.ts";
import { commandTree, resolved, subCommand, subCommandNames } from "./tree.ts";

/** A verb's usage from its name, description and flags. */
export function renderVerbUsage(name: string, description: string, def: ArgsDef): string {
  const flags: [string, string][] = [];
  const positionals: string[] = [];
  for (const [flag, d] of Object.entries(def)) {
    if (d.type === "positional") {
      positionals.push(flag.toUpperCase());
      continue;
    }
    const aliases = aliasesOf(d);
    const names = [`--${flag}`, ...aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))].join(", ");
    flags.push([d.type === "string" ? `${names} VALUE` : names, d.description ?? ""]);
  }
  const width = Math.max(...flags.map(([f]) => f.length));
  const lines = [
    `Usage: ovlayer ${name} [flags]${positionals.map((p) => ` [${p}]`).join("")}`,
    "",
    description,
    "",
    "Flags:",
    ...flags.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
  ];
  for (const [flag, d] of Object.entries(def)) {
    if (d.type === "positional" && d.description) lines.push("", `${flag.toUpperCase()}: ${d.description}`);
  }
  return lines.join("\n");
}

/** A verb module's usage (its own meta and args). */
// CommandDef<any>: each verb has its own ArgsDef.
export function renderUsage(cmd: CommandDef<any>): string {
  const meta = cmd.meta as { name: string; description?: string };
  return renderVerbUsage(meta.name, meta.description ?? "", (cmd.args ?? {}) as ArgsDef);
}

/** `ovlayer VERB --help`, read from the command tree; the root's usage without a verb. */
export async function helpText(verb?: string): Promise<string> {
  const tree = await commandTree();
  const sub = verb === undefined ? undefined : await subCommand(tree, verb);
  if (sub) {
    const { meta, args } = await resolved(sub);
    return renderVerbUsage(verb!, meta.description ?? "", args);
  }
  // The listing shows commands.ts's one-line summaries, so it loads no verb module.
  const { COMMANDS } = await import("../commands.ts");
  const { verbLine } = await import("../commands.ts");
  const names = await subCommandNames(tree);
  return [
    "Usage: ovlayer [global flags] COMMAND [flags] [args]",
    "",
    "Commands:",
    ...names.map((name) => verbLine(name, COMMANDS[name]!)),
    "",
    "Global flags: --graph/-g DIR, --run/-R DIR, --storage-driver/-s overlay, --storage-opt KEY=VALUE, --debug/-D",
    "Run 'ovlayer COMMAND --help' for a command's flags.",
  ].join("\n");
}
