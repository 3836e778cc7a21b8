/**
 * Start-up: `ovlayer --version` against a bare Bun-compiled hello world built
 * with the same flags, so the difference is what ovlayer loads before it can
 * answer.
 */
import { measure, timeProcess } from "../measure.ts";
import { makeResult, maxRatio, progress, type Result, type RowEnv } from "./common.ts";

export async function startupRows(env: RowEnv): Promise<Result[]> {
  const { ctx, plan } = env;
  env.log("start-up: ovlayer --version vs a bare Bun hello world");
  const version = timeProcess([ctx.tools.ovlayer, "--version"], { env: ctx.env }).stdout;
  if (!version.startsWith("ovlayer version ")) throw new Error(`ovlayer --version printed ${JSON.stringify(version)}`);
  const s = await measure(
    [
      { name: "ovlayer", trial: () => timeProcess([ctx.tools.ovlayer, "--version"], { env: ctx.env }) },
      { name: "hello", trial: () => timeProcess([ctx.tools.hello], { env: ctx.env }) },
    ],
    // Start-up is the cheapest row and the noisiest relative to its size: more rounds.
    { runs: plan.runs * 2, warmup: plan.warmup, onRound: progress(env, "--version") },
  );
  return [makeResult("startup", "start-up", "`--version` (start-up)", s.get("ovlayer")!, "bare Bun hello world", s.get("hello")!, maxRatio(1.1))];
}
