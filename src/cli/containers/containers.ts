import { defineCommand } from "../define.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { orderContainer } from "../../store/records/containers-json.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { printContainerEntry } from "../records/record-format.ts";

const cmd = defineCommand({
  meta: { name: "containers", description: "List containers" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "containers", 0, 0, "no arguments");
    const containers = readContainers(ctx.paths);
    if (ctx.json) out(toJson(containers.map(orderContainer)));
    else for (const c of containers) printContainerEntry(c);
    return 0;
  },
});
export default cmd;
