/**
 * `get-image-dir`, `get-image-run-dir`, `get-container-dir`,
 * `get-container-run-dir`: the record's userdata directory in the graph root
 * or the run root (R/overlay-images/<ID>/userdata, RR/overlay-containers/<ID>/userdata...),
 * made (0700) when missing, as upstream does.
 */
import { join } from "node:path";
import { defineCommand, type VerbDef } from "../define.ts";
import { userDataDir } from "../../store/lifecycle/containers.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { readImages } from "../../store/records/image-store.ts";
import { requireRecord } from "../../store/lookup.ts";
import type { StorePaths } from "../../store/paths.ts";
import { expectPositionals, globalArgs } from "../args.ts";
import { begin } from "../context.ts";
import { out } from "../output.ts";

function dirVerb(name: string, description: string, kind: "image" | "container", root: (p: StorePaths) => string): VerbDef {
  const cmd: VerbDef = defineCommand({
    meta: { name, description },
    args: { ...globalArgs, [kind]: { type: "positional", required: false, description: `${kind === "image" ? "Image" : "Container"} ID or name` } },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      const [ref] = expectPositionals(ctx.args, name, 1, 1, `one ${kind} ID or name`);
      const records: { id: string; names?: string[] }[] = kind === "image" ? readImages(ctx.paths) : readContainers(ctx.paths);
      const rec = requireRecord(records, ref!, kind, `find the directory of ${kind}`);
      out(userDataDir(root(ctx.paths), rec.id));
      return 0;
    },
  });
  return cmd;
}

// As upstream: under the graph root even when the image lives in another image store.
export const getImageDir = dirVerb("get-image-dir", "Find the image's associated data directory", "image", (p) => join(p.graphRoot, "overlay-images"));
export const getImageRunDir = dirVerb("get-image-run-dir", "Find the image's associated runtime directory", "image", (p) => p.runImagesDir);
export const getContainerDir = dirVerb("get-container-dir", "Find the container's associated data directory", "container", (p) => p.containersDir);
export const getContainerRunDir = dirVerb("get-container-run-dir", "Find the container's associated runtime directory", "container", (p) => p.runContainersDir);
