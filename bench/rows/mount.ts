/**
 * mount + unmount of the top layer of a chain (one `mount` and one `unmount`
 * process, timed together), on one store per depth. Depth = lower layers of
 * the mounted layer, so depth 500 is the kernel's limit.
 *
 * At the depths containers-storage 1.43 can mount (it stops at 128) both
 * tools run with their default strategy. Deeper, ovlayer runs with each
 * strategy forced and is compared with the kernel floor: a C program that
 * makes the same overlay the same way and nothing else. How ovlayer's cost
 * grows from depth 1 against how the floor's grows tells how much of the
 * growth is the kernel's.
 *
 * Every trial starts with an untimed sync(1): unmounting a read-write overlay
 * syncs its whole upper filesystem (overlayfs' sync_fs), so without it a
 * trial would pay for whatever anything on the machine wrote to that
 * filesystem before (3-80 ms measured here, at any depth).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { isMountPoint } from "../../src/mount/mountinfo.ts";
import { measure, sum, timeProcess, type Side, type Stats } from "../measure.ts";
import { buildStore, lowerDiffs, storeFlags, type Store } from "../stores.ts";
import { makeResult, maxRatio, progress, type Check, type Result, type RowEnv } from "./common.ts";

const STRATEGIES = ["direct", "fd", "api"] as const;
type Strategy = (typeof STRATEGIES)[number];

function sync(): void {
  Bun.spawnSync(["sync"]);
}

function top(store: Store): string {
  return store.ids[store.ids.length - 1]!;
}

/** A side that mounts and unmounts the top layer with `bin`; checks the mount is real in round 0. */
function toolSide(env: RowEnv, name: string, bin: string, store: Store, extra: string[] = []): Side {
  const id = top(store);
  const merged = store.paths.merged(id);
  const argv = (verb: string) => [bin, ...storeFlags(store), ...extra, verb, id];
  return {
    name,
    trial(round) {
      sync();
      const m = timeProcess(argv("mount"), { env: env.ctx.env });
      if (round === 0 && (m.stdout.trim() !== merged || !isMountPoint(merged))) {
        throw new Error(`${name} mount ${id} printed ${JSON.stringify(m.stdout.trim())}, and ${merged} is ${isMountPoint(merged) ? "" : "not "}mounted`);
      }
      const u = timeProcess(argv("unmount"), { env: env.ctx.env });
      if (round === 0 && isMountPoint(merged)) throw new Error(`${name} unmount ${id} left ${merged} mounted`);
      return sum(m, u);
    },
  };
}

/** The kernel floor: same overlay, same strategy, onto the same mount point, with its own upper and work dirs. */
function floorSide(env: RowEnv, name: string, floor: string, store: Store, strategy: Strategy): Side {
  const id = top(store);
  const dir = join(env.ctx.dir, "floor", store.name);
  mkdirSync(join(dir, "upper"), { recursive: true });
  mkdirSync(join(dir, "work"), { recursive: true });
  const argv = [floor, strategy, store.paths.merged(id), join(dir, "upper"), join(dir, "work"), ...lowerDiffs(store, id)];
  return {
    name,
    trial() {
      sync();
      return timeProcess(argv, { env: env.ctx.env });
    },
  };
}

/** Why `strategy` cannot mount this store's top layer, or null when it can (tried once, untimed). */
function strategyUnusable(env: RowEnv, store: Store, strategy: Strategy): string | null {
  const flags = [env.ctx.tools.ovlayer, ...storeFlags(store), "--storage-opt", `overlay.mount_strategy=${strategy}`];
  try {
    timeProcess([...flags, "mount", top(store)], { env: env.ctx.env });
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.includes("page size")) return `n/a: the ${strategy} strategy's mount data does not fit in a page`;
    throw e;
  }
  timeProcess([...flags, "unmount", top(store)], { env: env.ctx.env });
  return null;
}

export async function mountRows(env: RowEnv): Promise<{ results: Result[]; checks: Check[] }> {
  const { ctx, plan } = env;
  const depths = [...new Set([...plan.bothDepths, ...plan.strategyDepths])].sort((a, b) => a - b);
  const stores = new Map<number, Store>();
  for (const d of depths) {
    const t0 = performance.now();
    stores.set(d, await buildStore(ctx, `chain-${d}`, 1, d + 1));
    env.log(`built a chain of ${d + 1} layers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const results: Result[] = [];
  const opts = (title: string) => ({ runs: plan.runs, warmup: plan.warmup, onRound: progress(env, title) });
  // Every depth and both tools in one interleaved measurement, so that the
  // growth with depth is not blurred by the machine's load changing between rows.
  const bothTitle = `mount + unmount, depths ${plan.bothDepths.join("/")}, both tools`;
  env.log(bothTitle);
  const both = await measure(
    plan.bothDepths.flatMap((d) => [
      toolSide(env, `ovlayer@${d}`, ctx.tools.ovlayer, stores.get(d)!),
      toolSide(env, `cs@${d}`, ctx.tools.containersStorage, stores.get(d)!),
    ]),
    opts(bothTitle),
  );
  for (const d of plan.bothDepths) {
    const title = `mount + unmount, depth ${d}`;
    results.push(makeResult(`mount-${d}`, "mount", title, both.get(`ovlayer@${d}`)!, "containers-storage", both.get(`cs@${d}`)!, d === 127 ? maxRatio(0.7) : d === 1 ? maxRatio(1) : undefined));
  }

  const byStrategy = new Map<Strategy, Map<number, { ov: Stats | null; floor: Stats | null }>>();
  for (const strategy of STRATEGIES) {
    const perDepth = new Map<number, { ov: Stats | null; floor: Stats | null }>();
    byStrategy.set(strategy, perDepth);
    const unusable = new Map(plan.strategyDepths.map((d) => [d, strategyUnusable(env, stores.get(d)!, strategy)]));
    const usable = plan.strategyDepths.filter((d) => !unusable.get(d));
    const sides = usable.flatMap((d) => {
      const store = stores.get(d)!;
      const ov = toolSide(env, `ovlayer@${d}`, ctx.tools.ovlayer, store, ["--storage-opt", `overlay.mount_strategy=${strategy}`]);
      return ctx.tools.mountFloor ? [ov, floorSide(env, `floor@${d}`, ctx.tools.mountFloor, store, strategy)] : [ov];
    });
    const title = `mount + unmount, ${strategy} strategy, depths ${usable.join("/")}`;
    env.log(title);
    const s = sides.length ? await measure(sides, opts(title)) : new Map<string, Stats>();
    for (const d of plan.strategyDepths) {
      const id = `mount-${d}-${strategy}`;
      const rowTitle = `mount + unmount, depth ${d}, ${strategy} strategy`;
      const ov = s.get(`ovlayer@${d}`) ?? null;
      const floor = s.get(`floor@${d}`) ?? null;
      perDepth.set(d, { ov, floor });
      const note = unusable.get(d) ?? (floor ? undefined : "no C compiler: floor not measured");
      results.push(makeResult(id, "mount-strategy", rowTitle, ov, "kernel floor (C)", floor, undefined, note ?? undefined));
    }
  }
  return { results, checks: kernelShareChecks(plan.strategyDepths, byStrategy) };
}

/**
 * For each strategy: of the extra cost of the deepest mount over depth 1,
 * how much the kernel floor also pays. Met when ovlayer's own part of the
 * growth is at most 20% of it (or under 0.5 ms).
 */
function kernelShareChecks(depths: number[], byStrategy: Map<Strategy, Map<number, { ov: Stats | null; floor: Stats | null }>>): Check[] {
  const lo = Math.min(...depths);
  const hi = Math.max(...depths);
  const checks: Check[] = [];
  for (const [strategy, perDepth] of byStrategy) {
    const a = perDepth.get(lo);
    const b = perDepth.get(hi);
    const id = `kernel-share-${hi}-${strategy}`;
    const title = `depth ${hi} vs ${lo}, ${strategy}: extra cost that is the kernel's`;
    const target = "ovlayer's own part <= 20% of the growth (or <= 0.5 ms)";
    if (!a?.ov || !b?.ov || !a.floor || !b.floor) {
      checks.push({ id, title, value: null, text: "n/a", target, met: null });
      continue;
    }
    const dOv = b.ov.median - a.ov.median;
    const dFloor = b.floor.median - a.floor.median;
    const own = dOv - dFloor;
    checks.push({
      id,
      title,
      value: dOv > 0 ? dFloor / dOv : null,
      text: `ovlayer +${dOv.toFixed(2)} ms, kernel floor +${dFloor.toFixed(2)} ms: ovlayer's own part ${own.toFixed(2)} ms`,
      target,
      met: own <= Math.max(0.5, 0.2 * dOv),
    });
  }
  return checks;
}
