/**
 * `copy [--chown UID[:GID]] [LAYER:]SRC... [LAYER:]DEST`: copies files and
 * directories into a layer (from the host or another layer) or out of one,
 * as containers-storage's copy does: each layer named is mounted for the
 * copy and unmounted after. Sources are archived (host-tarball.ts) and
 * extracted by the importer inside the target root, whose path checks keep
 * every write inside the layer (a symlink in the layer pointing outside is
 * refused, as upstream's chroot makes it harmless). Layer ID mappings are
 * not applied (only --chown); containers are not addressed, as upstream's
 * copy names layers only.
 */
import { realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "../define.ts";
import { mapperFor } from "../../archive/apply/idmap.ts";
import { readLayers } from "../../store/records/layer-store.ts";
import { findLayer } from "../../store/records/layers-json.ts";
import { hostTarball, IdMapper, importTarball, spoolTarball, opaqueXattrFor } from "../../archive/layer.ts";
import { OvError, sysError } from "../../errors.ts";
import { log } from "../../log.ts";
import { mountLayer, unmountLayer } from "../../mount/layer-mount.ts";
import { expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin, type Ctx } from "../context.ts";
import { copyDestName, parseChown, parseCopySpec, type CopySpec } from "./copy-spec.ts";
import { writeErr } from "../output.ts";
import { errorLine } from "../report.ts";
import { quoteArg } from "../../quote.ts";

/** Mounts the layers the specs name, once each; `release` unmounts them all. */
class Mounts {
  private held = new Map<string, string>();
  constructor(private ctx: Ctx) {}
  async root(layer: string): Promise<string> {
    const known = this.held.get(layer);
    if (known) return known;
    const r = await mountLayer(this.ctx.paths, this.ctx.options, layer);
    this.held.set(layer, r.path);
    return r.path;
  }
  async release(): Promise<void> {
    for (const layer of this.held.keys()) {
      try {
        await unmountLayer(this.ctx.paths, layer, false);
      } catch (e) {
        // As upstream: reported, but the copy's exit code stands.
        await writeErr(`ovlayer: error unmounting layer ${quoteArg(layer)}: ${errorLine(e)}\n`);
      }
    }
  }
}

/** The ID maps of a copy's source or target layer (none for the host). */
function layerIds(ctx: Ctx, layer: string | undefined): IdMapper {
  if (layer === undefined) return new IdMapper();
  const rec = findLayer(readLayers(ctx.paths), layer);
  return rec ? mapperFor(rec) : new IdMapper();
}

/** A source's absolute path; inside a layer, checked to stay in its mount. */
async function sourcePath(spec: CopySpec, mounts: Mounts): Promise<string> {
  if (spec.layer === undefined) return resolve(spec.path);
  const root = await mounts.root(spec.layer);
  const p = resolve(root, "./" + spec.path);
  let real: string;
  try {
    real = realpathSync(p);
  } catch (e) {
    throw sysError(`Cannot copy ${spec.layer}:${spec.path}`, e);
  }
  if (real !== root && !real.startsWith(root + "/")) {
    throw new OvError("usage", `Cannot copy ${spec.layer}:${spec.path}: it resolves to ${real}, outside the layer`);
  }
  return real;
}

const cmd = defineCommand({
  meta: { name: "copy", description: "Copy files or directories into a layer, possibly from another layer" },
  args: {
    ...globalArgs,
    ...jsonArg,
    chown: { type: "string", alias: ["o"], description: "Set owner on new copies (UID[:GID])" },
    paths: { type: "positional", required: false, description: "[LAYER:]SOURCE... [LAYER:]TARGET" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const specs = expectPositionals(ctx.args, "copy", 2, Infinity, "one or more sources and a target").map(parseCopySpec);
    const chownArg = lastValue(ctx.args, "chown");
    const chown = chownArg === undefined ? undefined : parseChown(chownArg);
    const target = specs.pop()!;
    const mounts = new Mounts(ctx);
    try {
      const root = target.layer === undefined ? "/" : await mounts.root(target.layer);
      const targetPath = target.layer === undefined ? resolve(target.path) + (target.path.endsWith("/") ? "/" : "") : target.path;
      for (const spec of specs) {
        const src = await sourcePath(spec, mounts);
        let isDir: boolean;
        try {
          isDir = statSync(src).isDirectory();
        } catch (e) {
          throw sysError(`Cannot copy ${src}`, e);
        }
        const name = copyDestName(targetPath, src, isDir);
        const srcIds = layerIds(ctx, spec.layer);
        const input = await spoolTarball(hostTarball(src, { name, what: src, ids: srcIds, ...(chown ? { chown } : {}) }), `the copy of ${src}`);
        try {
          const s = await importTarball({
            fd: input.fd,
            source: input.source,
            root,
            layerId: target.layer ?? "host",
            opaqueXattr: opaqueXattrFor(ctx.options.overlay.mountOptions),
            ids: layerIds(ctx, target.layer),
          });
          log.debug(`copied ${src} to ${root === "/" ? "/" : root + "/"}${name}: ${s.entries} entries`);
        } finally {
          input.close();
        }
      }
    } finally {
      await mounts.release();
    }
    return 0;
  },
});
export default cmd;
