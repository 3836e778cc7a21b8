import { defineCommand } from "../define.ts";
import { unmountLayer } from "../../mount/layer-unmount.ts";
import { unmountTargets } from "../../store/mount-target.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { errorLine, forEachRef } from "../report.ts";
import { mark } from "../../profile.ts";

const cmd = defineCommand({
  meta: { name: "unmount", description: "Unmount a layer, container or image (drops one mount; unmounts when none is left)" },
  args: {
    ...globalArgs,
    ...jsonArg,
    force: { type: "boolean", alias: ["f"], description: "Unmount whatever the mount count" },
    layer: { type: "positional", required: false, description: "Layer, container or image ID or name, or a mount point (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "unmount", 1, Infinity, "a layer, container or image ID or name");
    const results: { id: string; error: string }[] = [];
    const code = await forEachRef(
      refs,
      async (ref) => {
        // A container's layer or the layer itself, else an image's top layer (upstream's Unmount, then UnmountImage).
        const [first, ...rest] = unmountTargets(ctx.paths, ref);
        mark("target");
        let r;
        try {
          r = await unmountLayer(ctx.paths, first!, boolFlag(ctx.args, "force"));
        } catch (e) {
          if (!rest.length) throw e;
          r = await unmountLayer(ctx.paths, rest[0]!, boolFlag(ctx.args, "force"));
        }
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
