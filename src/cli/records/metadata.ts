/**
 * `metadata` and `set-metadata`, for a layer, an image or a container
 * (resolved in that order, as upstream's Metadata and SetMetadata).
 */
import { readFileSync } from "node:fs";
import { defineCommand } from "../define.ts";
import { OvError, sysError } from "../../errors.ts";
import { lookupAny, setMetadata as storeMetadata } from "../../store/any-kind.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { metadataArgs } from "../images/create-image.ts";
import { goMap, out, toJson } from "../output.ts";

export const metadata = defineCommand({
  meta: { name: "metadata", description: "Retrieve layer, image, or container metadata" },
  args: {
    ...globalArgs,
    ...jsonArg,
    quiet: { type: "boolean", alias: ["q"], description: "Omit names and IDs" },
    what: { type: "positional", required: false, description: "Layer, image or container ID or name (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(metadata, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "metadata", 1, Infinity, "a layer, image or container ID or name");
    const found: Record<string, string> = {};
    let missing = false;
    for (const ref of refs) {
      const f = lookupAny(ctx.paths, ref);
      if (f) found[ref] = f.metadata.replace(/\n$/, "");
      else missing = true;
    }
    if (ctx.json) out(toJson(goMap(found)));
    else for (const ref of refs) out(boolFlag(ctx.args, "quiet") ? (found[ref] ?? "") : `${ref}: ${found[ref] ?? ""}`);
    return missing ? 1 : 0;
  },
});

export const setMetadata = defineCommand({
  meta: { name: "set-metadata", description: "Set layer, image, or container metadata" },
  args: { ...globalArgs, ...metadataArgs, what: { type: "positional", required: false, description: "Layer, image or container ID or name" } },
  async run({ rawArgs }) {
    const ctx = await begin(setMetadata, rawArgs);
    if (!ctx) return 0;
    const [ref] = expectPositionals(ctx.args, "set-metadata", 1, 1, "one layer, image or container ID or name");
    const file = lastValue(ctx.args, "metadata-file");
    let value = lastValue(ctx.args, "metadata") ?? "";
    if (!file && value === "") throw new OvError("usage", "set-metadata: no new metadata provided", { hint: "give --metadata/-m TEXT or --metadata-file/-f FILE" });
    if (file) {
      try {
        value = readFileSync(file, "utf8");
      } catch (e) {
        throw sysError(`Cannot read metadata file ${file}`, e);
      }
    }
    await storeMetadata(ctx.paths, ref!, value);
    return 0;
  },
});
export default metadata;
