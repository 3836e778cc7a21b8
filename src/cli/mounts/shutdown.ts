/**
 * `shutdown [--force]`: refuses while layers are mounted (exit 1 and
 * upstream's "a layer is mounted: layer is in use by a container", which
 * scripts match), unmounts them first with --force, then undoes the overlay
 * home's private bind mount (mount/shutdown.ts).
 */
import { defineCommand } from "../define.ts";
import { log } from "../../log.ts";
import { LayersMountedError, shutdownStore } from "../../mount/shutdown.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson, writeErr } from "../output.ts";
import { formatError } from "../report.ts";

const cmd = defineCommand({
  meta: { name: "shutdown", description: "Shut down layer storage" },
  args: {
    ...globalArgs,
    ...jsonArg,
    force: { type: "boolean", alias: ["f"], description: "Unmount mounted layers first" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "shutdown", 0, 0, "no arguments");
    try {
      const r = await shutdownStore(ctx.paths, boolFlag(ctx.args, "force"));
      if (r.mounted.length) log.debug(`unmounted ${r.mounted.length} layer(s): ${r.mounted.join(", ")}`);
      log.debug(r.homeUnmounted ? `unmounted the overlay home ${ctx.paths.home}` : `overlay home ${ctx.paths.home} left as it was`);
    } catch (e) {
      if (!(e instanceof LayersMountedError)) throw e;
      // containers-storage exits 1 here, not with a "busy" code.
      if (ctx.json) out(toJson(e.message));
      await writeErr(formatError(e).text.replace(/^ovlayer: /, "ovlayer: shutdown: "));
      return 1;
    }
    if (ctx.json) out(toJson(""));
    return 0;
  },
});
export default cmd;
