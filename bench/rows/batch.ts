/**
 * A boot script's worth of work: 20 layers created (a chain, as an image's
 * layers are), each mounted, each unmounted. ovlayer runs it as one `batch`
 * (one process); containers-storage, which has no batch mode, as the same 60
 * calls in a shell loop, as an init script would make them. Between trials
 * (untimed) the store is wiped and sync(1) commits that.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { measure, timeProcess, type Side } from "../measure.ts";
import { buildStore, storeFlags, type Store } from "../stores.ts";
import { makeResult, maxRatio, progress, type Result, type RowEnv } from "./common.ts";

const LAYERS = 20;

/** The 60 command lines, with fixed IDs so that every trial does the same work. */
export function bootLines(prefix: string): string[][] {
  const ids = Array.from({ length: LAYERS }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`.padEnd(64, "0"));
  return [
    ...ids.map((id, i) => ["create-layer", "--id", id, ...(i ? [ids[i - 1]!] : [])]),
    ...ids.map((id) => ["mount", id]),
    ...ids.map((id) => ["unmount", id]),
  ];
}

function side(env: RowEnv, name: string, store: Store, argv: string[], wipe: string[]): Side {
  return {
    name,
    trial() {
      const r = timeProcess(argv, { env: env.ctx.env });
      if (r.stdout.split("\n").filter(Boolean).length !== 3 * LAYERS) throw new Error(`${name}: the boot batch printed ${JSON.stringify(r.stdout.slice(0, 400))}`);
      timeProcess(wipe, { env: env.ctx.env });
      Bun.spawnSync(["sync"]);
      return r;
    },
  };
}

export async function batchRows(env: RowEnv): Promise<Result[]> {
  const { ctx, plan } = env;
  const title = `a boot batch: ${LAYERS} layers created, ${LAYERS} mounts, ${LAYERS} unmounts`;
  env.log(title);
  const ovStore = await buildStore(ctx, "boot-ovlayer", 0, 0);
  const csStore = await buildStore(ctx, "boot-cs", 0, 0);
  const script = join(ctx.dir, "boot.batch");
  writeFileSync(script, bootLines("b0").map((l) => l.join(" ")).join("\n") + "\n");
  const loop = join(ctx.dir, "boot.sh");
  const cs = [ctx.tools.containersStorage, ...storeFlags(csStore)].join(" ");
  writeFileSync(loop, bootLines("c0").map((l) => `${cs} ${l.join(" ")} || exit 1`).join("\n") + "\n");
  const s = await measure(
    [
      side(env, "ovlayer", ovStore, [ctx.tools.ovlayer, ...storeFlags(ovStore), "batch", script], [ctx.tools.ovlayer, ...storeFlags(ovStore), "wipe"]),
      side(env, "cs", csStore, ["sh", loop], [ctx.tools.ovlayer, ...storeFlags(csStore), "wipe"]),
    ],
    { runs: Math.max(3, Math.ceil(plan.runs / 3)), warmup: plan.warmup, onRound: progress(env, title) },
  );
  return [makeResult("boot-batch", "batch", title, s.get("ovlayer")!, "containers-storage, 60 calls in sh", s.get("cs")!, maxRatio(0.15))];
}
