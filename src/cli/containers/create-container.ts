import { defineCommand } from "../define.ts";
import { createContainer } from "../../store/lifecycle/containers.ts";
import { orderContainer } from "../../store/records/containers-json.ts";
import { allValues, boolFlag, expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { metadataArg, metadataArgs } from "../images/create-image.ts";
import { out, toJson } from "../output.ts";
import { idMapArgs, idMapsFrom, mapsAtMountTime } from "../layers/idmap-args.ts";
import { printCreated } from "../records/record-format.ts";

const cmd = defineCommand({
  meta: { name: "create-container", description: "Create a new container from an image (\"\" for none)" },
  args: {
    ...globalArgs,
    ...jsonArg,
    ...metadataArgs,
    name: { type: "string", alias: ["n"], description: "Container name (repeatable)" },
    id: { type: "string", alias: ["i"], description: "Container ID (64 hex chars are generated when absent)" },
    volatile: { type: "boolean", alias: [], description: "Mark as volatile (mounted with overlay's volatile option)" },
    ...idMapArgs,
    image: { type: "positional", required: false, description: "Image ID or name, or \"\" for a container from no image" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [image] = expectPositionals(ctx.args, "create-container", 1, 1, "one image ID or name (\"\" for none)");
    const maps = idMapsFrom(ctx.args);
    const rec = await createContainer(ctx.paths, {
      id: lastValue(ctx.args, "id"),
      names: allValues(ctx.args, "name"),
      image: image!,
      metadata: metadataArg(ctx.args),
      volatile: boolFlag(ctx.args, "volatile"),
      uidmap: maps.uidmap,
      gidmap: maps.gidmap,
      shifting: mapsAtMountTime(ctx, maps, "container"),
    });
    if (ctx.json) out(toJson(orderContainer(rec)));
    else printCreated(rec);
    return 0;
  },
});
export default cmd;
