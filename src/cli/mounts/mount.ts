import { defineCommand } from "../define.ts";
import { mountLayer } from "../../mount/layer-mount.ts";
import { mountTarget } from "../../store/mount-target.ts";
import { allValues, boolFlag, expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { errorLine, forEachRef } from "../report.ts";
import { mark } from "../../profile.ts";

const cmd = defineCommand({
  meta: { name: "mount", description: "Mount a layer or a container (its own layer on its image's stack); with --ro an image read-only; prints the mount point" },
  args: {
    ...globalArgs,
    ...jsonArg,
    opt: { type: "string", alias: ["o"], description: "Mount options, comma-separated (repeatable)" },
    ro: { type: "boolean", alias: ["r", "read-only"], description: "Mount an image (its top layer) read-only; a layer or container read-only" },
    label: { type: "string", alias: ["l"], description: "Mount label (SELinux context)" },
    layer: { type: "positional", required: false, description: "Layer or container ID or name, or an image with --ro (several allowed)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "mount", 1, Infinity, "a layer, container or image ID or name");
    const options = allValues(ctx.args, "opt").flatMap((o) => o.split(",")).filter(Boolean);
    const label = lastValue(ctx.args, "label");
    const results: { id: string; mountpoint: string; error: string }[] = [];
    const code = await forEachRef(
      refs,
      async (ref) => {
        const readOnly = boolFlag(ctx.args, "ro");
        const t = mountTarget(ctx.paths, ref, readOnly);
        mark("target");
        // An image's mapped copy (store/lifecycle/mapped-layer.ts and the copy code) loads only for an image.
        const layer = t.image ? await (await import("../../store/lifecycle/mapped-layer.ts")).hostTopLayer(ctx.paths, t.image, t.layer) : t.layer;
        const r = await mountLayer(ctx.paths, ctx.options, layer, { options: t.volatile ? ["volatile", ...options] : options, readOnly, ...(label ? { label } : {}), ...(t.maps ? { maps: t.maps } : {}) });
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
