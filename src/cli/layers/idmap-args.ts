/**
 * The ID map flags shared by create-layer, import-layer and create-container
 * (containers-storage's --uidmap, --gidmap, --hostuidmap, --hostgidmap,
 * --subuidmap, --subgidmap). Reads /etc/subuid and /etc/subgid for the
 * --sub*map names.
 */
import { readFileSync } from "node:fs";
import type { ArgsDef } from "citty";
import { OvError, sysError } from "../../errors.ts";
import type { IdMapEntry } from "../../archive/apply/idmap.ts";
import { parseIdMap, subordinateMap } from "../../archive/apply/idmap-parse.ts";
import { allValues, boolFlag, lastValue, type ScannedArgs } from "../args.ts";
import type { Ctx } from "../context.ts";
import { log } from "../../log.ts";
import { idmapSupport } from "../../mount/idmap/support.ts";
import { formatMaps } from "../../mount/idmap/lowers.ts";

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

export interface IdMapFlags {
  hostuid: boolean;
  hostgid: boolean;
  uidmap: string[];
  gidmap: string[];
  subuid?: string;
  subgid?: string;
}

export interface RequestedMaps extends IdMaps {
  /** --hostuidmap / --hostgidmap: the host's IDs, never the parent's maps. */
  hostUid: boolean;
  hostGid: boolean;
}

/**
 * The maps the flags ask for, as containers-storage reads them (pure but for
 * `sub`): `--host*map` with a map of that kind is an error; one `--sub*map`
 * name serves for both kinds; `--uidmap`/`--gidmap` ranges are added after
 * the subordinate ones; `--host*map` leaves that kind empty.
 * @throws {OvError} usage on a conflict or a bad range; not-found for a name without subordinate IDs.
 */
export function planIdMaps(f: IdMapFlags, sub: (file: string, name: string) => IdMapEntry[]): RequestedMaps {
  if (f.hostuid && (f.uidmap.length > 0 || f.subuid)) throw new OvError("usage", "host uid map specified along with UID mapping: --hostuidmap with --uidmap or --subuidmap");
  if (f.hostgid && (f.gidmap.length > 0 || f.subgid)) throw new OvError("usage", "host gid map specified along with GID mapping: --hostgidmap with --gidmap or --subgidmap");
  const subuid = f.subuid || f.subgid;
  const subgid = f.subgid || f.subuid;
  const uids = [...(subuid ? sub("/etc/subuid", subuid) : []), ...parseIdMap(f.uidmap, "uidmap")];
  const gids = [...(subgid ? sub("/etc/subgid", subgid) : []), ...parseIdMap(f.gidmap, "gidmap")];
  return { uidmap: f.hostuid ? [] : uids, gidmap: f.hostgid ? [] : gids, hostUid: f.hostuid, hostGid: f.hostgid };
}

/** The maps the ID map flags of `args` ask for (planIdMaps). */
export function idMapsFrom(args: ScannedArgs): RequestedMaps {
  const subuid = lastValue(args, "subuidmap");
  const subgid = lastValue(args, "subgidmap");
  return planIdMaps(
    {
      hostuid: boolFlag(args, "hostuidmap"),
      hostgid: boolFlag(args, "hostgidmap"),
      uidmap: allValues(args, "uidmap"),
      gidmap: allValues(args, "gidmap"),
      ...(subuid ? { subuid } : {}),
      ...(subgid ? { subgid } : {}),
    },
    subordinate,
  );
}

/**
 * Whether `maps` are applied at mount time by idmapped mounts (upstream's
 * canUseShifting): then a new layer records no maps and nothing is copied.
 * Probes only when there are maps (mount/idmap/support.ts); says which path
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
