/**
 * The verbs and where each lives. Modules load only when their verb runs, so
 * start-up pays for one command, not for all of them.
 */
import type { RunnableVerb } from "./define.ts";

type Loader = () => Promise<{ default: RunnableVerb }>;

export interface VerbEntry {
  description: string;
  load: Loader;
}

export const COMMANDS: Record<string, VerbEntry> = {
  "create-layer": { description: "Create a new layer", load: () => import("./create-layer.ts") },
  layers: { description: "List layers", load: () => import("./layers.ts") },
  layer: { description: "Examine a layer", load: () => import("./layer.ts") },
  exists: { description: "Check if a layer exists", load: () => import("./exists.ts") },
  "delete-layer": { description: "Delete a layer, with safety checks", load: () => import("./delete-layer.ts") },
  delete: { description: "Delete a layer, with no safety checks", load: () => import("./delete.ts") },
  mount: { description: "Mount a layer", load: () => import("./mount.ts") },
  unmount: { description: "Unmount a layer", load: () => import("./unmount.ts") },
  umount: { description: "Alias of unmount", load: () => import("./unmount.ts") },
  mounted: { description: "Check if a layer is mounted", load: () => import("./mounted.ts") },
  status: { description: "Check on graph driver status", load: () => import("./status.ts") },
  check: { description: "Check the store for problems (changes nothing)", load: () => import("./check.ts") },
  repair: { description: "Fix what check finds, without guessing", load: () => import("./repair.ts") },
  migrate: { description: "Move the store toward lower-layers / symlink-free", load: () => import("./migrate.ts") },
  version: { description: "Print ovlayer's version", load: () => import("./version.ts") },
  "import-layer": { description: "Import a new layer from a tarball", load: () => import("./import-layer.ts") },
  applydiff: { description: "Apply a diff to a layer", load: () => import("./applydiff.ts") },
  diff: { description: "Write a layer's changes as a tarball", load: () => import("./diff.ts") },
  diffsize: { description: "Print the size of a layer's changes", load: () => import("./diffsize.ts") },
  changes: { description: "List a layer's changes", load: () => import("./changes.ts") },
  batch: { description: "Run commands from a file or stdin, one per line, in one process", load: () => import("./batch.ts") },
};
