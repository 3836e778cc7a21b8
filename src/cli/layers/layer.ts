import { defineCommand } from "../define.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { findLayer, isReadOnlyLayer, orderRecord, type LayerRecord } from "../../store/records/layers-json.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { printLayerDetail } from "./layer-format.ts";
import { out, toJson } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "layer", description: "Examine a layer" },
  args: { ...globalArgs, ...jsonArg, layer: { type: "positional", required: false, description: "Layer ID or name (several allowed)" } },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "layer", 1, Infinity, "a layer ID or name");
    const layers = readLayers(ctx.paths);
    const matched: LayerRecord[] = [];
    for (const ref of refs) {
      const l = findLayer(layers, ref);
      if (l) matched.push(l);
    }
    if (ctx.json) out(toJson(matched.map(orderRecord)));
    else for (const l of matched) printLayerDetail(l, isReadOnlyLayer(l));
    // As containers-storage: exit 1, printing nothing more, when a layer is unknown.
    return matched.length === refs.length ? 0 : 1;
  },
});
export default cmd;
