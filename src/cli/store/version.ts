import { defineCommand } from "../define.ts";
import { VERSION } from "../../version.ts";
import { globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "version", description: "Print ovlayer's version" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const pairs: [string, string][] = [
      ["Version", VERSION],
      ["Bun", Bun.version],
      ["Kernel", (await Bun.file("/proc/sys/kernel/osrelease").text()).trim()],
    ];
    if (ctx.json) out(toJson(pairs));
    else for (const [k, v] of pairs) out(`${k}: ${v}`);
    return 0;
  },
});
export default cmd;
