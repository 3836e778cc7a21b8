import { defineCommand } from "../define.ts";
import { applyToLayer, openTarball } from "../../archive/layer.ts";
import { log } from "../../log.ts";
import { updateLayers } from "../../store/records/layer-store.ts";
import { requireCompleteLayer } from "../../store/records/layers-json.ts";
import { expectPositionals, globalArgs, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { startProgress } from "../progress.ts";

const cmd = defineCommand({
  meta: { name: "applydiff", description: "Apply a diff (a tarball: uncompressed, gzip or zstd) to a layer" },
  args: {
    ...globalArgs,
    file: { type: "string", alias: ["f"], description: "Read from file instead of stdin" },
    layer: { type: "positional", required: false, description: "Layer ID or name" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [ref] = expectPositionals(ctx.args, "applydiff", 1, 1, "one layer ID or name");
    const input = openTarball(lastValue(ctx.args, "file"));
    const progress = startProgress("applydiff", input.size !== undefined ? { total: input.size } : {});
    input.onRead = progress.add;
    try {
      await updateLayers(ctx.paths, async (txn) => {
        const rec = requireCompleteLayer(txn.records, ref!, "apply a diff to");
        const s = await applyToLayer(ctx.paths, ctx.options, rec, input);
        log.debug(`layer ${rec.id}: ${s.entries} entries applied, ${s.diffSize} bytes (${s.compression})`);
        txn.save();
      });
    } finally {
      progress.end();
      input.close();
    }
    return 0;
  },
});
export default cmd;
