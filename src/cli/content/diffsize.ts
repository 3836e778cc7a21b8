import { defineCommand } from "../define.ts";
import { resolveDiffTarget, targetDiffSize } from "../../archive/layer.ts";
import { withLayersRead } from "../../store/records/layer-store.ts";
import { expectPositionals, globalArgs } from "../args.ts";
import { begin } from "../context.ts";
import { out } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "diffsize", description: "Print the size in bytes of a layer's changes against its parent or a reference layer" },
  args: {
    ...globalArgs,
    layer: { type: "positional", required: false, description: "Layer ID or name" },
    reference: { type: "positional", required: false, description: "Reference layer (default: the parent)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [ref, reference] = expectPositionals(ctx.args, "diffsize", 1, 2, "a layer and an optional reference layer");
    const size = await withLayersRead(ctx.paths, (records) => targetDiffSize(ctx.paths, resolveDiffTarget(ctx.paths, records, ref!, reference, "measure the changes of")));
    out(String(size));
    return 0;
  },
});
export default cmd;
