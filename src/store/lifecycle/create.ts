/**
 * Creating a layer: the layers.json entry and the directory, as one step for
 * every other tool. Under the layers.json write lock the entry is first saved
 * flagged `incomplete` (so a crash leaves something `repair` and
 * containers-storage recognise and clean up), then the directory is made,
 * then the flag is cleared.
 */
import { OvError, rollback, sysError } from "../../errors.ts";
import { generateId, validateId, validateName } from "../layers/ids.ts";
import {
  clearFlag,
  findLayer,
  formatCreated,
  INCOMPLETE_FLAG,
  isIncomplete,
  READONLY_FLAG,
  type LayerRecord,
} from "../records/layers-json.ts";
import { createLayerDirs, planChildLowers, removeLayer } from "../layers/layout.ts";
import { nowNanos } from "../files/lockfile.ts";
import { ensureStoreDirs, readOtherLayers, updateLayers, type LayerTxn } from "../records/layer-store.ts";
import { mergeById } from "../store-set.ts";
import { linkMode } from "../layers/mode.ts";
import type { StorePaths } from "../paths.ts";
import { quoteArg } from "../../quote.ts";
import { mapperFor, type IdMapEntry } from "../../archive/apply/idmap.ts";
import { sameMap } from "../../archive/apply/idmap-parse.ts";
import { log } from "../../log.ts";
import { chmodSync, chownSync, statSync, type Stats } from "node:fs";
import { mark } from "../../profile.ts";

export interface CreateLayerRequest {
  id?: string;
  names?: string[];
  /** Parent layer ID or name. */
  parent?: string;
  readonly?: boolean;
  mountLabel?: string;
  /** The layer's ID maps (absent or empty: the host's). */
  uidmap?: IdMapEntry[];
  gidmap?: IdMapEntry[];
  /**
   * Kinds whose map, when the request has none, is taken from the parent
   * (upstream's populateLayerOptions: no map flag and no --host*map).
   */
  inheritMaps?: { uid: boolean; gid: boolean };
  /**
   * Asked with the layer's maps (after inheriting): true when idmapped mounts
   * apply them at mount time, so the record keeps none and nothing is copied.
   */
  mapsAtMountTime?: (maps: { uidmap: IdMapEntry[]; gidmap: IdMapEntry[] }) => boolean;
  /**
   * The fill step writes diff1 itself (a mapped copy of another layer,
   * mapped-layer.ts): the parent's view is not copied in.
   */
  fillsDiff1?: boolean;
}

/** Checks the request against the records; returns the new record (not yet added). */
export function planLayerRecord(records: readonly LayerRecord[], req: CreateLayerRequest, now: bigint): LayerRecord {
  const names = req.names ?? [];
  names.forEach(validateName);
  let id = req.id;
  if (id !== undefined) {
    validateId(id);
    if (records.some((r) => r.id === id)) throw new OvError("conflict", `Cannot create layer ${id}: that ID is already in use`);
  } else {
    do id = generateId();
    while (records.some((r) => r.id === id));
  }
  for (const name of names) {
    const owner = records.find((r) => r.names?.includes(name) || r.id === name);
    if (owner) throw new OvError("conflict", `Cannot create layer ${id}: the name ${quoteArg(name)} is already used by layer ${owner.id}`);
  }
  if (new Set(names).size !== names.length) throw new OvError("usage", `Cannot create layer ${id}: a name is given twice`);
  const rec: LayerRecord = { id };
  if (names.length) rec.names = [...names];
  if (req.parent !== undefined) {
    const parent = findLayer(records, req.parent);
    if (!parent) throw new OvError("not-found", `Cannot create layer ${id}: parent layer ${quoteArg(req.parent)} is not known`);
    if (isIncomplete(parent)) {
      throw new OvError("corrupt", `Cannot create layer ${id} on parent ${parent.id}: the parent is flagged incomplete (a crash while it was created or deleted)`, {
        hint: "run `ovlayer repair` to remove incomplete layers",
      });
    }
    rec.parent = parent.id;
  }
  if (req.mountLabel) rec.mountlabel = req.mountLabel;
  let uidmap = req.uidmap ?? [];
  let gidmap = req.gidmap ?? [];
  const parentRec = rec.parent ? findLayer(records, rec.parent) : undefined;
  if (parentRec) {
    const own = mapperFor(parentRec);
    if (req.inheritMaps?.uid && uidmap.length === 0) uidmap = [...own.uids];
    if (req.inheritMaps?.gid && gidmap.length === 0) gidmap = [...own.gids];
  }
  if (req.mapsAtMountTime?.({ uidmap, gidmap })) {
    uidmap = [];
    gidmap = [];
  }
  if (uidmap.length) rec.uidmap = uidmap;
  if (gidmap.length) rec.gidmap = gidmap;
  rec.created = formatCreated(now);
  rec.flags = { [INCOMPLETE_FLAG]: true, ...(req.readonly ? { [READONLY_FLAG]: true } : {}) };
  return rec;
}

/**
 * Creates a layer and returns its record.
 * @param fill optional step run after the directory exists and before the
 *   incomplete flag is cleared (import-layer writes the contents here); it may
 *   change the record. If it throws, the layer is removed again.
 * @throws {OvError} usage (bad ID/name), conflict (ID/name in use), not-found (parent).
 */
export function createLayer(
  paths: StorePaths,
  req: CreateLayerRequest,
  fill?: (rec: LayerRecord, txn: LayerTxn) => void | Promise<void>,
): Promise<LayerRecord> {
  ensureStoreDirs(paths, linkMode(paths) === "legacy-compatible");
  mark("store-dirs");
  return updateLayers(paths, (txn) => createLayerInTxn(paths, txn, req, fill));
}

/**
 * createLayer() for a caller that already holds layers.json's write lock
 * (creating a container: layers, then images, then containers are locked).
 */
export async function createLayerInTxn(
  paths: StorePaths,
  txn: LayerTxn,
  req: CreateLayerRequest,
  fill?: (rec: LayerRecord, txn: LayerTxn) => void | Promise<void>,
): Promise<LayerRecord> {
  mark("layers.json");
  const legacy = linkMode(paths) === "legacy-compatible";
  ensureStoreDirs(paths, legacy);
  mark("store-dirs-again");
  // The other stores' layers are parents and taken IDs too (never changed: only txn.records is saved).
  const known = mergeById(txn.records, readOtherLayers(paths));
  const rec = planLayerRecord(known, req, nowNanos());
  const parent = rec.parent ? findLayer(known, rec.parent) : undefined;
  const files = rec.parent ? planChildLowers(paths, rec.parent, legacy, parent?.parent) : {};
  mark("plan");
  txn.records.push(rec);
  txn.save();
  mark("save-incomplete");
  try {
    createLayerDirs(paths, rec.id, rec.parent, files, legacy);
    mark("layer-dirs");
    if (parent && !req.fillsDiff1) await shiftFromParent(paths, rec, parent);
    ownDiffByMappedRoot(paths, rec);
    if (fill) await fill(rec, txn);
    clearFlag(rec, INCOMPLETE_FLAG);
    txn.save();
    mark("save");
  } catch (e) {
    // Back to the state before the call: no directory, no record. A failed
    // undo is reported after the original error, never instead of it, and
    // names what is left for `repair`.
    rollback(
      e,
      () => removeLayer(paths, rec.id),
      () => {
        txn.records = txn.records.filter((r) => r !== rec);
        try {
          txn.save();
        } catch (e2) {
          throw new OvError("sys", `${e2 instanceof Error ? e2.message : String(e2)}; layer ${rec.id} stays in ${paths.layersJson} flagged incomplete: \`ovlayer repair\` removes it`);
        }
      },
    );
  }
  return rec;
}

/**
 * A child whose ID maps differ from its parent's gets the parent's contents
 * copied into its diff1, shifted to its own maps, as upstream does when it
 * does not use idmapped mounts.
 */
async function shiftFromParent(paths: StorePaths, rec: LayerRecord, parent: LayerRecord): Promise<void> {
  const from = mapperFor(parent);
  const to = mapperFor(rec);
  if (sameMap(from.uids, to.uids) && sameMap(from.gids, to.gids)) return;
  // The copy code loads only here: a layer with its parent's maps (the common case) does not pay for it.
  const [{ layerStack }, { shiftCopy }] = await Promise.all([import("../../archive/layer-target.ts"), import("./shift-copy.ts")]);
  const s = shiftCopy(layerStack(paths, parent), `${paths.diff(rec.id)}1`, from, to, rec.id);
  log.debug(`layer ${rec.id}: ${s.entries} entries of parent ${parent.id} copied into diff1, shifted to the layer's ID maps`);
}

/**
 * A layer with ID maps has its diff directory owned by the host IDs of its
 * container root, as upstream makes it; when diff1 holds a shifted copy,
 * by diff1's owner (the shifted owner of the parent's root).
 */
export function ownDiffByMappedRoot(paths: StorePaths, rec: LayerRecord): void {
  const ids = mapperFor(rec);
  const diff = paths.diff(rec.id);
  const diff1 = statOrNull(`${diff}1`);
  if (ids.identity && !diff1) return;
  try {
    const [uid, gid] = diff1 ? [diff1.uid, diff1.gid] : ids.toHost(0, 0, `layer ${rec.id}`);
    const mode = statSync(diff).mode & 0o7777;
    chownSync(diff, uid, gid);
    chmodSync(diff, mode); // chown may clear setgid
  } catch (e) {
    if (e instanceof OvError) throw e;
    throw sysError(`Cannot give the diff directory of layer ${rec.id} to its mapped root`, e);
  }
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
