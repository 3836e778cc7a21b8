/**
 * Flag handling shared by every command: the global flag group (accepted
 * before or after the verb), strict rejection of unknown flags as
 * containers-storage does, and repeatable flags (citty keeps only the last
 * value of a repeated string flag, so we collect them from the raw args).
 */
import type { ArgsDef } from "citty";
import { OvError } from "../errors.ts";
import { clip, quoteArg } from "../quote.ts";

export const globalArgs = {
  graph: { type: "string", alias: ["g"], description: "Root of the storage tree" },
  run: { type: "string", alias: ["R"], description: "Root of the runtime state tree" },
  "image-store": { type: "string", alias: [], description: "Root of the separate image store" },
  "storage-driver": { type: "string", alias: ["s"], description: "Storage driver to use (only overlay) ($STORAGE_DRIVER)" },
  "storage-opt": { type: "string", alias: [], description: "Set a storage driver option KEY=VALUE (repeatable) ($STORAGE_OPTS)" },
  debug: { type: "boolean", alias: ["D"], description: "Print debugging information on stderr" },
} satisfies ArgsDef;

export const jsonArg = {
  json: { type: "boolean", alias: ["j"], description: "Prefer JSON output" },
} satisfies ArgsDef;

/**
 * A flag's aliases as we declared them. citty's parser appends camelCase
 * spellings ("storageDriver") to the alias arrays it is given; those are not
 * ours to accept or document.
 */
export function aliasesOf(d: ArgsDef[string]): string[] {
  const a = "alias" in d ? d.alias : undefined;
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.filter((x) => x.length === 1 || !/[A-Z]/.test(x));
}

interface FlagInfo {
  takesValue: boolean;
  canonical: string;
}

function flagTable(def: ArgsDef): Map<string, FlagInfo> {
  const t = new Map<string, FlagInfo>();
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional") continue;
    const info = { takesValue: d.type === "string" || d.type === "enum", canonical: name };
    t.set(name, info);
    for (const a of aliasesOf(d)) t.set(a, info);
  }
  t.set("help", { takesValue: false, canonical: "help" });
  t.set("h", { takesValue: false, canonical: "help" });
  return t;
}

export interface ScannedArgs {
  /** Values of each flag in order, by canonical name ("true"/"false" for booleans). */
  values: Map<string, string[]>;
  positionals: string[];
  help: boolean;
}

/**
 * Scans raw arguments against a flag definition. Flags and positionals may be
 * interleaved; `--` ends the flags.
 * @throws {OvError} usage on an unknown flag or a missing value.
 * @example scanArgs(["-n","a","-n","b","P"], def).values.get("name") // ["a","b"]
 */
export function scanArgs(raw: readonly string[], def: ArgsDef, verb: string): ScannedArgs {
  const table = flagTable(def);
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    if (a === "--") {
      for (let j = i + 1; j < raw.length; j++) positionals.push(raw[j]!); // no spread: argv may hold a million words
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const info = table.get(name);
    if (!info) {
      throw new OvError("usage", `flag provided but not defined: ${clip(a.split("=")[0]!)}`, { hint: `see 'ovlayer ${verb} --help'` });
    }
    if (info.canonical === "help") {
      help = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (info.takesValue) {
      if (i + 1 >= raw.length) throw new OvError("usage", `flag needs an argument: ${clip(a)}`, { hint: `see 'ovlayer ${verb} --help'` });
      value = raw[++i]!;
    } else value = "true";
    if (!info.takesValue && !["true", "false", "1", "0", "t", "f"].includes(value.toLowerCase())) {
      throw new OvError("usage", `invalid boolean value ${quoteArg(value)} for ${a.split("=")[0]}`);
    }
    const list = values.get(info.canonical) ?? [];
    list.push(value);
    values.set(info.canonical, list);
  }
  return { values, positionals, help };
}

/** The last value of a string flag. */
export function lastValue(s: ScannedArgs, name: string): string | undefined {
  const v = s.values.get(name);
  return v?.[v.length - 1];
}

/** Whether a boolean flag is on (last occurrence wins; `--debug=false` turns it off). */
export function boolFlag(s: ScannedArgs, name: string): boolean {
  const v = lastValue(s, name);
  return v !== undefined && ["true", "1", "t"].includes(v.toLowerCase());
}

export function allValues(s: ScannedArgs, name: string): string[] {
  return s.values.get(name) ?? [];
}

/**
 * Checks the number of positional arguments.
 * @throws {OvError} usage naming the verb and what it expects.
 */
export function expectPositionals(s: ScannedArgs, verb: string, min: number, max: number, what: string): string[] {
  const n = s.positionals.length;
  if (n < min) throw new OvError("usage", `${verb}: missing ${what}`, { hint: `see 'ovlayer ${verb} --help'` });
  if (n > max) throw new OvError("usage", `${verb}: too many arguments (${quoteArg(s.positionals.join(" "))}), expected ${what}`, { hint: `see 'ovlayer ${verb} --help'` });
  return s.positionals;
}
