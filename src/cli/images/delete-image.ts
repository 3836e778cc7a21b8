import { defineCommand } from "../define.ts";
import { dropMount, trustedCount } from "../../mount/layer-unmount.ts";
import { deleteImage } from "../../store/lifecycle/images.ts";
import { readMountCounts } from "../../store/records/mount-counts.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { goMap, out, toJson, writeErr } from "../output.ts";
import { errorLine, forEachRef } from "../report.ts";

const cmd = defineCommand({
  meta: { name: "delete-image", description: "Delete an image, with safety checks (and the layers only it uses)" },
  args: {
    ...globalArgs,
    ...jsonArg,
    test: { type: "boolean", alias: ["t"], description: "Only test removal: print the layers that would go" },
    image: { type: "positional", required: false, description: "Image ID or name (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "delete-image", 1, Infinity, "an image ID or name");
    const commit = !boolFlag(ctx.args, "test");
    const results: Record<string, { "deleted-layers"?: string[]; error?: string }> = {};
    const code = await forEachRef(
      refs,
      async (ref) => {
        const layers = await deleteImage(ctx.paths, ref, commit, {
          mountCount: (id) => trustedCount(ctx.paths, id, readMountCounts(ctx.paths)),
          unmountAll: async (id) => {
            await dropMount(ctx.paths, id, true);
          },
        });
        results[ref] = layers.length ? { "deleted-layers": layers } : {};
        // containers-storage lists the removed layers on stderr, "<image>: <layer>".
        if (!ctx.json) for (const l of layers) await writeErr(`${ref}: ${l}\n`);
      },
      (ref, e) => {
        results[ref] = { error: errorLine(e) };
      },
    );
    if (ctx.json) out(toJson(goMap(results)));
    return code;
  },
});
export default cmd;
