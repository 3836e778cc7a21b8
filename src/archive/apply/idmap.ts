/**
 * UID/GID mappings of a layer (layers.json `uidmap`/`gidmap`): ids in the
 * archive are container ids, ids on disk are host ids. Pure.
 */
import { OvError } from "../../errors.ts";

export interface IdMapEntry {
  container_id: number;
  host_id: number;
  size: number;
}

export class IdMapper {
  readonly uids: readonly IdMapEntry[];
  readonly gids: readonly IdMapEntry[];
  constructor(uids: readonly IdMapEntry[] = [], gids: readonly IdMapEntry[] = []) {
    this.uids = uids;
    this.gids = gids;
  }

  /** True when ids pass through unchanged. */
  get identity(): boolean {
    return this.uids.length === 0 && this.gids.length === 0;
  }

  /**
   * Container ids to host ids (applying an archive).
   * @throws {OvError} usage when an id has no mapping.
   */
  toHost(uid: number, gid: number, what: string): [number, number] {
    return [mapId(this.uids, uid, "container_id", "host_id", "UID", what), mapId(this.gids, gid, "container_id", "host_id", "GID", what)];
  }

  /**
   * Host ids to container ids (writing an archive).
   * @throws {OvError} usage when an id has no mapping.
   */
  toContainer(uid: number, gid: number, what: string): [number, number] {
    return [mapId(this.uids, uid, "host_id", "container_id", "UID", what), mapId(this.gids, gid, "host_id", "container_id", "GID", what)];
  }
}

function mapId(map: readonly IdMapEntry[], id: number, from: "container_id" | "host_id", to: "container_id" | "host_id", kind: string, what: string): number {
  if (map.length === 0) return id;
  for (const m of map) {
    if (id >= m[from] && id < m[from] + m.size) return m[to] + (id - m[from]);
  }
  const side = from === "container_id" ? "container" : "host";
  throw new OvError("usage", `${what}: ${side} ${kind} ${id} is not in the layer's ${kind} mapping (${map.length} ranges)`);
}

/** The mapper of a layers.json record (no mapping when the fields are absent). */
export function mapperFor(rec: { [key: string]: unknown }): IdMapper {
  const list = (v: unknown): IdMapEntry[] => (Array.isArray(v) ? (v as IdMapEntry[]) : []);
  return new IdMapper(list(rec.uidmap), list(rec.gidmap));
}
