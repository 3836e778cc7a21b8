import { defineCommand } from "../define.ts";
import { closeSync, openSync, unlinkSync } from "node:fs";
import { compressionFromCode, resolveDiffTarget, targetTarball, writeTarball, type CompressionName } from "../../archive/layer.ts";
import { OvError, sysError } from "../../errors.ts";
import { withLayersRead } from "../../store/records/layer-store.ts";
import { nowNanos } from "../../store/files/lockfile.ts";
import { boolFlag, expectPositionals, globalArgs, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { startProgress } from "../progress.ts";

const FLAGS: [string, CompressionName][] = [
  ["uncompressed", "none"],
  ["gzip", "gzip"],
  ["zstd", "zstd"],
  ["bzip2", "bzip2"],
  ["xz", "xz"],
];

const cmd = defineCommand({
  meta: { name: "diff", description: "Write a layer's changes against its parent or a reference layer as a tarball" },
  args: {
    ...globalArgs,
    file: { type: "string", alias: ["f"], description: "Write to file instead of stdout" },
    uncompressed: { type: "boolean", alias: ["u"], description: "Use no compression" },
    gzip: { type: "boolean", alias: ["c"], description: "Compress using gzip" },
    zstd: { type: "boolean", alias: [], description: "Compress using zstd" },
    bzip2: { type: "boolean", alias: ["bz2", "b"], description: "Compress using bzip2 (not supported)" },
    xz: { type: "boolean", alias: ["x"], description: "Compress using xz (not supported)" },
    layer: { type: "positional", required: false, description: "Layer ID or name" },
    reference: { type: "positional", required: false, description: "Reference layer (default: the parent)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [ref, reference] = expectPositionals(ctx.args, "diff", 1, 2, "a layer and an optional reference layer");
    const chosen = FLAGS.filter(([flag]) => boolFlag(ctx.args, flag)).map(([, c]) => c);
    if (chosen.length > 1) {
      throw new OvError("usage", `diff: choose one compression, not ${chosen.length} (${chosen.join(", ")})`, { hint: "see 'ovlayer diff --help'" });
    }
    const file = lastValue(ctx.args, "file");
    await withLayersRead(ctx.paths, async (records) => {
      const t = resolveDiffTarget(ctx.paths, records, ref!, reference, "diff");
      // Without a flag, the compression the layer was imported with, as containers-storage does.
      const compression = chosen[0] ?? compressionFromCode(t.layer.compression);
      if (compression === undefined || compression === "bzip2" || compression === "xz") {
        throw new OvError("unsupported", `Cannot write layer ${t.layer.id} with ${compression ?? `compression ${JSON.stringify(t.layer.compression)}`}: ovlayer writes uncompressed, gzip and zstd tarballs`, {
          hint: "add --uncompressed, --gzip or --zstd",
        });
      }
      const source = targetTarball(ctx.paths, t, nowNanos());
      let fd = 1;
      if (file !== undefined) {
        try {
          fd = openSync(file, "w", 0o666);
        } catch (e) {
          throw sysError(`Cannot create ${file}`, e);
        }
      }
      const progress = startProgress("diff");
      try {
        await writeTarball(source, compression, fd, file === undefined ? "standard output" : `file ${file}`, progress.add);
      } catch (e) {
        if (file !== undefined) {
          closeSync(fd);
          fd = 1;
          try {
            unlinkSync(file);
          } catch {}
        }
        throw e;
      } finally {
        progress.end();
        if (fd !== 1) closeSync(fd);
      }
    });
    return 0;
  },
});
export default cmd;
