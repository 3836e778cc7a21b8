/**
 * The one typed decoder behind every store file that is a JSON array of
 * records: layers.json, mountpoints.json, images.json, containers.json
 * (and volatile-containers.json). Pure.
 *
 * Each codec declares its fields and their types; this module checks them,
 * rejects duplicate IDs and (where the file has names) duplicate names, and
 * bounds the nesting depth of every field that may nest (walked without
 * recursion after JSON.parse, which takes any depth), so a 100,000-deep
 * unknown field cannot make every later write overflow the stack. Every refusal is a "corrupt" OvError (exit 5) naming the file and
 * the entry. `null` is accepted for every field but `id`, as Go's decoder
 * reads it (the zero value); such a field is dropped.
 */
import { OvError } from "../../errors.ts";
import { quoteArg } from "../../quote.ts";

export type FieldType =
  | "string"
  | "number"
  | "boolean"
  | "string[]"
  | "number[]"
  /** JSON object (Go map[string]any) */
  | "object"
  /** array of objects ({container_id, host_id, size} ID maps) */
  | "object[]"
  /** object whose values are numbers (big-data-sizes) */
  | "map<number>"
  /** object whose values are strings (big-data-digests) */
  | "map<string>";

export interface RecordSchema {
  /** "layer", "image", "container", "mount point": used in messages. */
  what: string;
  fields: Readonly<Record<string, FieldType>>;
  /** Whether `names` must be unique across the file's records. */
  uniqueNames: boolean;
  /** Hint added to every error. */
  hint?: string;
}

/** Deepest nesting of arrays/objects accepted in a store file (upstream's records need 3). */
export const MAX_DEPTH = 64;

/**
 * The nesting depth of a parsed JSON value (1 for an empty array or object,
 * 0 for a scalar), walked with an explicit stack; stops past `limit`.
 * JSON.parse itself takes any depth, but writing such a value back (and
 * every recursive walk) would overflow the stack, so depth is bounded here.
 */
export function valueDepth(v: unknown, limit = MAX_DEPTH): number {
  if (typeof v !== "object" || v === null) return 0;
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > max) {
      max = d;
      if (max > limit) return max;
    }
    for (const c of Array.isArray(x) ? x : Object.values(x as object)) {
      if (typeof c === "object" && c !== null) stack.push([c, d + 1]);
    }
  }
  return max;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether `v` has type `t`. */
export function hasType(v: unknown, t: FieldType): boolean {
  switch (t) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "number[]":
      return Array.isArray(v) && v.every((x) => typeof x === "number");
    case "object":
      return isPlainObject(v);
    case "object[]":
      return Array.isArray(v) && v.every(isPlainObject);
    case "map<number>":
      return isPlainObject(v) && Object.values(v).every((x) => typeof x === "number");
    case "map<string>":
      return isPlainObject(v) && Object.values(v).every((x) => typeof x === "string");
  }
}

function corrupt(schema: RecordSchema, message: string): OvError {
  return new OvError("corrupt", message, { hint: schema.hint ?? "run `ovlayer check` to see what is wrong" });
}

/**
 * Parses and checks a store file. An empty (or all-blank) file is an empty
 * list, as upstream reads it. Records are the parsed objects: fields the
 * schema does not name are kept as they are.
 * @throws {OvError} corrupt naming the file, the entry (position and ID) and what is wrong.
 * @example decodeRecords('[{"id":"a","names":"x"}]', "layers.json", schema)
 *   // throws: layers.json: entry 1 of 1 (layer "a"): "names" must be string[], found string
 */
export function decodeRecords<R extends { id: string }>(text: string, file: string, schema: RecordSchema): R[] {
  if (text.trim() === "") return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw corrupt(schema, `${file} does not parse as JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw corrupt(schema, `${file}: expected a JSON array of ${schema.what} records, found ${typeName(data)}`);
  const types = new Map(Object.entries(schema.fields));
  const ids = new Map<string, number>();
  const names = new Map<string, number>();
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const r: unknown = data[i];
    const where = () => `${file}: entry ${i + 1} of ${n}`;
    if (!isPlainObject(r)) throw corrupt(schema, `${where()} is ${typeName(r)}, not an object`);
    if (typeof r.id !== "string" || r.id === "") throw corrupt(schema, `${where()} has no string "id"`);
    const label = () => `${where()} (${schema.what} ${quoteArg(r.id as string)})`;
    // One pass over the record's own keys (a handful), not over the schema's.
    for (const key in r) {
      if (key === "id") continue;
      const v = r[key];
      const type = types.get(key);
      if (type !== undefined) {
        if (v === null) {
          delete r[key];
          continue;
        }
        if (!hasType(v, type)) throw corrupt(schema, `${label()}: ${JSON.stringify(key)} must be ${type}, found ${typeName(v)}`);
        if (type !== "object" && type !== "object[]") continue;
      }
      // Fields that may nest (objects, and any the schema does not know): a record sits at depth 2 of the file.
      if (typeof v === "object" && v !== null && valueDepth(v, MAX_DEPTH - 2) > MAX_DEPTH - 2) {
        throw corrupt(schema, `${label()}: ${quoteArg(key)} is nested deeper than ${MAX_DEPTH} levels in all (a ${schema.what} record needs at most 4)`);
      }
    }
    const prev = ids.get(r.id);
    if (prev !== undefined) throw corrupt(schema, `${label()}: the same ID as entry ${prev}`);
    ids.set(r.id, i + 1);
    if (schema.uniqueNames && Array.isArray(r.names)) {
      for (const name of r.names as string[]) {
        const owner = names.get(name);
        if (owner !== undefined) throw corrupt(schema, `${label()}: the name ${quoteArg(name)} is also entry ${owner}'s`);
        names.set(name, i + 1);
      }
    }
  }
  return data as R[];
}
