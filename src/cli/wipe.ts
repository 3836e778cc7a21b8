/**
 * `wipe`: removes every container, image and layer of the store.
 *
 * Containers and images are the store-core part: until its
 * `wipeImagesAndContainers(paths)` is wired in at the call point below, a
 * store whose images.json or containers.json holds records is refused
 * (conflict) rather than left with images pointing at removed layers.
 */
import { defineCommand } from "./define.ts";
import { OvError } from "../errors.ts";
import { log } from "../log.ts";
import { dropMount } from "../mount/layer-mount.ts";
import { unmountBelow } from "../mount/unmount-below.ts";
import { readMountCounts } from "../store/mount-counts.ts";
import { readContainers, readImages } from "../store/peers.ts";
import type { StorePaths } from "../store/paths.ts";
import { wipeLayers } from "../store/wipe.ts";
import { expectPositionals, globalArgs, jsonArg } from "./args.ts";
import { begin } from "./context.ts";
import { out, toJson } from "./output.ts";

/**
 * CALL POINT for the store core: replace the body with
 * `await wipeImagesAndContainers(paths)` once it exists.
 * @throws {OvError} conflict while images or containers exist.
 */
async function wipeImagesAndContainersFirst(paths: StorePaths): Promise<void> {
  const images = readImages(paths).length;
  const containers = readContainers(paths).length;
  if (images === 0 && containers === 0) return;
  const what = [containers ? `${containers} container(s) in ${paths.containersJson}` : "", images ? `${images} image(s) in ${paths.imagesJson}` : ""]
    .filter(Boolean)
    .join(" and ");
  throw new OvError("conflict", `Cannot wipe the store: it holds ${what}, which this ovlayer does not remove yet; nothing was removed`, {
    hint: "remove them first (podman rmi -a, podman rm -a, or containers-storage wipe)",
  });
}

const cmd = defineCommand({
  meta: { name: "wipe", description: "Wipe all layers, images, and containers" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "wipe", 0, 0, "no arguments");
    await wipeImagesAndContainersFirst(ctx.paths);
    const r = await wipeLayers(ctx.paths, {
      mountCount: (id) => readMountCounts(ctx.paths).find((m) => m.id === id)?.count ?? 0,
      unmountAll: async (id) => {
        await dropMount(ctx.paths, id, true);
      },
      unmountBelow: (dir) => {
        unmountBelow(dir);
      },
    });
    log.debug(`wiped ${r.layers.length} layer(s)` + (r.leftovers.length ? `, and ${r.leftovers.length} directories without a record: ${r.leftovers.join(", ")}` : ""));
    if (ctx.json) out(toJson(""));
    return 0;
  },
});
export default cmd;
