/**
 * `layer-parent-owners` and `container-parent-owners`: the host UIDs and
 * GIDs that own the parent directories of a layer's mount point and are not
 * mapped into its ID maps. ovlayer stores no ID-mapped layers, so, as
 * upstream answers for a layer without ID maps, both lists are empty.
 */
import { defineCommand, type VerbDef } from "./define.ts";
import { readContainers } from "../store/container-store.ts";
import { readLayers } from "../store/layer-store.ts";
import { findRecord } from "../store/lookup.ts";
import { expectPositionals, globalArgs, jsonArg } from "./args.ts";
import { begin } from "./context.ts";
import { out, toJson } from "./output.ts";

function ownersVerb(kind: "layer" | "container"): VerbDef {
  const name = `${kind}-parent-owners`;
  const cmd: VerbDef = defineCommand({
    meta: { name, description: `Compute the set of unmapped parent UIDs and GIDs of the ${kind}` },
    args: { ...globalArgs, ...jsonArg, [kind]: { type: "positional", required: false, description: `${kind === "layer" ? "Layer" : "Container"} ID or name (several allowed)` } },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      const refs = expectPositionals(ctx.args, name, 1, Infinity, `a ${kind} ID or name`);
      const records: { id: string; names?: string[] }[] = kind === "layer" ? readLayers(ctx.paths) : readContainers(ctx.paths);
      let matched = 0;
      for (const ref of refs) {
        const r = findRecord(records, ref, kind);
        if (!r) continue;
        matched++;
        // Go marshals the nil slices of a layer without ID maps as null, and prints them as [].
        if (ctx.json) out(toJson({ ID: r.id, UIDs: null, GIDs: null }));
        else out(`ID: ${r.id}\nUIDs: []\nGIDs: []`);
      }
      return matched === refs.length ? 0 : 1;
    },
  });
  return cmd;
}

export const layerParentOwners = ownersVerb("layer");
export const containerParentOwners = ownersVerb("container");
