import { defineCommand } from "../define.ts";
import { runMigrate } from "../../check/session.ts";
import { OvError } from "../../errors.ts";
import { boolFlag, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { reportChange } from "./repair.ts";

const cmd = defineCommand({
  meta: {
    name: "migrate",
    description: "Give every layer a lower-layers file; with --drop-legacy-links --yes, make the store symlink-free",
  },
  args: {
    ...globalArgs,
    ...jsonArg,
    "dry-run": { type: "boolean", alias: ["n"], description: "Print the actions without doing them" },
    "drop-legacy-links": {
      type: "boolean",
      description: "Also remove every l/ symlink, link and lower file, and make new layers without them (needs --yes)",
    },
    yes: { type: "boolean", alias: ["y"], description: "Confirm --drop-legacy-links" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "migrate", 0, 0, "no arguments");
    const drop = boolFlag(ctx.args, "drop-legacy-links");
    const dryRun = boolFlag(ctx.args, "dry-run");
    if (drop && !dryRun && !boolFlag(ctx.args, "yes")) {
      throw new OvError(
        "usage",
        `Refusing to drop the legacy links of ${ctx.paths.graphRoot} without --yes: it removes every l/ symlink, link file and lower file, ` +
          `and podman 4, buildah and skopeo (containers/storage without lower-layers support, such as Debian's containers-storage 1.43) read only lower ` +
          `and follow l/ symlinks, so they could no longer mount, build on or copy any layer of this store`,
        { hint: "run it only when every tool sharing the store reads lower-layers, then add --yes (--dry-run shows what it would do)" },
      );
    }
    const r = runMigrate(ctx.paths, { dryRun, dropLegacyLinks: drop });
    return reportChange("migrate", r, ctx.json);
  },
});
export default cmd;
