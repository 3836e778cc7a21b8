import { defineCommand } from "../define.ts";
import { applyToLayer, openTarball } from "../../archive/layer.ts";
import { log } from "../../log.ts";
import { createLayer } from "../../store/lifecycle/create.ts";
import { expectPositionals, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { createArgs, createRequest, prepareStoreHome } from "../layers/create-layer.ts";
import { printLayerCreated } from "../layers/layer-format.ts";
import { startProgress } from "../progress.ts";

const cmd = defineCommand({
  meta: { name: "import-layer", description: "Import a new layer from a tarball (uncompressed, gzip or zstd)" },
  args: {
    ...createArgs,
    file: { type: "string", alias: ["f"], description: "Read from file instead of stdin" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [parent] = expectPositionals(ctx.args, "import-layer", 0, 1, "at most one parent layer");
    // Open the input first: a missing file must not leave a layer behind.
    const input = openTarball(lastValue(ctx.args, "file"));
    const progress = startProgress("import-layer", input.size !== undefined ? { total: input.size } : {});
    input.onRead = progress.add;
    try {
      prepareStoreHome(ctx);
      const rec = await createLayer(ctx.paths, createRequest(ctx, parent), async (rec) => {
        const s = await applyToLayer(ctx.paths, ctx.options, rec, input);
        log.debug(`layer ${rec.id}: ${s.entries} entries, ${s.diffSize} bytes (${s.compression}), tar-split ${s.tarSplit ? "written" : "not written"}`);
      });
      printLayerCreated(rec, ctx.json);
    } finally {
      progress.end();
      input.close();
    }
    return 0;
  },
});
export default cmd;
