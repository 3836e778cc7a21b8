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

/** A verb that is a named export of a module holding several. */
function named<M>(load: () => Promise<M>, key: keyof M): Loader {
  return () => load().then((m) => ({ default: m[key] as RunnableVerb }));
}

/** Images, containers, names, metadata and their data; with upstream's no-dash aliases. */
const RECORD_VERBS: [string[], string, Loader][] = [
  [["create-image", "createimage"], "Create a new image using layers", () => import("./images/create-image.ts")],
  [["images"], "List images", () => import("./images/images.ts")],
  [["images-by-digest"], "List images by digest", named(() => import("./images/images.ts"), "imagesByDigest")],
  [["image"], "Examine an image", () => import("./images/image.ts")],
  [["delete-image", "deleteimage"], "Delete an image, with safety checks", () => import("./images/delete-image.ts")],
  [["create-container", "createcontainer"], "Create a new container from an image", () => import("./containers/create-container.ts")],
  [["containers"], "List containers", () => import("./containers/containers.ts")],
  [["container"], "Examine a container", () => import("./containers/container.ts")],
  [["delete-container", "deletecontainer"], "Delete a container, with safety checks", () => import("./containers/delete-container.ts")],
  [["get-image-dir", "getimagedir"], "Find the image's associated data directory", named(() => import("./records/record-dirs.ts"), "getImageDir")],
  [["get-image-run-dir", "getimagerundir"], "Find the image's associated runtime directory", named(() => import("./records/record-dirs.ts"), "getImageRunDir")],
  [["get-container-dir", "getcontainerdir"], "Find the container's associated data directory", named(() => import("./records/record-dirs.ts"), "getContainerDir")],
  [["get-container-run-dir", "getcontainerrundir"], "Find the container's associated runtime directory", named(() => import("./records/record-dirs.ts"), "getContainerRunDir")],
  [["list-image-data", "listimagedata"], "List data items that are attached to an image", named(() => import("./records/record-data.ts"), "listImageData")],
  [["get-image-data", "getimagedata"], "Get data that is attached to an image", named(() => import("./records/record-data.ts"), "getImageData")],
  [["get-image-data-size", "getimagedatasize"], "Get size of data that is attached to an image", named(() => import("./records/record-data.ts"), "getImageDataSize")],
  [["get-image-data-digest", "getimagedatadigest"], "Get digest of data that is attached to an image", named(() => import("./records/record-data.ts"), "getImageDataDigest")],
  [["set-image-data", "setimagedata"], "Set data that is attached to an image", named(() => import("./records/record-data.ts"), "setImageDataVerb")],
  [["list-container-data", "listcontainerdata"], "List data items that are attached to a container", named(() => import("./records/record-data.ts"), "listContainerData")],
  [["get-container-data", "getcontainerdata"], "Get data that is attached to a container", named(() => import("./records/record-data.ts"), "getContainerData")],
  [["get-container-data-size", "getcontainerdatasize"], "Get size of data that is attached to a container", named(() => import("./records/record-data.ts"), "getContainerDataSize")],
  [["get-container-data-digest", "getcontainerdatadigest"], "Get digest of data that is attached to a container", named(() => import("./records/record-data.ts"), "getContainerDataDigest")],
  [["set-container-data", "setcontainerdata"], "Set data that is attached to a container", named(() => import("./records/record-data.ts"), "setContainerDataVerb")],
  [["metadata"], "Retrieve layer, image, or container metadata", () => import("./records/metadata.ts")],
  [["set-metadata", "setmetadata"], "Set layer, image, or container metadata", named(() => import("./records/metadata.ts"), "setMetadata")],
  [["get-names", "getnames"], "Get layer, image, or container name or names", () => import("./records/names.ts")],
  [["add-names", "addnames"], "Add layer, image, or container name or names", named(() => import("./records/names.ts"), "addNames")],
  [["remove-names", "removenames"], "Remove layer, image, or container name or names", named(() => import("./records/names.ts"), "removeNames")],
  [["set-names", "setnames"], "Set layer, image, or container name or names", named(() => import("./records/names.ts"), "setNames")],
  [["layer-parent-owners"], "Compute the set of unmapped parent UIDs and GIDs of the layer", named(() => import("./records/parent-owners.ts"), "layerParentOwners")],
  [["container-parent-owners"], "Compute the set of unmapped parent UIDs and GIDs of the container", named(() => import("./records/parent-owners.ts"), "containerParentOwners")],
];

export const COMMANDS: Record<string, VerbEntry> = {
  "create-layer": { description: "Create a new layer", load: () => import("./layers/create-layer.ts"), aliases: ["createlayer"] },
  layers: { description: "List layers", load: () => import("./layers/layers.ts") },
  layer: { description: "Examine a layer", load: () => import("./layers/layer.ts") },
  exists: { description: "Check if a layer or image or container exists", load: () => import("./records/exists.ts") },
  "delete-layer": { description: "Delete a layer, with safety checks", load: () => import("./layers/delete-layer.ts"), aliases: ["deletelayer"] },
  delete: { description: "Delete a layer or image or container, with no safety checks", load: () => import("./layers/delete.ts") },
  mount: { description: "Mount a layer or container (--ro: an image)", load: () => import("./mounts/mount.ts") },
  unmount: { description: "Unmount an image, layer or container", load: () => import("./mounts/unmount.ts"), aliases: ["umount"] },
  mounted: { description: "Check if a layer is mounted", load: () => import("./mounts/mounted.ts") },
  status: { description: "Check on graph driver status", load: () => import("./store/status.ts") },
  check: { description: "Check storage consistency (-r/-f remove what is damaged, as containers-storage)", load: () => import("./store/check.ts") },
  repair: { description: "Fix what check finds, without guessing", load: () => import("./store/repair.ts") },
  "storage-layers": { description: "List storage layers", load: () => import("./layers/storage-layers.ts") },
  "create-storage-layer": { description: "Create a new layer only in the storage driver", load: () => import("./layers/create-storage-layer.ts") },
  migrate: { description: "Move the store toward lower-layers / symlink-free", load: () => import("./store/migrate.ts") },
  version: { description: "Print ovlayer's version", load: () => import("./store/version.ts") },
  "import-layer": { description: "Import a new layer from a tarball", load: () => import("./content/import-layer.ts"), aliases: ["importlayer"] },
  applydiff: { description: "Apply a diff to a layer", load: () => import("./content/applydiff.ts"), aliases: ["apply-diff"] },
  "applydiff-using-staging-dir": { description: "Apply the files of a directory to a layer", load: () => import("./content/applydiff-staging.ts") },
  diff: { description: "Write a layer's changes as a tarball", load: () => import("./content/diff.ts") },
  diffsize: { description: "Print the size of a layer's changes", load: () => import("./content/diffsize.ts"), aliases: ["diff-size"] },
  changes: { description: "List a layer's changes", load: () => import("./content/changes.ts") },
  wipe: { description: "Wipe all layers, images, and containers", load: () => import("./store/wipe.ts") },
  shutdown: { description: "Shut down layer storage", load: () => import("./mounts/shutdown.ts") },
  copy: { description: "Copy files or directories into or out of a layer", load: () => import("./content/copy.ts") },
  gc: { description: "Remove layer directories and files that no record uses", load: () => import("./store/gc.ts") },
  dedup: { description: "Share identical file contents between the layers of images (needs reflinks)", load: () => import("./store/dedup.ts") },
  "list-layer-data": { description: "List data items of a layer", load: named(() => import("./layers/layer-data.ts"), "listLayerDataCmd"), aliases: ["listlayerdata"] },
  "get-layer-data": { description: "Get a data item of a layer", load: named(() => import("./layers/layer-data.ts"), "getLayerDataCmd"), aliases: ["getlayerdata"] },
  "set-layer-data": { description: "Set a data item of a layer", load: named(() => import("./layers/layer-data.ts"), "setLayerDataCmd"), aliases: ["setlayerdata"] },
  batch: { description: "Run commands from a file or stdin, one per line, in one process", load: () => import("./store/batch.ts") },
  completion: { description: "Print a shell completion script (bash, zsh or fish)", load: () => import("./help/completion.ts") },
  ...Object.fromEntries(RECORD_VERBS.map(([[name, ...aliases], description, load]) => [name, { description, load, ...(aliases.length ? { aliases } : {}) }])),
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
