/**
 * Finding a record by what a user typed, as containers-storage does for
 * layers, images and containers alike: the ID, then a name, then a unique ID
 * prefix (its truncindex). Pure.
 */
import { OvError } from "../errors.ts";
import { quoteArg } from "../quote.ts";

export interface Named {
  id: string;
  names?: string[];
}

/**
 * The record `ref` names, or undefined.
 * @throws {OvError} conflict when `ref` is a prefix of several IDs.
 * @example findRecord(images, "fedora", "image")
 */
export function findRecord<R extends Named>(records: readonly R[], ref: string, what: string): R | undefined {
  const byId = records.find((r) => r.id === ref);
  if (byId) return byId;
  const byName = records.find((r) => r.names?.includes(ref));
  if (byName) return byName;
  if (ref.length === 0) return undefined;
  const matches = records.filter((r) => r.id.startsWith(ref));
  if (matches.length > 1) {
    throw new OvError("conflict", `${what[0]!.toUpperCase()}${what.slice(1)} reference ${quoteArg(ref)} is ambiguous: it is a prefix of ${matches.length} ${what} IDs`);
  }
  return matches[0];
}

/**
 * The record `ref` names.
 * @throws {OvError} not-found "<what> not known" (the words containers-storage prints, which scripts grep).
 */
export function requireRecord<R extends Named>(records: readonly R[], ref: string, what: string, verb: string): R {
  const r = findRecord(records, ref, what);
  if (!r) throw new OvError("not-found", `Cannot ${verb} ${quoteArg(ref)}: ${what} not known`);
  return r;
}
