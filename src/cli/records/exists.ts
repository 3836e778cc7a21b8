import { defineCommand } from "../define.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { readImages } from "../../store/records/image-store.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { findRecord } from "../../store/lookup.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { goMap, out, toJson } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "exists", description: "Check if a layer or image or container exists" },
  args: {
    ...globalArgs,
    ...jsonArg,
    layer: { type: "boolean", alias: ["l"], description: "Only succeed if the match is a layer" },
    image: { type: "boolean", alias: ["i"], description: "Only succeed if the match is an image" },
    container: { type: "boolean", alias: ["c"], description: "Only succeed if the match is a container" },
    quiet: { type: "boolean", alias: ["q"], description: "Don't print names" },
    what: { type: "positional", required: false, description: "Layer, image or container ID or name (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "exists", 1, Infinity, "a layer, image or container ID or name");
    const layers = readLayers(ctx.paths);
    const images = readImages(ctx.paths);
    const containers = readContainers(ctx.paths);
    const onlyLayer = boolFlag(ctx.args, "layer");
    const onlyImage = boolFlag(ctx.args, "image");
    const onlyContainer = boolFlag(ctx.args, "container");
    // What is printed is whether the name exists as anything (as containers-storage prints it);
    // -l/-i/-c only decide the exit code.
    const result: Record<string, boolean> = {};
    let missing = false;
    for (const ref of refs) {
      const isLayer = findRecord(layers, ref, "layer") !== undefined;
      const isImage = findRecord(images, ref, "image") !== undefined;
      const isContainer = findRecord(containers, ref, "container") !== undefined;
      const any = isLayer || isImage || isContainer;
      result[ref] = any;
      let ok = any;
      if (onlyLayer && !isLayer) ok = false;
      if (onlyImage && !isImage) ok = false;
      if (onlyContainer && !isContainer) ok = false;
      if (!ok) missing = true;
    }
    if (ctx.json) out(toJson(goMap(result)));
    else if (!boolFlag(ctx.args, "quiet")) for (const [k, v] of Object.entries(result)) out(`${k}: ${v}`);
    return missing ? 1 : 0;
  },
});
export default cmd;
