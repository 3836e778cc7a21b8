/**
 * `delete-layer` and `delete` share everything but the safety checks.
 */
import { defineCommand } from "./define.ts";
import { dropMount, trustedCount } from "../mount/layer-mount.ts";
import { deleteLayer } from "../store/delete.ts";
import { readMountCounts } from "../store/mount-counts.ts";
import { expectPositionals, globalArgs, jsonArg } from "./args.ts";
import { begin } from "./context.ts";
import { out, toJson } from "./output.ts";
import { errorLine, forEachRef } from "./report.ts";

export function deleteCommand(name: string, description: string, safe: boolean) {
  const cmd = defineCommand({
    meta: { name, description },
    args: { ...globalArgs, ...jsonArg, layer: { type: "positional", required: false, description: "Layer ID or name (several allowed)" } },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      const refs = expectPositionals(ctx.args, name, 1, Infinity, "a layer ID or name");
      const results: Record<string, string> = {};
      const code = await forEachRef(
        refs,
        async (ref) => {
          await deleteLayer(ctx.paths, ref, safe, {
            mountCount: (id) => trustedCount(ctx.paths, id, readMountCounts(ctx.paths)),
            unmountAll: async (id) => {
              await dropMount(ctx.paths, id, true);
            },
          });
          results[ref] = "";
        },
        (ref, e) => {
          results[ref] = errorLine(e);
        },
      );
      if (ctx.json) out(toJson(results));
      return code;
    },
  });
  return cmd;
}
