import { defineCommand } from "../define.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { isIncomplete, orderRecord } from "../../store/records/layers-json.ts";
import { log } from "../../log.ts";
import { readMountCounts } from "../../store/records/mount-counts.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { readImages } from "../../store/records/image-store.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { renderTree, type TreeNode } from "./layer-format.ts";
import { out, toJson } from "../output.ts";
import { mark } from "../../profile.ts";

const cmd = defineCommand({
  meta: { name: "layers", description: "List layers" },
  args: {
    ...globalArgs,
    ...jsonArg,
    tree: { type: "boolean", alias: ["t"], description: "Use a tree" },
    quick: { type: "boolean", alias: ["q"], description: "Just the IDs" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "layers", 0, 0, "no arguments");
    // Incomplete layers (a crash while one was created or deleted) are hidden,
    // as containers-storage, which deletes them when it next loads the store,
    // never lists them. A read does not delete them: `repair` (or any
    // containers-storage writer) does.
    const all = readLayers(ctx.paths);
    mark("layers.json");
    const layers = all.filter((l) => !isIncomplete(l));
    if (layers.length < all.length) log.debug(`${all.length - layers.length} incomplete layer(s) not listed; \`ovlayer repair\` removes them`);
    if (ctx.json) {
      out(toJson(layers.map(orderRecord)));
      return 0;
    }
    const quick = boolFlag(ctx.args, "quick");
    if (quick && !boolFlag(ctx.args, "tree")) {
      for (const l of layers) out(l.id);
      return 0;
    }
    const images = readImages(ctx.paths);
    const containers = readContainers(ctx.paths);
    mark("images-containers");
    const imagesOf = (id: string) => images.filter((i) => i.layer === id || i["mapped-layers"]?.includes(id));
    const containerOf = (id: string) => containers.find((c) => c.layer === id);
    if (boolFlag(ctx.args, "tree")) {
      const mounts = readMountCounts(ctx.paths);
      const nodes: TreeNode[] = layers.map((l) => {
        const notes = (l.names ?? []).map((n) => `name: ${n}`);
        const m = mounts.find((r) => r.id === l.id);
        if (m) notes.push(`mount: ${m.path}`);
        for (const i of imagesOf(l.id)) notes.push(`image: ${i.id}`, ...(i.names ?? []).map((n) => `image name: ${n}`));
        const c = containerOf(l.id);
        if (c) notes.push(`container: ${c.id}`, ...(c.names ?? []).map((n) => `container name: ${n}`));
        return { left: l.parent || "(base)", right: l.id, notes };
      });
      for (const line of renderTree(nodes)) out(line);
      return 0;
    }
    for (const l of layers) {
      out(l.id);
      for (const n of l.names ?? []) out(`\tname: ${n}`);
      for (const i of imagesOf(l.id)) {
        out(`\timage: ${i.id}`);
        for (const n of i.names ?? []) out(`\t\tname: ${n}`);
      }
      const c = containerOf(l.id);
      if (c) {
        out(`\tcontainer: ${c.id}`);
        for (const n of c.names ?? []) out(`\t\tname: ${n}`);
      }
    }
    return 0;
  },
});
export default cmd;
