/**
 * `repair` and what it and `migrate` print: one line per action on stdout
 * (the same lines for a dry run), what cannot be done and failures on
 * stderr, or one JSON object. Exit code: a failed action's kind, else 1 while
 * problems remain (as check), else 0.
 */
import { defineCommand } from "../define.ts";
import { actionJson, describeAction } from "../../check/actions.ts";
import { formatFinding } from "../../check/findings.ts";
import { runRepair, type ChangeResult } from "../../check/session.ts";
import { EXIT_CODES } from "../../errors.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson, writeErr } from "../output.ts";
import { formatError } from "../report.ts";
import { formatLine } from "../../log.ts";

const cmd = defineCommand({
  meta: {
    name: "repair",
    description: "Fix what check finds and can be fixed without guessing (safe at boot: a second run does nothing); never removes a complete layer",
  },
  args: {
    ...globalArgs,
    ...jsonArg,
    "dry-run": { type: "boolean", alias: ["n"], description: "Print the actions without doing them" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "repair", 0, 0, "no arguments");
    const r = runRepair(ctx.paths, { dryRun: boolFlag(ctx.args, "dry-run") });
    return reportChange("repair", r, ctx.json);
  },
});
export default cmd;

/** Prints a repair or migrate result; returns the exit code. */
export async function reportChange(verb: string, r: ChangeResult, json: boolean): Promise<number> {
  const failedSet = new Set(r.failed.map((f) => f.action));
  if (json) {
    out(
      toJson({
        dryRun: r.dryRun,
        mode: r.mode,
        nothingToDo: r.actions.length === 0,
        actions: r.actions.map((a) => ({ ...actionJson(a), done: !r.dryRun && !failedSet.has(a) })),
        failed: r.failed.map((f) => ({ ...actionJson(f.action), error: f.error.message })),
        remaining: r.remaining,
      }),
    );
  } else {
    for (const a of r.actions) if (!failedSet.has(a)) out(describeAction(a));
  }
  let err = "";
  if (!json) {
    for (const f of r.failed) err += formatLine("error", `${verb}: failed: ${describeAction(f.action)}`) + formatError(f.error).text;
    const label = verb === "migrate" ? "blocked by" : "cannot fix";
    for (const f of r.remaining) err += formatLine("info", `${verb}: ${label}: ${formatFinding(f)}`);
  }
  const n = r.actions.length;
  const left = r.remaining.length
    ? `; ${r.remaining.length} problem${r.remaining.length > 1 ? "s" : ""} ${verb === "migrate" ? "block it (run `ovlayer repair` first)" : "left that repair cannot fix"}`
    : "";
  if (n === 0) err += formatLine("info", `${verb}: nothing to do (${r.layers} layer directories, ${r.mode} store)${left}`);
  else if (r.dryRun) err += formatLine("info", `${verb}: dry run: ${n} action${n > 1 ? "s" : ""} planned, none done${left}`);
  else err += formatLine("info", `${verb}: ${n - r.failed.length} of ${n} action${n > 1 ? "s" : ""} done${r.failed.length ? `, ${r.failed.length} failed` : ""}${left}`);
  await writeErr(err);
  if (r.failed.length) return EXIT_CODES[r.failed[0]!.error.kind];
  return r.remaining.length ? 1 : 0;
}
