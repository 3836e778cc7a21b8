import type { ArgsDef } from "citty";
import { defineCommand } from "./define.ts";
import { createLayer, type CreateLayerRequest } from "../store/create.ts";
import { allValues, boolFlag, expectPositionals, globalArgs, jsonArg, lastValue, type ScannedArgs } from "./args.ts";
import { begin } from "./context.ts";
import { printLayerCreated } from "./layer-format.ts";

/** Flags shared by create-layer and import-layer. */
export const createArgs = {
  ...globalArgs,
  ...jsonArg,
  id: { type: "string", alias: ["i"], description: "Layer ID (64 hex chars are generated when absent)" },
  name: { type: "string", alias: ["n"], description: "Layer name (repeatable)" },
  readonly: { type: "boolean", alias: ["r"], description: "Mark as read-only: it will always be mounted read-only" },
  label: { type: "string", alias: ["l"], description: "Mount label (SELinux context)" },
  parent: { type: "positional", required: false, description: "Parent layer ID or name" },
} satisfies ArgsDef;

/** The layer create-layer and import-layer make, from the flags of `createArgs` and the parent. */
export function createRequest(args: ScannedArgs, parent: string | undefined): CreateLayerRequest {
  return {
    id: lastValue(args, "id"),
    names: allValues(args, "name"),
    parent: parent || undefined, // `create-layer ""` is a base layer, as containers-storage reads it
    readonly: boolFlag(args, "readonly"),
    mountLabel: lastValue(args, "label"),
  };
}

const cmd = defineCommand({
  meta: { name: "create-layer", description: "Create a new layer" },
  args: createArgs,
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [parent] = expectPositionals(ctx.args, "create-layer", 0, 1, "at most one parent layer");
    const rec = await createLayer(ctx.paths, createRequest(ctx.args, parent));
    printLayerCreated(rec, ctx.json);
    return 0;
  },
});
export default cmd;
