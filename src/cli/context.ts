/**
 * What every command starts with: its flags scanned (global ones from before
 * and after the verb), help handled, and the store options resolved.
 */
import type { ArgsDef, CommandDef } from "citty";
import { loadStorageConf } from "../config/storage-conf.ts";
import { resolveStoreOptions, type StoreOptions } from "../config/options.ts";
import { log, setDebug } from "../log.ts";
import type { StorePaths } from "../store/paths.ts";
import { storePathsFor } from "../store/store-set.ts";
import { tempInstances } from "../store/temp-dirs.ts";
import { allValues, boolFlag, globalArgs, lastValue, scanArgs, type ScannedArgs } from "./args.ts";
import { out } from "./output.ts";
import { mark } from "../profile.ts";

export interface Ctx {
  verb: string;
  args: ScannedArgs;
  options: StoreOptions;
  paths: StorePaths;
  json: boolean;
}

const CHANGE_NOTHING: ReadonlySet<string> = new Set(["check", "version"]);

let rootArgs: ScannedArgs = { values: new Map(), positionals: [], help: false };
let rootRaw: readonly string[] = [];

/** Global flags given before the verb (cli/dispatch.ts), scanned and as given. */
export function setRootArgs(s: ScannedArgs, raw: readonly string[] = []): void {
  rootArgs = s;
  rootRaw = raw;
}

/** The global flags given before the verb, as given (batch repeats them on every line). */
export function rootArgsRaw(): readonly string[] {
  return rootRaw;
}

/**
 * Scans a verb's own arguments without resolving the store (for verbs that
 * do not open one, such as `batch`).
 * @returns null when --help was asked for (usage is already printed).
 */
// CommandDef<any>: each verb has its own ArgsDef.
export async function scanOwn(cmd: CommandDef<any>, rawArgs: readonly string[]): Promise<ScannedArgs | null> {
  const verb = (cmd.meta as { name: string }).name;
  const args = scanArgs(rawArgs, cmd.args as ArgsDef, verb);
  if (!args.help) return args;
  const { helpText } = await import("./help/usage.ts");
  out(await helpText(verb));
  return null;
}

function merged(s: ScannedArgs, name: string): string | undefined {
  return lastValue(s, name) ?? lastValue(rootArgs, name);
}

/**
 * Scans a command's arguments and resolves the store.
 * @returns null when --help was asked for (usage is already printed).
 */
// CommandDef<any>: each verb has its own ArgsDef.
export async function begin(cmd: CommandDef<any>, rawArgs: readonly string[]): Promise<Ctx | null> {
  const verb = (cmd.meta as { name: string }).name;
  const def = cmd.args as ArgsDef;
  const args = scanArgs(rawArgs, def, verb);
  if (args.help) {
    // The help path alone loads citty (the command tree) and the renderer.
    const { helpText } = await import("./help/usage.ts");
    out(await helpText(verb));
    return null;
  }
  const debugSet = args.values.has("debug") ? args : rootArgs;
  setDebug(boolFlag(debugSet, "debug"));
  const options = resolveStoreOptions(loadStorageConf(), process.env, {
    graph: merged(args, "graph"),
    run: merged(args, "run"),
    storageDriver: merged(args, "storage-driver"),
    imageStore: merged(args, "image-store"),
    storageOpts: [...allValues(rootArgs, "storage-opt"), ...allValues(args, "storage-opt")],
  });
  const paths = storePathsFor(options);
  if (paths.imageStore) log.debug(`image store ${paths.imageStore.graphRoot} (read-write: images, read-only layers)`);
  for (const a of paths.additional) log.debug(`additional image store ${a.graphRoot} (read-only)`);
  mark("flags-config");
  // `check`, `--dry-run` and `version` promise to change nothing: no recovery there.
  if (!CHANGE_NOTHING.has(verb) && !boolFlag(args, "dry-run")) await recoverStaleTemp(paths);
  mark("temp-recovery");
  return {
    verb,
    args,
    options,
    paths,
    json: "json" in def ? boolFlag(args, "json") : false,
  };
}

export { globalArgs };

/**
 * Upstream's store start: stale temp dirs left by a crash are removed
 * (store/temp-dirs.ts). Nothing is loaded or written when there are none.
 */
async function recoverStaleTemp(paths: StorePaths): Promise<void> {
  const found = tempInstances(paths);
  if (!found.length) return;
  const [{ recoverStaleTempDirs }, { unmountBelow }] = await Promise.all([import("../store/temp-dir-recovery.ts"), import("../mount/unmount-below.ts")]);
  const r = recoverStaleTempDirs(found, (dir) => {
    unmountBelow(dir);
  });
  for (const d of r.removed) log.debug(`removed stale temporary directory ${d}`);
  for (const d of r.busy) log.debug(`temporary directory ${d} is in use (its lock is held), left alone`);
}
