/**
 * `applydiff-using-staging-dir LAYER DIR`: applies the files of a host
 * directory to a layer, as containers-storage's verb of that name does (it
 * tars DIR, stages the result and commits it into the layer). ovlayer tars
 * DIR to an unlinked temp file and applies it under the layers.json write
 * lock, which already keeps every other tool from seeing a half-applied
 * layer, so no staging directory is needed; the layer's digests and sizes are
 * recorded as for applydiff.
 */
import { defineCommand } from "../define.ts";
import { hostTarball, applyToLayer, spoolTarball } from "../../archive/layer.ts";
import { log } from "../../log.ts";
import { updateLayers } from "../../store/records/layer-store.ts";
import { requireCompleteLayer } from "../../store/records/layers-json.ts";
import { expectPositionals, globalArgs } from "../args.ts";
import { begin } from "../context.ts";

const cmd = defineCommand({
  meta: { name: "applydiff-using-staging-dir", description: "Apply the files of a directory to a layer" },
  args: {
    ...globalArgs,
    layer: { type: "positional", required: false, description: "Layer ID or name" },
    source: { type: "positional", required: false, description: "Directory whose contents become the layer's diff" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [ref, dir] = expectPositionals(ctx.args, "applydiff-using-staging-dir", 2, 2, "a layer ID or name and a source directory");
    const input = await spoolTarball(hostTarball(dir!, { name: "", what: dir! }), `the tarball of ${dir}`);
    try {
      await updateLayers(ctx.paths, async (txn) => {
        const rec = requireCompleteLayer(txn.records, ref!, "apply a diff to");
        const s = await applyToLayer(ctx.paths, ctx.options, rec, input);
        log.debug(`layer ${rec.id}: ${s.entries} entries from ${dir} applied, ${s.diffSize} bytes`);
        txn.save();
      });
    } finally {
      input.close();
    }
    return 0;
  },
});
export default cmd;
