/**
 * `layer-parent-owners` and `container-parent-owners`: the host UIDs and
 * GIDs that own the parent directories of a layer's mount point (each
 * directory and, when it is a symlink, what it points to) and have no
 * container ID in the layer's ID maps. A layer without maps has none; a
 * layer with maps must be mounted (its mount point comes from
 * mountpoints.json), as upstream requires.
 */
import { lstatSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { defineCommand, type VerbDef } from "../define.ts";
import { OvError, sysError } from "../../errors.ts";
import { mapperFor, type IdMapEntry } from "../../archive/apply/idmap.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { readMountCounts } from "../../store/records/mount-counts.ts";
import type { LayerRecord } from "../../store/records/layers-json.ts";
import type { StorePaths } from "../../store/paths.ts";
import { findRecord } from "../../store/lookup.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

function mapped(map: readonly IdMapEntry[], hostId: number): boolean {
  return map.some((m) => hostId >= m.host_id && hostId < m.host_id + m.size);
}

/** Unmapped owners of the parents of the layer's mount point, sorted; null lists for a layer without maps. */
export function parentOwners(paths: StorePaths, layer: LayerRecord): { uids: number[] | null; gids: number[] | null } {
  const ids = mapperFor(layer);
  if (ids.identity) return { uids: null, gids: null };
  const mount = readMountCounts(paths).find((m) => m.id === layer.id && m.count > 0);
  if (!mount?.path) throw new OvError("usage", `Layer ${layer.id} is not mounted: the parent directories of its mount point are not known`, { hint: `mount it first (ovlayer mount ${layer.id})` });
  const uids = new Set<number>();
  const gids = new Set<number>();
  const note = (uid: number, gid: number): void => {
    if (ids.uids.length && !mapped(ids.uids, uid)) uids.add(uid);
    if (ids.gids.length && !mapped(ids.gids, gid)) gids.add(gid);
  };
  for (let dir = dirname(mount.path); dir !== "/" && dir !== "."; dir = dirname(dir)) {
    try {
      const st = statSync(dir);
      note(st.uid, st.gid);
      const lst = lstatSync(dir);
      note(lst.uid, lst.gid);
    } catch (e) {
      throw sysError(`Cannot read the owner of ${dir}, a parent of the mount point of layer ${layer.id}`, e);
    }
  }
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { uids: sorted(uids), gids: sorted(gids) };
}

/** Go's %v of an []int. */
function goInts(list: readonly number[] | null): string {
  return `[${(list ?? []).join(" ")}]`;
}

function ownersVerb(kind: "layer" | "container"): VerbDef {
  const name = `${kind}-parent-owners`;
  const cmd: VerbDef = defineCommand({
    meta: { name, description: `Compute the set of unmapped parent UIDs and GIDs of the ${kind}` },
    args: { ...globalArgs, ...jsonArg, [kind]: { type: "positional", required: false, description: `${kind === "layer" ? "Layer" : "Container"} ID or name (several allowed)` } },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      const refs = expectPositionals(ctx.args, name, 1, Infinity, `a ${kind} ID or name`);
      const layers = readLayers(ctx.paths);
      const records: { id: string; names?: string[]; layer?: string }[] = kind === "layer" ? layers : readContainers(ctx.paths);
      let matched = 0;
      for (const ref of refs) {
        const r = findRecord(records, ref, kind);
        if (!r) continue;
        matched++;
        const layer = kind === "layer" ? (r as LayerRecord) : layers.find((l) => l.id === r.layer);
        if (!layer) throw new OvError("not-found", `Container ${r.id}: its layer ${r.layer ?? ""} is not known`);
        const { uids, gids } = parentOwners(ctx.paths, layer);
        // Go marshals nil slices as null and prints them as [].
        if (ctx.json) out(toJson({ ID: r.id, UIDs: uids, GIDs: gids }));
        else if (kind === "container") out(`ID: ${r.id}\nUIDs: ${goInts(uids)}\nGIDs: ${goInts(gids)}`);
        else {
          // The layer verb prints only lists that have IDs.
          out(`ID: ${r.id}`);
          if (uids?.length) out(`UIDs: ${goInts(uids)}`);
          if (gids?.length) out(`GIDs: ${goInts(gids)}`);
        }
      }
      return matched === refs.length ? 0 : 1;
    },
  });
  return cmd;
}

export const layerParentOwners = ownersVerb("layer");
export const containerParentOwners = ownersVerb("container");
