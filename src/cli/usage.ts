/**
 * `ovlayer VERB --help`: the verb's usage, flags and arguments, in the plain
 * style of containers-storage's help (no colours: it is data on stdout).
 */
import type { ArgsDef, CommandDef } from "citty";
import { aliasesOf } from "./args.ts";

// CommandDef<any>: each verb has its own ArgsDef.
export function renderUsage(cmd: CommandDef<any>): string {
  const meta = cmd.meta as { name: string; description?: string };
  const def = (cmd.args ?? {}) as ArgsDef;
  const flags: [string, string][] = [];
  const positionals: string[] = [];
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional") {
      positionals.push(name.toUpperCase());
      continue;
    }
    const aliases = aliasesOf(d);
    const names = [`--${name}`, ...aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))].join(", ");
    flags.push([d.type === "string" ? `${names} VALUE` : names, d.description ?? ""]);
  }
  const width = Math.max(...flags.map(([f]) => f.length));
  const lines = [
    `Usage: ovlayer ${meta.name} [flags]${positionals.map((p) => ` [${p}]`).join("")}`,
    "",
    meta.description ?? "",
    "",
    "Flags:",
    ...flags.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
  ];
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional" && d.description) lines.push("", `${name.toUpperCase()}: ${d.description}`);
  }
  return lines.join("\n");
}
