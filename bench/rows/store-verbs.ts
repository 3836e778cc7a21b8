/**
 * The verbs whose cost depends on the size of layers.json: `create-layer` at
 * several store sizes (each created layer is deleted again, untimed, so the
 * store keeps its size, and sync(1) then commits the delete: otherwise the
 * next create's fsync of layers.json would pay for writing it out), and
 * `layers` / `layer ID` on a big store. Stores are chains of 10 layers, like
 * images.
 */
import { measure, timeProcess, type Side } from "../measure.ts";
import { buildStore, storeFlags, type Store } from "../stores.ts";
import { makeResult, maxRatio, progress, type Check, type Result, type RowEnv } from "./common.ts";

const CHAIN = 10;

async function storeOf(env: RowEnv, size: number): Promise<Store> {
  const t0 = performance.now();
  const store = await buildStore(env.ctx, `size-${size}`, Math.ceil(size / CHAIN), Math.min(size, CHAIN));
  env.log(`built a store of ${store.ids.length} layers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return store;
}

function createSide(env: RowEnv, name: string, bin: string, store: Store): Side {
  const flags = [bin, ...storeFlags(store)];
  return {
    name,
    trial() {
      const r = timeProcess([...flags, "create-layer"], { env: env.ctx.env });
      const id = r.stdout.trim().split("\n")[0]!;
      if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`${name} create-layer printed ${JSON.stringify(r.stdout)}`);
      timeProcess([...flags, "delete-layer", id], { env: env.ctx.env });
      Bun.spawnSync(["sync"]);
      return r;
    },
  };
}

/** A side running a read-only verb; round 0 checks that the output names `expect`. */
function readSide(env: RowEnv, name: string, bin: string, store: Store, args: string[], expect: string): Side {
  const argv = [bin, ...storeFlags(store), ...args];
  return {
    name,
    trial(round) {
      const r = timeProcess(argv, { env: env.ctx.env });
      if (round === 0 && !r.stdout.includes(expect)) throw new Error(`${argv.join(" ")} does not print ${expect}`);
      return r;
    },
  };
}

export async function storeVerbRows(env: RowEnv): Promise<{ results: Result[]; checks: Check[] }> {
  const { ctx, plan } = env;
  const results: Result[] = [];
  const opts = (title: string) => ({ runs: plan.runs, warmup: plan.warmup, onRound: progress(env, title) });
  // All sizes and both tools in one interleaved measurement: the growth with
  // store size is then not blurred by the machine's load changing between rows.
  const stores = new Map<number, Store>();
  for (const size of plan.createSizes) stores.set(size, await storeOf(env, size));
  const createTitle = `create-layer, stores of ${plan.createSizes.join("/")} layers`;
  env.log(createTitle);
  const cs = await measure(
    plan.createSizes.flatMap((size) => [
      createSide(env, `ovlayer@${size}`, ctx.tools.ovlayer, stores.get(size)!),
      createSide(env, `cs@${size}`, ctx.tools.containersStorage, stores.get(size)!),
    ]),
    opts(createTitle),
  );
  const createMedians = new Map<number, number>();
  for (const size of plan.createSizes) {
    const ov = cs.get(`ovlayer@${size}`)!;
    createMedians.set(size, ov.median);
    results.push(makeResult(`create-${size}`, "create-layer", `create-layer, store of ${size} layers`, ov, "containers-storage", cs.get(`cs@${size}`)!, size === 10 || size === 500 ? maxRatio(1) : undefined));
  }

  const big = await storeOf(env, plan.listSize);
  const last = big.ids[big.ids.length - 1]!;
  const middle = big.ids[big.ids.length >> 1]!;
  for (const [verb, args, expect, target] of [
    ["layers", ["layers"], last, maxRatio(1)],
    ["layer", ["layer", middle], middle, undefined],
  ] as const) {
    const title = verb === "layers" ? `\`layers\`, ${plan.listSize} layers` : `\`layer ID\`, ${plan.listSize} layers`;
    env.log(title);
    const s = await measure(
      [readSide(env, "ovlayer", ctx.tools.ovlayer, big, [...args], expect), readSide(env, "cs", ctx.tools.containersStorage, big, [...args], expect)],
      opts(title),
    );
    results.push(makeResult(`${verb}-${plan.listSize}`, "read", title, s.get("ovlayer")!, "containers-storage", s.get("cs")!, target));
  }

  const lo = Math.min(...plan.createSizes);
  const hi = Math.max(...plan.createSizes);
  const growth = createMedians.get(hi)! / createMedians.get(lo)!;
  const checks: Check[] = [
    {
      id: "create-flat",
      title: `create-layer: ovlayer at ${hi} layers over ${lo}`,
      value: growth,
      text: `${growth.toFixed(2)}x (${createMedians.get(lo)!.toFixed(2)} -> ${createMedians.get(hi)!.toFixed(2)} ms)`,
      target: "<= 1.5x",
      met: growth <= 1.5,
    },
  ];
  return { results, checks };
}
