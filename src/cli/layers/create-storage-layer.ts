import { defineCommand } from "../define.ts";
import { OvError } from "../../errors.ts";
import { generateId, validateId } from "../../store/layers/ids.ts";
import { ensureStoreDirs, withLayersRead } from "../../store/records/layer-store.ts";
import { findLayer } from "../../store/records/layers-json.ts";
import { createLayerDirs, planChildLowers } from "../../store/layers/layout.ts";
import { linkMode } from "../../store/layers/mode.ts";
import { expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { prepareStoreHome } from "./create-layer.ts";
import { out, toJson } from "../output.ts";
import { existsSync } from "node:fs";

/**
 * `create-storage-layer [PARENT]`: a layer only the driver knows (its
 * directory under R/overlay, no layers.json record), as upstream's test verb
 * makes one for check's "not accounted for" finding. PARENT is a driver
 * layer ID (or a layer's name or ID from layers.json).
 */
const cmd = defineCommand({
  meta: { name: "create-storage-layer", description: "Create a new layer only in the storage driver" },
  args: {
    ...globalArgs,
    ...jsonArg,
    id: { type: "string", alias: ["i"], description: "Layer ID" },
    parent: { type: "positional", required: false, description: "Parent layer ID" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [parentRef] = expectPositionals(ctx.args, "create-storage-layer", 0, 1, "at most one parent layer");
    const id = validateId(lastValue(ctx.args, "id") ?? generateId());
    const legacy = linkMode(ctx.paths) === "legacy-compatible";
    prepareStoreHome(ctx);
    ensureStoreDirs(ctx.paths, legacy);
    await withLayersRead(ctx.paths, (records) => {
      let parent: string | undefined;
      let grandparent: string | undefined;
      if (parentRef !== undefined) {
        const rec = findLayer(records, parentRef);
        parent = rec?.id ?? parentRef;
        grandparent = rec?.parent;
        if (!existsSync(ctx.paths.diff(parent))) throw new OvError("not-found", `Cannot create storage layer ${id}: parent ${JSON.stringify(parentRef)} has no directory ${ctx.paths.diff(parent)}`);
      }
      createLayerDirs(ctx.paths, id, parent, parent ? planChildLowers(ctx.paths, parent, legacy, grandparent) : {}, legacy);
    });
    out(ctx.json ? toJson(id) : id);
    return 0;
  },
});
export default cmd;
