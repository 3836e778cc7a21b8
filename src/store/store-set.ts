/**
 * The stores one command works with, as upstream's store.load() sets them up.
 *
 *   - the graph root (read-write): layers, containers, and images unless split;
 *   - the split image store (`--image-store DIR`, read-write): DIR/overlay-images
 *     holds the images; DIR/overlay-layers/layers.json and DIR/overlay/<ID> the
 *     layers created `--readonly`; the graph root's own images are still read
 *     (and deleted or renamed there): upstream uses the graph root as another
 *     image store by default;
 *   - additional image stores (`overlay.imagestore=DIR`, storage.conf
 *     `additionalimagestores`, read-only): DIR/overlay-layers/layers.json,
 *     DIR/overlay-images/images.json and DIR/overlay/<ID> are read under read
 *     locks on lock files opened read-only (never created, lockfile.ts);
 *     nothing there is ever written. Their records are marked read-only here.
 *
 * Owns no files. Creates the split image store's directories, as upstream does
 * when it opens the store (DIR, DIR/overlay, DIR/overlay/l, 0700/0755).
 */
import type { StoreOptions } from "../config/options.ts";
import { sysError } from "../errors.ts";
import { StorePaths } from "./paths.ts";
import { mkdirAll } from "./files/mkdir-all.ts";

/** One store records are read from, and whether it may be written. */
export interface StoreSource {
  paths: StorePaths;
  readOnly: boolean;
}

/** The StorePaths of the configured stores; makes the split image store's directories. */
export function storePathsFor(o: StoreOptions): StorePaths {
  const paths = new StorePaths(o.graphRoot, o.runRoot, o.imageStore ?? null, o.overlay.imageStores);
  if (paths.imageStore) {
    try {
      mkdirAll(paths.imageStore.home, 0o700);
      mkdirAll(paths.imageStore.linkDir, 0o755);
    } catch (e) {
      throw sysError(`Cannot create the image store ${paths.imageStore.graphRoot}`, e);
    }
  }
  return paths;
}

/**
 * Where a layer created `--readonly` goes: with a split image store, into it
 * (DIR/overlay-layers/layers.json, DIR/overlay/<ID>, as upstream's
 * imageStoreLayerLocation), its parent looked up there, then in the graph
 * root and the additional stores; else the graph root.
 */
export function readOnlyLayerStore(paths: StorePaths): StorePaths {
  if (!paths.imageStore) return paths;
  return new StorePaths(paths.imageStore.graphRoot, paths.runRoot, null, [paths.graphRoot, ...paths.additional.map((a) => a.graphRoot)]);
}

/** Layer stores after the graph root's, in lookup order: the split image store, then the additional ones. */
export function otherLayerSources(paths: StorePaths): StoreSource[] {
  return [...(paths.imageStore ? [{ paths: paths.imageStore, readOnly: false }] : []), ...paths.additional.map((a) => ({ paths: a, readOnly: true }))];
}

/**
 * Image stores after the primary one (paths.imagesJson), in lookup order:
 * with a split image store the graph root's own images, then the additional ones.
 */
export function otherImageSources(paths: StorePaths): StoreSource[] {
  const graph = paths.imageStore ? [{ paths: new StorePaths(paths.graphRoot, paths.runRoot), readOnly: false }] : [];
  return [...graph, ...paths.additional.map((a) => ({ paths: a, readOnly: true }))];
}

const readOnlyRecords = new WeakSet<object>();
const recordHome = new WeakMap<object, StorePaths>();

/** Marks records read from `src` (read-only when the store is) and remembers their store. */
export function tagRecords<R extends object>(records: R[], src: StoreSource): R[] {
  for (const r of records) {
    recordHome.set(r, src.paths);
    if (src.readOnly) readOnlyRecords.add(r);
  }
  return records;
}

/** Whether a record came from a read-only additional store (`Read Only: true`; never changed). */
export function isFromReadOnlyStore(rec: object): boolean {
  return readOnlyRecords.has(rec);
}

/** The store a record was read from (its data dirs are there), else `fallback`. */
export function storeOf(rec: object, fallback: StorePaths): StorePaths {
  return recordHome.get(rec) ?? fallback;
}

/** `primary` then each record of `others` whose ID none before it has (the first store wins, as upstream's lookups). */
export function mergeById<R extends { id: string }>(primary: readonly R[], others: readonly R[]): R[] {
  if (!others.length) return [...primary];
  const seen = new Set(primary.map((r) => r.id));
  const outList = [...primary];
  for (const r of others) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    outList.push(r);
  }
  return outList;
}
