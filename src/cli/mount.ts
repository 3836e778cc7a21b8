import { defineCommand } from "./define.ts";
import { mountLayer } from "../mount/layer-mount.ts";
import { allValues, boolFlag, expectPositionals, globalArgs, jsonArg, lastValue } from "./args.ts";
import { begin } from "./context.ts";
import { out, toJson } from "./output.ts";
import { errorLine, forEachRef } from "./report.ts";

const cmd = defineCommand({
  meta: { name: "mount", description: "Mount a layer; prints the mount point" },
  args: {
    ...globalArgs,
    ...jsonArg,
    opt: { type: "string", alias: ["o"], description: "Mount options, comma-separated (repeatable)" },
    ro: { type: "boolean", alias: ["r", "read-only"], description: "Mount read-only" },
    label: { type: "string", alias: ["l"], description: "Mount label (SELinux context)" },
    layer: { type: "positional", required: false, description: "Layer ID or name (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "mount", 1, Infinity, "a layer ID or name");
    const options = allValues(ctx.args, "opt").flatMap((o) => o.split(",")).filter(Boolean);
    const label = lastValue(ctx.args, "label");
    const results: { id: string; mountpoint: string; error: string }[] = [];
    const code = await forEachRef(
      refs,
      async (ref) => {
        const r = await mountLayer(ctx.paths, ctx.options, ref, { options, readOnly: boolFlag(ctx.args, "ro"), ...(label ? { label } : {}) });
        results.push({ id: ref, mountpoint: r.path, error: "" });
        if (!ctx.json) out(r.path);
      },
      (ref, e) => results.push({ id: ref, mountpoint: "", error: errorLine(e) }),
    );
    if (ctx.json) out(toJson(results));
    return code;
  },
});
export default cmd;
