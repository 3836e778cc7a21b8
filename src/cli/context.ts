/**
 * What every command starts with: its flags scanned (global ones from before
 * and after the verb), help handled, and the store options resolved.
 */
import type { ArgsDef, CommandDef } from "citty";
import { loadStorageConf } from "../config/storage-conf.ts";
import { resolveStoreOptions, type StoreOptions } from "../config/options.ts";
import { setDebug } from "../log.ts";
import { StorePaths } from "../store/paths.ts";
import { allValues, boolFlag, globalArgs, lastValue, scanArgs, type ScannedArgs } from "./args.ts";
import { out } from "./output.ts";

export interface Ctx {
  verb: string;
  args: ScannedArgs;
  options: StoreOptions;
  paths: StorePaths;
  json: boolean;
}

let rootArgs: ScannedArgs = { values: new Map(), positionals: [], help: false };

/** Global flags given before the verb (main.ts). */
export function setRootArgs(s: ScannedArgs): void {
  rootArgs = s;
}

function merged(s: ScannedArgs, name: string): string | undefined {
  return lastValue(s, name) ?? lastValue(rootArgs, name);
}

/**
 * Scans a command's arguments and resolves the store.
 * @returns null when --help was asked for (usage is already printed).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each verb has its own ArgsDef
export async function begin(cmd: CommandDef<any>, rawArgs: readonly string[]): Promise<Ctx | null> {
  const verb = (cmd.meta as { name: string }).name;
  const def = cmd.args as ArgsDef;
  const args = scanArgs(rawArgs, def, verb);
  if (args.help) {
    // The help path alone loads citty (the command tree) and the renderer.
    const { helpText } = await import("./usage.ts");
    out(await helpText(verb));
    return null;
  }
  const debugSet = args.values.has("debug") ? args : rootArgs;
  setDebug(boolFlag(debugSet, "debug"));
  const options = resolveStoreOptions(loadStorageConf(), process.env, {
    graph: merged(args, "graph"),
    run: merged(args, "run"),
    storageDriver: merged(args, "storage-driver"),
    storageOpts: [...allValues(rootArgs, "storage-opt"), ...allValues(args, "storage-opt")],
  });
  return {
    verb,
    args,
    options,
    paths: new StorePaths(options.graphRoot, options.runRoot),
    json: "json" in def ? boolFlag(args, "json") : false,
  };
}

export { globalArgs };
