import { defineCommand } from "./define.ts";
import { formatFinding } from "../check/findings.ts";
import { runCheck } from "../check/session.ts";
import { expectPositionals, globalArgs, jsonArg } from "./args.ts";
import { begin } from "./context.ts";
import { startProgress } from "./progress.ts";
import { formatLine } from "../log.ts";
import { out, toJson, writeErr } from "./output.ts";

const cmd = defineCommand({
  meta: { name: "check", description: "Check the store for problems; changes nothing (exit 1 when it finds any)" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "check", 0, 0, "no arguments");
    const progress = startProgress("check", { unit: "layer directories read" });
    let r;
    try {
      r = runCheck(ctx.paths, () => progress.add(1));
    } finally {
      progress.end();
    }
    if (ctx.json) out(toJson({ mode: r.mode, layers: r.layers, problems: r.findings }));
    else for (const f of r.findings) out(formatFinding(f));
    const n = r.findings.length;
    await writeErr(
      formatLine(
        "info",
        `check: ${n ? `${n} problem${n > 1 ? "s" : ""}` : "no problems"} in ${ctx.paths.graphRoot} (${r.layers} layer directories, ${r.mode} store)` +
          (n ? "; `ovlayer repair --dry-run` shows what repair would do" : ""),
      ),
    );
    return n ? 1 : 0;
  },
});
export default cmd;
