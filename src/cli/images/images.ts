/**
 * `images` and `images-by-digest`: image lists, as containers-storage prints them.
 */
import type { ArgsDef } from "citty";
import { defineCommand } from "../define.ts";
import { readImages } from "../../store/records/image-store.ts";
import { imageDigests, orderImage, type ImageRecord } from "../../store/records/images-json.ts";
import { validateDigest } from "../../store/lifecycle/images.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { printImageEntry } from "../records/record-format.ts";

const listArgs = {
  ...globalArgs,
  ...jsonArg,
  quiet: { type: "boolean", alias: ["q"], description: "Only print IDs" },
} satisfies ArgsDef;

function print(images: readonly ImageRecord[], json: boolean, quiet: boolean): void {
  if (json) out(toJson(images.map(orderImage)));
  else for (const i of images) printImageEntry(i, quiet);
}

export const images = defineCommand({
  meta: { name: "images", description: "List images" },
  args: listArgs,
  async run({ rawArgs }) {
    const ctx = await begin(images, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "images", 0, 0, "no arguments");
    print(readImages(ctx.paths), ctx.json, boolFlag(ctx.args, "quiet"));
    return 0;
  },
});

export const imagesByDigest = defineCommand({
  meta: { name: "images-by-digest", description: "List images by digest" },
  args: { ...listArgs, digest: { type: "positional", required: false, description: "Digest (sha256:...)" } },
  async run({ rawArgs }) {
    const ctx = await begin(imagesByDigest, rawArgs);
    if (!ctx) return 0;
    const [digest] = expectPositionals(ctx.args, "images-by-digest", 1, 1, "one digest");
    validateDigest(digest!);
    print(readImages(ctx.paths).filter((i) => imageDigests(i).includes(digest!)), ctx.json, boolFlag(ctx.args, "quiet"));
    return 0;
  },
});
export default images;
