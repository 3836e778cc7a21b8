import { defineCommand } from "../define.ts";
import { trustedCount } from "../../mount/layer-unmount.ts";
import { readMountinfo } from "../../mount/mountinfo.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { findLayer } from "../../store/records/layers-json.ts";
import { readMountCounts } from "../../store/records/mount-counts.ts";
import { OvError } from "../../errors.ts";
import { mountTarget } from "../../store/mount-target.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { errorLine, forEachRef } from "../report.ts";
import { quoteArg } from "../../quote.ts";

const cmd = defineCommand({
  meta: { name: "mounted", description: "Check if a layer is mounted: prints '<ID> mounted' or nothing" },
  args: { ...globalArgs, ...jsonArg, layer: { type: "positional", required: false, description: "Layer ID or name (several allowed)" } },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "mounted", 1, Infinity, "a layer ID or name");
    const layers = readLayers(ctx.paths);
    const counts = readMountCounts(ctx.paths);
    const mountinfo = readMountinfo();
    const results: { id: string; error: string }[] = [];
    const code = await forEachRef(
      refs,
      async (ref) => {
        const rec = findLayer(layers, mountTarget(ctx.paths, ref, false).layer);
        if (!rec) throw new OvError("not-found", `Cannot check whether ${quoteArg(ref)} is mounted: no such layer`);
        if (trustedCount(ctx.paths, rec.id, counts, mountinfo) > 0) out(`${ref} mounted`);
        results.push({ id: ref, error: "" });
      },
      (ref, e) => results.push({ id: ref, error: errorLine(e) }),
    );
    if (ctx.json) out(toJson(results));
    return code;
  },
});
export default cmd;
