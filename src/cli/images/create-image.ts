import type { ArgsDef } from "citty";
import { readFileSync } from "node:fs";
import { defineCommand } from "../define.ts";
import { sysError } from "../../errors.ts";
import { createImage } from "../../store/lifecycle/images.ts";
import { orderImage } from "../../store/records/images-json.ts";
import { allValues, expectPositionals, globalArgs, jsonArg, lastValue, type ScannedArgs } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { printCreated } from "../records/record-format.ts";

/** `-m TEXT` or the contents of `-f FILE` (the file wins, as upstream). */
export function metadataArg(args: ScannedArgs): string | undefined {
  const file = lastValue(args, "metadata-file");
  if (file) {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      throw sysError(`Cannot read metadata file ${file}`, e);
    }
  }
  return lastValue(args, "metadata");
}

export const metadataArgs = {
  metadata: { type: "string", alias: ["m"], description: "Metadata" },
  "metadata-file": { type: "string", alias: ["f"], description: "Metadata File" },
} satisfies ArgsDef;

const cmd = defineCommand({
  meta: { name: "create-image", description: "Create a new image using layers" },
  args: {
    ...globalArgs,
    ...jsonArg,
    ...metadataArgs,
    name: { type: "string", alias: ["n"], description: "Image name (repeatable)" },
    id: { type: "string", alias: ["i"], description: "Image ID (64 hex chars are generated when absent)" },
    digest: { type: "string", alias: ["d"], description: "Image Digest" },
    layer: { type: "positional", required: false, description: "Top layer ID or name (none: an image without layers)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [layer] = expectPositionals(ctx.args, "create-image", 0, 1, "at most one top layer");
    const rec = await createImage(ctx.paths, {
      id: lastValue(ctx.args, "id"),
      names: allValues(ctx.args, "name"),
      layer: layer || undefined,
      metadata: metadataArg(ctx.args),
      digest: lastValue(ctx.args, "digest"),
    });
    if (ctx.json) out(toJson(orderImage(rec)));
    else printCreated(rec);
    return 0;
  },
});
export default cmd;
