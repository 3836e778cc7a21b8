import { defineCommand } from "../define.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { orderContainer, type ContainerRecord } from "../../store/records/containers-json.ts";
import { readImages } from "../../store/records/image-store.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { findRecord } from "../../store/lookup.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";
import { printContainerDetail } from "../records/record-format.ts";
import { containerSize } from "../records/record-size.ts";

const cmd = defineCommand({
  meta: { name: "container", description: "Examine a container" },
  args: { ...globalArgs, ...jsonArg, container: { type: "positional", required: false, description: "Container ID or name (several allowed)" } },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const refs = expectPositionals(ctx.args, "container", 1, Infinity, "a container ID or name");
    const containers = readContainers(ctx.paths);
    const matched: ContainerRecord[] = [];
    for (const ref of refs) {
      const c = findRecord(containers, ref, "container");
      if (c) matched.push(c);
    }
    if (ctx.json) out(toJson(matched.map(orderContainer)));
    else {
      const images = readImages(ctx.paths);
      const layers = readLayers(ctx.paths);
      for (const c of matched) {
        let size: number | string;
        try {
          size = await containerSize(ctx.paths, layers, c);
        } catch (e) {
          size = (e as Error).message;
        }
        printContainerDetail(c, images.find((i) => i.id === c.image), size);
      }
    }
    return matched.length === refs.length ? 0 : 1;
  },
});
export default cmd;
