import { defineCommand } from "../define.ts";
import { readdirSync } from "node:fs";
import { errCode, sysError } from "../../errors.ts";
import { isLayerDirName } from "../../check/snapshot.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

/** `storage-layers`: the layers the overlay driver holds (directories of R/overlay), known to layers.json or not. */
const cmd = defineCommand({
  meta: { name: "storage-layers", description: "List storage layers" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "storage-layers", 0, 0, "no arguments");
    let ids: string[] = [];
    try {
      ids = readdirSync(ctx.paths.home, { withFileTypes: true })
        .filter((d) => d.isDirectory() && isLayerDirName(d.name))
        .map((d) => d.name);
    } catch (e) {
      if (errCode(e) !== "ENOENT") throw sysError(`Cannot list ${ctx.paths.home}`, e);
    }
    if (ctx.json) out(toJson(ids));
    else for (const id of ids) out(id);
    return 0;
  },
});
export default cmd;
