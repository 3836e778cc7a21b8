/**
 * What applies to a layer, an image or a container alike, resolved as
 * upstream's Lookup does: a layer first, then an image, then a container
 * (each by ID, name or unique ID prefix). Names and metadata are changed
 * under the lock of the file that holds the record (an image of another image
 * store is first copied into the primary one, pull-up.ts); write paths take
 * layers.lock, then images.lock, then containers.lock, as upstream does.
 */
import { OvError } from "../errors.ts";
import { readContainers, updateContainers } from "./records/container-store.ts";
import { validateName, validateRecordName } from "./layers/ids.ts";
import { readImages, updateImages } from "./records/image-store.ts";
import { readLayers, updateLayers } from "./records/layer-store.ts";
import { findRecord, type Named } from "./lookup.ts";
import type { StorePaths } from "./paths.ts";
import { pullUpImage } from "./pull-up.ts";

export type Kind = "layer" | "image" | "container";

export interface Found {
  kind: Kind;
  id: string;
  names: string[];
  metadata: string;
}

function found(kind: Kind, r: Named & { metadata?: unknown }): Found {
  return { kind, id: r.id, names: r.names ?? [], metadata: typeof r.metadata === "string" ? r.metadata : "" };
}

/** The layer, image or container `ref` names (in that order of preference), or undefined. */
export function lookupAny(paths: StorePaths, ref: string, kinds: readonly Kind[] = ["layer", "image", "container"]): Found | undefined {
  for (const kind of kinds) {
    const records: Named[] = kind === "layer" ? readLayers(paths) : kind === "image" ? readImages(paths) : readContainers(paths);
    const r = findRecord(records, ref, kind);
    if (r) return found(kind, r);
  }
  return undefined;
}

export type NameOp = "set" | "add" | "remove";

/** The names after `op`, deduplicated, as applyNameOperation upstream (added names come first). Pure. */
export function applyNameOp(old: readonly string[], given: readonly string[], op: NameOp): string[] {
  const list = op === "set" ? given : op === "add" ? [...given, ...old] : old.filter((n) => !given.includes(n));
  return [...new Set(list)];
}

/**
 * Gives `rec` its new names, taking each from any other record of the same
 * file that had it (upstream moves a name rather than refusing). Pure.
 */
export function moveNames<R extends Named>(records: readonly R[], rec: R, names: readonly string[]): void {
  for (const other of records) {
    if (other === rec || !other.names) continue;
    const kept = other.names.filter((n) => !names.includes(n));
    if (kept.length !== other.names.length) other.names = kept;
  }
  rec.names = [...names];
}

/** Prepends names to an image's names-history, deduplicated (addNameToHistory). Pure. */
export function addToHistory(history: readonly string[] | undefined, names: readonly string[]): string[] {
  let h = [...(history ?? [])];
  for (const n of names) h = [...new Set([n, ...h])];
  return h;
}

/**
 * Sets, adds or removes names of the layer, image or container `ref` names.
 * @returns the record's names afterwards.
 * @throws {OvError} usage (bad name), not-found "layer not known" (upstream's word when nothing matches).
 */
export async function updateNames(paths: StorePaths, ref: string, given: readonly string[], op: NameOp): Promise<string[]> {
  const onLayer = await updateLayers(paths, (txn) => {
    const rec = findRecord(txn.records, ref, "layer");
    if (!rec) return undefined;
    if (op !== "remove") given.forEach(validateName);
    moveNames(txn.records, rec, applyNameOp(rec.names ?? [], given, op));
    txn.save();
    return rec.names ?? [];
  });
  if (onLayer) return onLayer;
  const onImage = await updateImages(paths, (txn) => {
    // An image of another image store is copied into this one first, as upstream does (pull-up.ts).
    const rec = findRecord(txn.records, ref, "image") ?? pullUpImage(paths, txn, ref);
    if (!rec) return undefined;
    if (op !== "remove") given.forEach((n) => validateRecordName(n, "image"));
    const names = applyNameOp(rec.names ?? [], given, op);
    moveNames(txn.records, rec, names);
    rec["names-history"] = addToHistory(rec["names-history"], names);
    txn.save();
    return rec.names ?? [];
  });
  if (onImage) return onImage;
  const onContainer = await updateContainers(paths, (txn) => {
    const rec = findRecord(txn.records, ref, "container");
    if (!rec) return undefined;
    if (op !== "remove") given.forEach((n) => validateRecordName(n, "container"));
    moveNames(txn.records, rec, applyNameOp(rec.names ?? [], given, op));
    txn.save();
    return rec.names ?? [];
  });
  if (onContainer) return onContainer;
  throw new OvError("not-found", `Cannot change the names of ${JSON.stringify(ref)}: layer not known`);
}

/**
 * Sets the metadata of the layer, image or container `ref` names, with all
 * three locks held in upstream's order (SetMetadata's writeToAllStores).
 * @throws {OvError} not-found "not a layer, image or container".
 */
export function setMetadata(paths: StorePaths, ref: string, metadata: string): Promise<Kind> {
  return updateLayers(paths, (ltxn) =>
    updateImages(paths, (itxn) =>
      updateContainers(paths, (ctxn) => {
        const set = (rec: { metadata?: string } | undefined, save: () => void): boolean => {
          if (!rec) return false;
          if (metadata === "") delete rec.metadata;
          else rec.metadata = metadata;
          save();
          return true;
        };
        if (set(findRecord(ltxn.records, ref, "layer"), () => ltxn.save())) return "layer";
        if (set(findRecord(itxn.records, ref, "image"), () => itxn.save())) return "image";
        if (set(findRecord(ctxn.records, ref, "container"), () => ctxn.save())) return "container";
        throw new OvError("not-found", `Cannot set the metadata of ${JSON.stringify(ref)}: it is not the ID or name of a layer, image or container`);
      }),
    ),
  );
}
