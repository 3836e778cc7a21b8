/**
 * RR/overlay-layers/mountpoints.json: mount counts shared by every tool,
 * `[{"id","path","count"}]`, only layers with a count above zero. Pure parse
 * and format; fields we do not know are kept.
 */
import { OvError } from "../errors.ts";
import { goJson } from "./go-json.ts";

export interface MountRecord {
  id: string;
  path: string;
  count: number;
  [key: string]: unknown;
}

/**
 * @throws {OvError} corrupt naming the file when it is not an array of {id, path, count}.
 */
export function parseMountpoints(text: string, file: string): MountRecord[] {
  if (text.trim() === "") return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new OvError("corrupt", `${file} does not parse as JSON: ${(e as Error).message}`, {
      hint: "run `ovlayer repair` to rebuild the mount counts from /proc/self/mountinfo",
    });
  }
  if (!Array.isArray(data)) throw new OvError("corrupt", `${file}: expected a JSON array of mount points`);
  return data.map((r, i) => {
    const o = r as Record<string, unknown>;
    if (!o || typeof o.id !== "string") throw new OvError("corrupt", `${file}: entry ${i + 1} of ${data.length} has no string "id"`);
    return { ...o, id: o.id, path: typeof o.path === "string" ? o.path : "", count: typeof o.count === "number" ? o.count : 0 };
  });
}

export function formatMountpoints(records: readonly MountRecord[]): string {
  const out = records
    .filter((r) => r.count > 0 && r.path !== "")
    .map(({ id, path, count, ...rest }) => ({ id, path, count, ...rest }));
  return goJson(out);
}
