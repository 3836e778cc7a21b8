import { defineCommand } from "../define.ts";
import { readImages } from "../../store/records/image-store.ts";
import { orderImage, type ImageRecord } from "../../store/records/images-json.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { findRecord } from "../../store/lookup.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { printImageDetail } from "../records/record-format.ts";
import { imageSize } from "../records/record-size.ts";

const cmd = defineCommand({
  meta: { name: "image", description: "Examine an image" },
  args: { ...globalArgs, ...jsonArg, image: { type: "positional", required: false, description: "Image ID or name (several allowed)" } },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "image", 1, Infinity, "an image ID or name");
    const images = readImages(ctx.paths);
    const matched: ImageRecord[] = [];
    for (const ref of refs) {
      const i = findRecord(images, ref, "image");
      if (i) matched.push(i);
    }
    if (ctx.json) out(toJson(matched.map(orderImage)));
    else {
      const layers = readLayers(ctx.paths);
      for (const i of matched) {
        let size: number | string;
        try {
          size = await imageSize(ctx.paths, layers, i);
        } catch (e) {
          size = (e as Error).message;
        }
        printImageDetail(i, size);
      }
    }
    // As containers-storage: exit 1, printing nothing more, when an image is unknown.
    return matched.length === refs.length ? 0 : 1;
  },
});
export default cmd;
