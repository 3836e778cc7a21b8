import { defineCommand } from "../define.ts";
import { formatFinding } from "../../check/findings.ts";
import { runCheck } from "../../check/session.ts";
import { checkUpstream } from "../../check/upstream/gather.ts";
import { formatUpstream, parseGoDuration, upstreamCount } from "../../check/upstream/judge.ts";
import { repairUpstream } from "../../check/upstream/repair.ts";
import { OvError } from "../../errors.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { deleteHooks } from "../layers/delete-common.ts";
import { startProgress } from "../progress.ts";
import { formatLine } from "../../log.ts";
import { out, toJson, writeErr } from "../output.ts";
import type { StorePaths } from "../../store/paths.ts";

const DEFAULT_MAX = "24h";

function toObject(m: Map<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(m);
}

async function inspect(paths: StorePaths, quick: boolean, maxAgeMs: number) {
  const progress = startProgress("check", { unit: "layer directories read" });
  try {
    const own = runCheck(paths, () => progress.add(1));
    const upstream = await checkUpstream(own.snapshot, { quick, maxAgeMs });
    return { own, upstream, findings: own.findings };
  } finally {
    progress.end();
  }
}

const cmd = defineCommand({
  meta: {
    name: "check",
    description: "Check storage consistency: containers-storage's findings, and with --verbose/--json ovlayer's own (links, lower files, mount counts)",
  },
  args: {
    ...globalArgs,
    ...jsonArg,
    repair: { type: "boolean", alias: ["r"], description: "Remove damaged images and layers" },
    force: { type: "boolean", alias: ["f"], description: "Remove damaged containers" },
    quick: { type: "boolean", alias: ["q"], description: "Perform only quick checks" },
    max: { type: "string", alias: ["m"], description: "Maximum allowed age for unreferenced layers (default 24h)" },
    verbose: { type: "boolean", alias: ["v"], description: "Also print ovlayer's own findings and a summary line" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "check", 0, 0, "no arguments");
    const force = boolFlag(ctx.args, "force");
    const repair = force || boolFlag(ctx.args, "repair");
    const verbose = boolFlag(ctx.args, "verbose");
    const max = lastValue(ctx.args, "max") ?? DEFAULT_MAX;
    const maxAgeMs = parseGoDuration(max);
    if (maxAgeMs === null) throw new OvError("usage", `check: invalid duration ${JSON.stringify(max)} for --max`, { hint: 'a Go duration such as "24h", "90m" or "0"' });
    const first = await inspect(ctx.paths, boolFlag(ctx.args, "quick"), maxAgeMs);
    const r = first.upstream;
    let failures: string[] = [];
    if (repair) failures = await repairUpstream(ctx.paths, r, force, deleteHooks(ctx.paths));
    // What ovlayer's own check still finds after a repair is read again.
    const own = repair && upstreamCount(r) > 0 ? (await inspect(ctx.paths, true, maxAgeMs)).findings : first.findings;
    if (ctx.json) {
      out(
        toJson({
          mode: first.own.mode,
          layers: first.own.layers,
          problems: own,
          upstream: {
            layers: toObject(r.layers),
            "read-only-layers": toObject(r.roLayers),
            images: toObject(r.images),
            "read-only-images": toObject(r.roImages),
            containers: toObject(r.containers),
          },
          ...(repair ? { "repair-errors": failures } : {}),
        }),
      );
    } else {
      for (const line of formatUpstream(r)) out(line);
      if (verbose) for (const f of own) out(formatFinding(f));
    }
    for (const f of failures) await writeErr(`${f}\n`);
    const ro = `${r.roLayers.size} read-only layer errors, `;
    const roImages = `${r.roImages.size} read-only image errors`;
    const counts = `${r.layers.size} layer errors, ${ro}${r.images.size} image errors, ${roImages}, ${r.containers.size} container errors`;
    let failed: string | null = null;
    if (failures.length) failed = `check: ${failures.length} removal(s) failed`;
    else if (!repair && upstreamCount(r) > 0) failed = `check: ${counts}`;
    else if (repair && !force && r.containers.size > 0) failed = `check: ${ro}${roImages}, ${r.containers.size} container errors (add --force to remove damaged containers)`;
    // Read-only stores are never repaired: what was found there stays (as upstream, exit 1).
    else if (repair && r.roLayers.size + r.roImages.size > 0) failed = `check: ${ro}${roImages} (read-only stores are not repaired)`;
    else if (own.length) {
      // A directory that could not be listed makes the rest doubtful: its error is named even without --verbose.
      const unread = own.find((f) => f.code === "unreadable");
      const first = unread ? ` (${unread.file} ${unread.problem})` : "";
      failed = `check: ${own.length} ovlayer problem(s)${first}; \`ovlayer check --verbose\` lists them, \`ovlayer repair\` fixes them`;
    }
    if (failed) await writeErr(formatLine("error", failed));
    else if (verbose) await writeErr(formatLine("info", `check: no problems in ${ctx.paths.graphRoot} (${first.own.layers} layer directories, ${first.own.mode} store)`));
    return failed ? 1 : 0;
  },
});
export default cmd;
