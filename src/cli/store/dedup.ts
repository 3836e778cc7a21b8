/**
 * `dedup [--hash-method crc|size|sha256] [--json]`: shares identical file
 * contents between the layers of the store's images (store/lifecycle/dedup.ts), under
 * the layers.json write lock. Prints "Deduplicated N bytes", or
 * {"Deduped":N} with --json, as containers-storage does.
 */
import { defineCommand } from "../define.ts";
import { OvError } from "../../errors.ts";
import { log } from "../../log.ts";
import { dedupDirs, dedupLayers, HASH_METHODS, type HashMethod } from "../../store/lifecycle/dedup.ts";
import { updateLayers } from "../../store/records/layer-store.ts";
import { readImages } from "../../store/records/image-store.ts";
import { expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson, writeErr } from "../output.ts";

const cmd = defineCommand({
  meta: { name: "dedup", description: "Dedup all images" },
  args: {
    ...globalArgs,
    ...jsonArg,
    "hash-method": { type: "string", alias: [], description: "Hash used to find identical files: crc (default), size or sha256" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "dedup", 0, 0, "no arguments");
    const method = (lastValue(ctx.args, "hash-method") ?? "crc") as HashMethod;
    if (!HASH_METHODS.includes(method)) throw new OvError("usage", `invalid hash method: ${method} (crc, size or sha256)`);
    const tops = readImages(ctx.paths).flatMap((i) => [...(i.layer ? [i.layer] : []), ...(i["mapped-layers"] ?? [])]);
    const r = await updateLayers(ctx.paths, (txn) => {
      const ids = dedupLayers(txn.records, tops);
      log.debug(`dedup: ${ids.length} layer(s) of ${tops.length} image layer reference(s), hash ${method}`);
      return dedupDirs(
        ids.map((id) => ctx.paths.diff(id)),
        method,
      );
    });
    if (r.unsupported) await writeErr(`ovlayer: note: the filesystem under ${ctx.paths.home} does not support reflinks (FIDEDUPERANGE): nothing more was deduplicated\n`);
    if (ctx.json) out(toJson({ Deduped: r.Deduped }));
    else out(`Deduplicated ${r.Deduped} bytes`);
    return 0;
  },
});
export default cmd;
