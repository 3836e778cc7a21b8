/**
 * `gc`: removes what the layer store holds for layers that have no record
 * (store/gc.ts). Unlike containers-storage's CLI, which force-unmounts every
 * layer afterwards (it calls Shutdown(true)), mounted layers stay mounted.
 * Image and container data dirs are the store core's (call point below).
 */
import { defineCommand } from "../define.ts";
import { log } from "../../log.ts";
import { unmountBelow } from "../../mount/unmount-below.ts";
import { collectLayerGarbage } from "../../store/gc.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "gc", description: "Perform garbage collection" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "gc", 0, 0, "no arguments");
    // CALL POINT for the store core: image and container data dirs without a record go here.
    const r = await collectLayerGarbage(ctx.paths, (dir) => {
      unmountBelow(dir);
    });
    for (const p of r.removed) log.debug(`removed ${p}`);
    if (ctx.json) out(toJson(""));
    return 0;
  },
});
export default cmd;
