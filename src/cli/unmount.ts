import { defineCommand } from "./define.ts";
import { unmountLayer } from "../mount/layer-mount.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "./args.ts";
import { begin } from "./context.ts";
import { out, toJson } from "./output.ts";
import { errorLine, forEachRef } from "./report.ts";

const cmd = defineCommand({
  meta: { name: "unmount", description: "Unmount a layer (drops one mount; unmounts when none is left)" },
  args: {
    ...globalArgs,
    ...jsonArg,
    force: { type: "boolean", alias: ["f"], description: "Unmount whatever the mount count" },
    layer: { type: "positional", required: false, description: "Layer ID, name or mount point (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "unmount", 1, Infinity, "a layer ID or name");
    const results: { id: string; error: string }[] = [];
    const code = await forEachRef(
      refs,
      async (ref) => {
        const r = await unmountLayer(ctx.paths, ref, boolFlag(ctx.args, "force"));
        // containers-storage prints this line only when the layer is really unmounted.
        if (!r.stillMounted) out(`${ref} mountpoint unmounted`);
        results.push({ id: ref, error: "" });
      },
      (ref, e) => results.push({ id: ref, error: errorLine(e) }),
    );
    if (ctx.json) out(toJson(results));
    return code;
  },
});
export default cmd;
