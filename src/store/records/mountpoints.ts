/**
 * RR/overlay-layers/mountpoints.json: mount counts shared by every tool,
 * `[{"id","path","count"}]`, only layers with a count above zero. Pure parse
 * and format; fields we do not know are kept.
 */
import { decodeRecords, type RecordSchema } from "./decode.ts";
import { goJson } from "./go-json.ts";

export interface MountRecord {
  id: string;
  path: string;
  count: number;
  [key: string]: unknown;
}

const MOUNT_SCHEMA: RecordSchema = {
  what: "mount point",
  uniqueNames: false,
  fields: { id: "string", path: "string", count: "number" },
  hint: "run `ovlayer repair` to rebuild the mount counts from /proc/self/mountinfo",
};

/**
 * @throws {OvError} corrupt naming the file and the entry: not an array of
 *   {id, path, count}, a field of the wrong type, a layer listed twice.
 */
export function parseMountpoints(text: string, file: string): MountRecord[] {
  return decodeRecords<MountRecord>(text, file, MOUNT_SCHEMA).map((r) => {
    if (r.path === undefined) r.path = "";
    if (r.count === undefined) r.count = 0;
    return r;
  });
}

export function formatMountpoints(records: readonly MountRecord[]): string {
  const out = records
    .filter((r) => r.count > 0 && r.path !== "")
    .map(({ id, path, count, ...rest }) => ({ id, path, count, ...rest }));
  return goJson(out);
}
