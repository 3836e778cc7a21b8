/**
 * The verbs and where each lives. Modules load only when their verb runs, so
 * start-up pays for one command, not for all of them.
 */
import type { RunnableVerb } from "./define.ts";

type Loader = () => Promise<{ default: RunnableVerb }>;

export interface VerbEntry {
  description: string;
  load: Loader;
  /** Other spellings of the verb, as containers-storage's command `names` (e.g. "createlayer"). */
  aliases?: readonly string[];
}

export const COMMANDS: Record<string, VerbEntry> = {
  "create-layer": { description: "Create a new layer", load: () => import("./create-layer.ts"), aliases: ["createlayer"] },
  layers: { description: "List layers", load: () => import("./layers.ts") },
  layer: { description: "Examine a layer", load: () => import("./layer.ts") },
  exists: { description: "Check if a layer exists", load: () => import("./exists.ts") },
  "delete-layer": { description: "Delete a layer, with safety checks", load: () => import("./delete-layer.ts"), aliases: ["deletelayer"] },
  delete: { description: "Delete a layer, with no safety checks", load: () => import("./delete.ts") },
  mount: { description: "Mount a layer", load: () => import("./mount.ts") },
  unmount: { description: "Unmount a layer", load: () => import("./unmount.ts"), aliases: ["umount"] },
  mounted: { description: "Check if a layer is mounted", load: () => import("./mounted.ts") },
  status: { description: "Check on graph driver status", load: () => import("./status.ts") },
  check: { description: "Check the store for problems (changes nothing)", load: () => import("./check.ts") },
  repair: { description: "Fix what check finds, without guessing", load: () => import("./repair.ts") },
  migrate: { description: "Move the store toward lower-layers / symlink-free", load: () => import("./migrate.ts") },
  version: { description: "Print ovlayer's version", load: () => import("./version.ts") },
  "import-layer": { description: "Import a new layer from a tarball", load: () => import("./import-layer.ts"), aliases: ["importlayer"] },
  applydiff: { description: "Apply a diff to a layer", load: () => import("./applydiff.ts"), aliases: ["apply-diff"] },
  "applydiff-using-staging-dir": { description: "Apply the files of a directory to a layer", load: () => import("./applydiff-staging.ts") },
  diff: { description: "Write a layer's changes as a tarball", load: () => import("./diff.ts") },
  diffsize: { description: "Print the size of a layer's changes", load: () => import("./diffsize.ts"), aliases: ["diff-size"] },
  changes: { description: "List a layer's changes", load: () => import("./changes.ts") },
  wipe: { description: "Wipe all layers, images, and containers", load: () => import("./wipe.ts") },
  shutdown: { description: "Shut down layer storage", load: () => import("./shutdown.ts") },
  copy: { description: "Copy files or directories into or out of a layer", load: () => import("./copy.ts") },
  gc: { description: "Remove layer directories and files that no record uses", load: () => import("./gc.ts") },
  dedup: { description: "Share identical file contents between the layers of images (needs reflinks)", load: () => import("./dedup.ts") },
  "list-layer-data": { description: "List data items of a layer", load: () => import("./layer-data.ts").then((m) => ({ default: m.listLayerDataCmd })), aliases: ["listlayerdata"] },
  "get-layer-data": { description: "Get a data item of a layer", load: () => import("./layer-data.ts").then((m) => ({ default: m.getLayerDataCmd })), aliases: ["getlayerdata"] },
  "set-layer-data": { description: "Set a data item of a layer", load: () => import("./layer-data.ts").then((m) => ({ default: m.setLayerDataCmd })), aliases: ["setlayerdata"] },
  batch: { description: "Run commands from a file or stdin, one per line, in one process", load: () => import("./batch.ts") },
};

/** The entry `name` names, directly or as an alias, with its canonical name. */
export function findVerb(name: string): { name: string; entry: VerbEntry } | undefined {
  if (Object.hasOwn(COMMANDS, name)) return { name, entry: COMMANDS[name]! };
  for (const [canonical, entry] of Object.entries(COMMANDS)) {
    if (entry.aliases?.includes(name)) return { name: canonical, entry };
  }
  return undefined;
}

/** One line of the verb list in `ovlayer --help`, aliases in brackets. */
export function verbLine(name: string, e: VerbEntry): string {
  const aliases = e.aliases?.length ? ` (alias: ${e.aliases.join(", ")})` : "";
  return `  ${name.length < 16 ? name.padEnd(16) : name + "  "}${e.description}${aliases}`;
}
