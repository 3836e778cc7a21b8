import type { ArgsDef } from "citty";
import { defineCommand } from "../define.ts";
import { log } from "../../log.ts";
import { prepareHome } from "../../mount/propagation.ts";
import { realSys } from "../../mount/syscalls.ts";
import { readOnlyLayerStore } from "../../store/store-set.ts";
import { createLayer, type CreateLayerRequest } from "../../store/lifecycle/create.ts";
import type { Ctx } from "../context.ts";
import { allValues, boolFlag, expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { printLayerCreated } from "./layer-format.ts";
import { idMapArgs, idMapsFrom, mapsAtMountTime } from "./idmap-args.ts";
import { mark } from "../../profile.ts";

/** Flags shared by create-layer and import-layer. */
export const createArgs = {
  ...globalArgs,
  ...jsonArg,
  id: { type: "string", alias: ["i"], description: "Layer ID (64 hex chars are generated when absent)" },
  name: { type: "string", alias: ["n"], description: "Layer name (repeatable)" },
  readonly: { type: "boolean", alias: ["r"], description: "Mark as read-only: it will always be mounted read-only" },
  label: { type: "string", alias: ["l"], description: "Mount label (SELinux context)" },
  ...idMapArgs,
  parent: { type: "positional", required: false, description: "Parent layer ID or name" },
} satisfies ArgsDef;

/**
 * The layer create-layer and import-layer make, from the flags of `createArgs`
 * and the parent. As upstream's populateLayerOptions: a kind without a map
 * flag (and without --host*map) takes the parent's map; maps that idmapped
 * mounts apply at mount time are not recorded at all (decided in the
 * layers.json transaction, where the parent's record is at hand).
 */
export function createRequest(ctx: Ctx, parent: string | undefined): CreateLayerRequest {
  const maps = idMapsFrom(ctx.args);
  return {
    id: lastValue(ctx.args, "id"),
    names: allValues(ctx.args, "name"),
    // An empty parent means "no parent", as in containers-storage (create-layer "").
    parent: parent === "" ? undefined : parent,
    readonly: boolFlag(ctx.args, "readonly"),
    mountLabel: lastValue(ctx.args, "label"),
    uidmap: maps.uidmap,
    gidmap: maps.gidmap,
    inheritMaps: { uid: !maps.hostUid, gid: !maps.hostGid },
    mapsAtMountTime: (m) => mapsAtMountTime(ctx, m, "new layer"),
  };
}

/**
 * The overlay home made private before a layer is created, as containers-storage
 * does at store start (its stale-tmpdir.bats expects the bind mount after
 * create-layer). Reads never do this.
 */
export function prepareStoreHome(ctx: Ctx): void {
  const action = prepareHome(ctx.paths.home, ctx.options.overlay.skipMountHome, realSys);
  if (action === null) log.debug(`overlay home ${ctx.paths.home} not made private: no privilege to mount`);
  else if (action !== "none") log.debug(`overlay home ${ctx.paths.home}: ${action}`);
}

const cmd = defineCommand({
  meta: { name: "create-layer", description: "Create a new layer" },
  args: createArgs,
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [parent] = expectPositionals(ctx.args, "create-layer", 0, 1, "at most one parent layer");
    const req = createRequest(ctx, parent);
    // With a split image store a read-only layer goes there (store-set.ts).
    const target = req.readonly ? readOnlyLayerStore(ctx.paths) : ctx.paths;
    prepareStoreHome({ ...ctx, paths: target });
    mark("home-private");
    const rec = await createLayer(target, req);
    printLayerCreated(rec, ctx.json);
    return 0;
  },
});
export default cmd;
