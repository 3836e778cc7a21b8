/**
 * The ID map flags shared by create-layer, import-layer and create-container
 * (containers-storage's --uidmap, --gidmap, --hostuidmap, --hostgidmap,
 * --subuidmap, --subgidmap). Reads /etc/subuid and /etc/subgid for the
 * --sub*map names.
 */
import { readFileSync } from "node:fs";
import type { ArgsDef } from "citty";
import { sysError } from "../errors.ts";
import type { IdMapEntry } from "../archive/apply/idmap.ts";
import { parseIdMap, subordinateMap } from "../archive/apply/idmap-parse.ts";
import { allValues, boolFlag, lastValue, type ScannedArgs } from "./args.ts";
import type { Ctx } from "./context.ts";
import { log } from "../log.ts";
import { idmapSupport } from "../mount/idmap-support.ts";
import { formatMaps } from "../mount/idmap-lowers.ts";

export const idMapArgs = {
  hostuidmap: { type: "boolean", alias: [], description: "Use the host's UIDs (no UID map)" },
  hostgidmap: { type: "boolean", alias: [], description: "Use the host's GIDs (no GID map)" },
  uidmap: { type: "string", alias: [], description: "UID map: containerID:hostID:size, several separated by commas (repeatable)" },
  gidmap: { type: "string", alias: [], description: "GID map: containerID:hostID:size, several separated by commas (repeatable)" },
  subuidmap: { type: "string", alias: [], description: "UID map of this user name's ranges in /etc/subuid" },
  subgidmap: { type: "string", alias: [], description: "GID map of this group name's ranges in /etc/subgid" },
} satisfies ArgsDef;

export interface IdMaps {
  uidmap: IdMapEntry[];
  gidmap: IdMapEntry[];
}

function subordinate(file: string, name: string): IdMapEntry[] {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (e) {
    throw sysError(`Cannot read ${file} for the ranges of ${JSON.stringify(name)}`, e);
  }
  return subordinateMap(content, name, file);
}

/**
 * The maps the flags ask for; `--host*map` wins over the others, then
 * `--sub*map`, then `--*map`. Empty maps are the host's.
 * @throws {OvError} usage on a bad range; not-found for a name without subordinate IDs.
 */
export function idMapsFrom(args: ScannedArgs): IdMaps {
  const one = (kind: "uid" | "gid", file: string): IdMapEntry[] => {
    if (boolFlag(args, `host${kind}map`)) return [];
    const sub = lastValue(args, `sub${kind}map`);
    if (sub) return subordinate(file, sub);
    return parseIdMap(allValues(args, `${kind}map`), `${kind}map`);
  };
  return { uidmap: one("uid", "/etc/subuid"), gidmap: one("gid", "/etc/subgid") };
}

/**
 * Whether `maps` are applied at mount time by idmapped mounts (upstream's
 * canUseShifting): then a new layer records no maps and nothing is copied.
 * Probes only when there are maps (mount/idmap-support.ts); says which path
 * is taken with --debug.
 */
export function mapsAtMountTime(ctx: Ctx, maps: IdMaps, what: string): boolean {
  if (maps.uidmap.length === 0 && maps.gidmap.length === 0) return false;
  const s = idmapSupport(ctx.paths, ctx.options);
  const desc = `uid map ${formatMaps(maps.uidmap)}, gid map ${formatMaps(maps.gidmap)}`;
  log.debug(
    s.supported
      ? `${what}: ID maps (${desc}) applied by idmapped mounts when mounted: no maps on the layer, nothing copied`
      : `${what}: ID maps (${desc}) by copy-and-shift (idmapped mounts not used: ${s.reason ?? s.source})`,
  );
  return s.supported;
}
