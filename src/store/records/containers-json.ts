/**
 * R/overlay-containers/containers.json and volatile-containers.json: the
 * container records shared by every tool using the store (storage.Container
 * upstream). Pure parse and format, as images-json.ts does for images:
 * unknown fields kept, Go's struct order, omitempty and sorted map keys.
 */
import { decodeRecords, type RecordSchema } from "./decode.ts";
import { goJson } from "./go-json.ts";
import { goOrder, type GoStruct } from "./go-record.ts";

export interface ContainerRecord {
  id: string;
  names?: string[];
  /** Image ID ("" for a container made from no image). */
  image: string;
  /** The container's own read-write layer. */
  layer: string;
  metadata?: string;
  "big-data-names"?: string[];
  "big-data-sizes"?: Record<string, number>;
  "big-data-digests"?: Record<string, string>;
  created?: string;
  uidmap?: Record<string, unknown>[];
  gidmap?: Record<string, unknown>[];
  flags?: Record<string, unknown>;
  [key: string]: unknown;
}

export const CONTAINER_SCHEMA: RecordSchema = {
  what: "container",
  uniqueNames: true,
  fields: {
    id: "string",
    names: "string[]",
    image: "string",
    layer: "string",
    metadata: "string",
    "big-data-names": "string[]",
    "big-data-sizes": "map<number>",
    "big-data-digests": "map<string>",
    created: "string",
    uidmap: "object[]",
    gidmap: "object[]",
    flags: "object",
  },
};

const CONTAINER_STRUCT: GoStruct = {
  order: Object.keys(CONTAINER_SCHEMA.fields),
  always: new Set(["id", "image", "layer", "created"]),
  maps: new Set(["big-data-sizes", "big-data-digests", "flags"]),
  zero: { image: "", layer: "", created: "0001-01-01T00:00:00Z" },
};

/** The flag upstream sets on a container created with --volatile (mounted with overlay's "volatile" option). */
export const VOLATILE_FLAG = "Volatile";

/** @throws {OvError} corrupt naming the file and the container. */
export function parseContainersJson(text: string, file: string): ContainerRecord[] {
  return decodeRecords<ContainerRecord>(text, file, CONTAINER_SCHEMA).map((r) => {
    if (r.image === undefined) r.image = "";
    if (r.layer === undefined) r.layer = "";
    return r;
  });
}

export function orderContainer(r: ContainerRecord): Record<string, unknown> {
  return goOrder(r, CONTAINER_STRUCT);
}

export function formatContainersJson(records: readonly ContainerRecord[]): string {
  return goJson(records.map(orderContainer));
}

export function isVolatile(r: ContainerRecord): boolean {
  return r.flags?.[VOLATILE_FLAG] === true;
}
