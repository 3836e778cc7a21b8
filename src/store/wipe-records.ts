/**
 * Removing every container and every image, for `wipe` (which then removes
 * the layers): under layers.lock, images.lock and containers.lock, taken in
 * upstream's order; containers first (each with its read-write layer, its
 * directories in the graph and run roots, and its big data), then images
 * (records, big data and userdata dirs in both roots).
 */
import { join } from "node:path";
import { sysError } from "../errors.ts";
import { removeContainerDirs } from "./lifecycle/containers.ts";
import { updateContainers } from "./records/container-store.ts";
import { deleteLayerInTxn, type DeleteHooks } from "./lifecycle/delete.ts";
import { updateImages } from "./records/image-store.ts";
import { updateLayers } from "./records/layer-store.ts";
import type { StorePaths } from "./paths.ts";
import { removeTree } from "./files/remove-tree.ts";

export interface WipeResult {
  containers: number;
  images: number;
}

/**
 * @param hooks how to see and undo a container layer's mounts (the same as `delete`'s).
 */
export function wipeImagesAndContainers(paths: StorePaths, hooks: DeleteHooks): Promise<WipeResult> {
  return updateLayers(paths, (ltxn) =>
    updateImages(paths, (itxn) =>
      updateContainers(paths, async (ctxn) => {
        const result = { containers: ctxn.records.length, images: itxn.records.length };
        for (const c of [...ctxn.records]) {
          const layer = ltxn.records.find((l) => l.id === c.layer);
          if (layer) await deleteLayerInTxn(paths, ltxn, layer, hooks);
          removeContainerDirs(paths, c.id);
          ctxn.records = ctxn.records.filter((r) => r !== c);
          ctxn.save();
        }
        for (const img of [...itxn.records]) {
          for (const dir of [paths.imageDataDir(img.id), join(paths.runImagesDir, img.id)]) {
            try {
              removeTree(dir);
            } catch (e) {
              throw sysError(`Cannot remove ${dir}`, e);
            }
          }
          itxn.records = itxn.records.filter((r) => r !== img);
          itxn.save();
        }
        return result;
      }),
    ),
  );
}
