/**
 * `wipe`: removes every container (with its read-write layer), then every
 * image, then every layer of the store, as containers-storage's wipe does;
 * mounted layers are unmounted first.
 */
import { defineCommand } from "../define.ts";
import { log } from "../../log.ts";
import { dropMount } from "../../mount/layer-unmount.ts";
import { unmountBelow } from "../../mount/unmount-below.ts";
import { readMountCounts } from "../../store/records/mount-counts.ts";
import { wipeImagesAndContainers } from "../../store/wipe-records.ts";
import { wipeLayers } from "../../store/wipe.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "wipe", description: "Wipe all layers, images, and containers" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "wipe", 0, 0, "no arguments");
    const hooks = {
      mountCount: (id: string) => readMountCounts(ctx.paths).find((m) => m.id === id)?.count ?? 0,
      unmountAll: async (id: string) => {
        await dropMount(ctx.paths, id, true);
      },
    };
    const records = await wipeImagesAndContainers(ctx.paths, hooks);
    log.debug(`wiped ${records.containers} container(s) and ${records.images} image(s)`);
    const r = await wipeLayers(ctx.paths, {
      ...hooks,
      unmountBelow: (dir) => {
        unmountBelow(dir);
      },
    });
    log.debug(`wiped ${r.layers.length} layer(s)` + (r.leftovers.length ? `, and ${r.leftovers.length} directories without a record: ${r.leftovers.join(", ")}` : ""));
    if (ctx.json) out(toJson(""));
    return 0;
  },
});
export default cmd;
