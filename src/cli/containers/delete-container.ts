import { defineCommand } from "../define.ts";
import { deleteContainer } from "../../store/lifecycle/containers.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { deleteHooks } from "../layers/delete-common.ts";
import { goMap, out, toJson } from "../output.ts";
import { errorLine, forEachRef } from "../report.ts";

const cmd = defineCommand({
  meta: { name: "delete-container", description: "Delete a container, with its layer and directories (unmounted first)" },
  args: { ...globalArgs, ...jsonArg, container: { type: "positional", required: false, description: "Container ID or name (several allowed)" } },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "delete-container", 1, Infinity, "a container ID or name");
    const results: Record<string, string> = {};
    const code = await forEachRef(
      refs,
      async (ref) => {
        await deleteContainer(ctx.paths, ref, deleteHooks(ctx.paths));
        results[ref] = "";
      },
      (ref, e) => {
        results[ref] = errorLine(e);
      },
    );
    if (ctx.json) out(toJson(goMap(results)));
    return code;
  },
});
export default cmd;
