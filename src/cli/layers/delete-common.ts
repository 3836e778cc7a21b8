/**
 * `delete-layer` and `delete` share everything but the safety checks.
 * `delete` takes any kind, as upstream's Delete: a container (with its layer
 * and directories), else an image (its record and data only), else a layer.
 */
import { OvError } from "../../errors.ts";
import { isFromReadOnlyStore, storeOf } from "../../store/store-set.ts";
import { defineCommand } from "../define.ts";
import { dropMount, trustedCount } from "../../mount/layer-unmount.ts";
import { deleteContainer } from "../../store/lifecycle/containers.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { deleteLayer, type DeleteHooks } from "../../store/lifecycle/delete.ts";
import { deleteImageRecord } from "../../store/lifecycle/images.ts";
import { readImages } from "../../store/records/image-store.ts";
import { findRecord } from "../../store/lookup.ts";
import { readMountCounts } from "../../store/records/mount-counts.ts";
import type { StorePaths } from "../../store/paths.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { goMap, out, toJson } from "../output.ts";
import { errorLine, forEachRef } from "../report.ts";

/** How deletes see and undo a layer's mounts. */
export function deleteHooks(paths: StorePaths): DeleteHooks {
  return {
    mountCount: (id) => trustedCount(paths, id, readMountCounts(paths)),
    unmountAll: async (id) => {
      await dropMount(paths, id, true);
    },
  };
}

/** `delete REF`: a container, else an image, else a layer, with no safety checks. */
async function deleteAnything(paths: StorePaths, ref: string): Promise<void> {
  if (findRecord(readContainers(paths), ref, "container")) {
    await deleteContainer(paths, ref, deleteHooks(paths));
    return;
  }
  const img = findRecord(readImages(paths), ref, "image");
  if (img) {
    // An image of a read-only store is never deleted; one of the graph root's under a split image store is deleted there.
    if (isFromReadOnlyStore(img)) throw new OvError("not-found", `Cannot delete image ${img.id}: it is in the read-only image store ${storeOf(img, paths).graphRoot}`);
    await deleteImageRecord(storeOf(img, paths), img.id);
    return;
  }
  await deleteLayer(paths, ref, false, deleteHooks(paths));
}

export function deleteCommand(name: string, description: string, safe: boolean) {
  const what = safe ? "a layer ID or name" : "a layer, image or container ID or name";
  const cmd = defineCommand({
    meta: { name, description },
    args: { ...globalArgs, ...jsonArg, layer: { type: "positional", required: false, description: `${what[0]!.toUpperCase()}${what.slice(3)} (several allowed)` } },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      const refs = expectPositionals(ctx.args, name, 1, Infinity, what);
      const results: Record<string, string> = {};
      const code = await forEachRef(
        refs,
        async (ref) => {
          if (safe) await deleteLayer(ctx.paths, ref, true, deleteHooks(ctx.paths));
          else await deleteAnything(ctx.paths, ref);
          results[ref] = "";
        },
        (ref, e) => {
          results[ref] = errorLine(e);
        },
      );
      if (ctx.json) out(toJson(goMap(results)));
      return code;
    },
  });
  return cmd;
}
