import { defineCommand } from "../define.ts";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { MAX_DEPTH } from "../../store/layers/lower.ts";
import { linkMode } from "../../store/layers/mode.ts";
import { probeKernel } from "../../mount/probe.ts";
import { idmapSupport } from "../../mount/idmap/support.ts";
import { existsSync } from "node:fs";
import { statfsType } from "../../sys/libc.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

/** statfs f_type magic numbers, named as containers-storage names them. */
const FS_NAMES: Record<number, string> = {
  0xef53: "extfs",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x794c7630: "overlayfs",
  0x2fc12fc1: "zfs",
  0x6969: "nfs",
  0xf2f52010: "f2fs",
  0x73717368: "squashfs",
  0x65735546: "fuse",
  0x858458f6: "ramfs",
};

/** The nearest existing directory at or above `p` (status never creates the store). */
function existingAncestor(p: string): string {
  for (let d = p; ; d = dirname(d)) {
    try {
      if (statSync(d).isDirectory()) return d;
    } catch {}
    if (d === "/") return "/";
  }
}

/**
 * d_type support, by filesystem: overlay needs it, and these always have it
 * (xfs only when made with ftype=1, the default since xfsprogs 3.2.3).
 */
const DTYPE_FS = new Set(["extfs", "btrfs", "tmpfs", "f2fs", "zfs", "xfs"]);

const SOURCES: Record<string, string> = {
  probe: "probed: overlay mounts on an idmapped lower dir",
  cache: "cached",
};

/**
 * Whether ID maps are applied by idmapped mounts (true: nothing is copied) or
 * by copy-and-shift (false), with where the answer comes from; upstream's
 * "Supports shifting" line. Probes only a store that exists (status never creates one).
 */
function idmapLine(ctx: NonNullable<Awaited<ReturnType<typeof begin>>>): string {
  const s = idmapSupport(ctx.paths, ctx.options, existsSync(ctx.paths.home));
  const why = s.supported ? (SOURCES[s.source] ?? s.source) : `copy-and-shift: ${s.reason ?? s.source}`;
  return `${s.supported} (${why}${s.source === "cache" ? ` in ${ctx.paths.runRoot}/overlay/idmapped-lower-dir-${s.supported}` : ""})`;
}

const cmd = defineCommand({
  meta: { name: "status", description: "Print driver facts: roots, backing filesystem, limits, mount strategies" },
  args: { ...globalArgs, ...jsonArg },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    expectPositionals(ctx.args, "status", 0, 0, "no arguments");
    const base = existingAncestor(ctx.paths.home);
    const magic = statfsType(base);
    const k = probeKernel();
    const strategies = [k.api ? `api (lowerdir+ by ${k.apiFd ? "fd" : "path"})` : null, "direct", k.proc ? "fd" : null].filter(Boolean).join(", ");
    const o = ctx.options.overlay;
    const driverOpts = [
      ...(o.mountOptions.length ? [`overlay.mountopt=${o.mountOptions.join(",")}`] : []),
      ...(o.skipMountHome ? ["overlay.skip_mount_home=true"] : []),
      ...(o.mountStrategy ? [`overlay.mount_strategy=${o.mountStrategy}`] : []),
      ...o.imageStores.map((d) => `overlay.imagestore=${d}`),
    ];
    const pairs: [string, string][] = [
      ["Root", ctx.options.graphRoot],
      ["Run Root", ctx.options.runRoot],
      ["Driver Name", "overlay"],
      ["Driver Options", `[${driverOpts.join(" ")}]`],
      ["Backing Filesystem", FS_NAMES[magic] ?? `0x${magic.toString(16)}`],
      ["Supports d_type", DTYPE_FS.has(FS_NAMES[magic] ?? "") ? "true" : "unknown"],
      ["Overlay Registered", String(k.overlay)],
      ["Page Size", String(k.pageSize)],
      ["Max Depth", String(MAX_DEPTH)],
      ["Mount Strategies", strategies + (k.api ? "" : ` (no mount API: ${k.apiReason})`)],
      ["Default Mount Strategy", o.mountStrategy ?? (k.api ? "api" : "direct, fd when over a page")],
      ["Supports shifting", idmapLine(ctx)],
      ["Link Mode", linkMode(ctx.paths)],
      ["Image Store", ctx.options.imageStore ?? "(none)"],
      ["Additional Image Stores", `[${o.imageStores.join(" ")}]`],
      ["Storage Conf", ctx.options.confFile ?? "(none)"],
    ];
    if (ctx.json) out(toJson(pairs));
    else for (const [key, v] of pairs) out(`${key}: ${v}`);
    return 0;
  },
});
export default cmd;
