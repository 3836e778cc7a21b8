/**
 * Creating and deleting containers and storing their big data, with the
 * locks in upstream's order: layers.lock, then images.lock, then
 * containers.lock.
 *
 *   create-container    layers (write: the container's layer is made), images, containers (write)
 *   delete-container    layers, images, containers (write), as writeToAllStores
 *   set-container-data  containers (write)
 *
 * A container's directories are R/overlay-containers/<ID>/userdata and
 * RR/overlay-containers/<ID>/userdata, made when first asked for (as
 * upstream does) and removed with the container.
 */
import { join } from "node:path";
import { OvError, sysError } from "../../errors.ts";
import { noteBigData, requireKey, sha256Digest, writeBigDataFile } from "./big-data.ts";
import { VOLATILE_FLAG, type ContainerRecord } from "../records/containers-json.ts";
import { updateContainers } from "../records/container-store.ts";
import { createLayerInTxn } from "./create.ts";
import { deleteLayerInTxn, type DeleteHooks } from "./delete.ts";
import { generateId, validateId, validateRecordName } from "../layers/ids.ts";
import { readOtherImages, updateImages } from "../records/image-store.ts";
import { formatCreated } from "../records/layers-json.ts";
import { updateLayers } from "../records/layer-store.ts";
import { nowNanos } from "../files/lockfile.ts";
import { findRecord, requireRecord } from "../lookup.ts";
import type { StorePaths } from "../paths.ts";
import type { IdMapEntry } from "../../archive/apply/idmap.ts";
import { topLayerFor } from "./mapped-layer.ts";
import { mkdirAll } from "../files/mkdir-all.ts";
import { removeTree } from "../files/remove-tree.ts";

export interface CreateContainerRequest {
  id?: string;
  names?: string[];
  /** Image ID or name; "" for a container from no image. */
  image: string;
  /** ID for the container's layer (random when absent). */
  layerId?: string;
  metadata?: string;
  volatile?: boolean;
  /** The container's ID maps (empty: the host's). */
  uidmap?: IdMapEntry[];
  gidmap?: IdMapEntry[];
  /**
   * The maps are applied by idmapped mounts when the container is mounted
   * (upstream's canUseShifting): its layer gets no maps and nothing is copied;
   * the container record keeps them.
   */
  shifting?: boolean;
}

/** The new container record (not yet added), its layer already known. Pure but for the ID. */
export function planContainerRecord(containers: readonly ContainerRecord[], req: CreateContainerRequest, imageId: string, layerId: string, now: bigint): ContainerRecord {
  const names = [...new Set(req.names ?? [])];
  let id = req.id;
  if (id) {
    if (containers.some((c) => c.id === id)) throw new OvError("conflict", `Cannot create container: the container ID ${JSON.stringify(id)} is already in use`);
  } else {
    do id = generateId();
    while (containers.some((c) => c.id === id));
  }
  for (const name of names) {
    const owner = containers.find((c) => c.names?.includes(name));
    if (owner) {
      throw new OvError("conflict", `Cannot create container ${id}: the container name ${JSON.stringify(name)} is already in use by ${owner.id}`, {
        hint: "remove that container to reuse the name",
      });
    }
  }
  const rec: ContainerRecord = { id, image: imageId, layer: layerId };
  if (names.length) rec.names = names;
  if (req.metadata) rec.metadata = req.metadata;
  if (req.uidmap?.length) rec.uidmap = req.uidmap.map((m) => ({ ...m }));
  if (req.gidmap?.length) rec.gidmap = req.gidmap.map((m) => ({ ...m }));
  rec.created = formatCreated(now);
  // Upstream always records the SELinux labels it chose (empty without SELinux).
  rec.flags = { MountLabel: "", ProcessLabel: "", ...(req.volatile ? { [VOLATILE_FLAG]: true } : {}) };
  return rec;
}

/** Creates a container and its read-write layer on the image's top layer. @throws {OvError} usage, conflict, not-found. */
export function createContainer(paths: StorePaths, req: CreateContainerRequest): Promise<ContainerRecord> {
  (req.names ?? []).forEach((n) => validateRecordName(n, "container"));
  if (req.id) validateId(req.id, "container ID");
  return updateLayers(paths, (ltxn) =>
    updateImages(paths, async (itxn) => {
      let imageId = "";
      let parent: string | undefined;
      if (req.image !== "") {
        // An image of another image store, or a top layer of another layer store, is used as it
        // is: no mapped copy is made for it (upstream's imageTopLayerForMapping); the container's
        // own layer gets its parent's view shifted to its maps instead (create.ts).
        const own = findRecord(itxn.records, req.image, "image");
        const img = own ?? requireRecord(readOtherImages(paths), req.image, "image", "create a container from image");
        imageId = img.id;
        parent = img.layer || undefined;
        const top = parent ? ltxn.records.find((r) => r.id === parent) : undefined;
        if (own && top) {
          const before = img["mapped-layers"]?.length ?? 0;
          parent = await topLayerFor(paths, ltxn, img, top, req.uidmap ?? [], req.gidmap ?? [], req.shifting);
          if ((img["mapped-layers"]?.length ?? 0) !== before) itxn.save();
        }
      }
      return updateContainers(paths, async (ctxn) => {
        // Check the container's ID and names before its layer is made.
        planContainerRecord(ctxn.records, req, imageId, "", 0n);
        const layer = await createLayerInTxn(paths, ltxn, { ...(req.layerId ? { id: req.layerId } : {}), ...(parent ? { parent } : {}), uidmap: req.shifting ? [] : (req.uidmap ?? []), gidmap: req.shifting ? [] : (req.gidmap ?? []) });
        const rec = planContainerRecord(ctxn.records, req, imageId, layer.id, nowNanos());
        ctxn.records.push(rec);
        ctxn.save();
        return rec;
      });
    }),
  );
}

/**
 * Deletes container `ref`: its layer first (unmounted if needed), then its
 * directories in the graph and run roots, then its record.
 * @throws {OvError} not-found "container not known".
 */
export function deleteContainer(paths: StorePaths, ref: string, hooks: DeleteHooks): Promise<string> {
  return updateLayers(paths, (ltxn) =>
    updateImages(paths, () =>
      updateContainers(paths, async (ctxn) => {
        const c = findRecord(ctxn.records, ref, "container");
        if (!c) throw new OvError("not-found", `Cannot delete container ${JSON.stringify(ref)}: container not known`);
        const layer = ltxn.records.find((l) => l.id === c.layer);
        if (layer) await deleteLayerInTxn(paths, ltxn, layer, hooks);
        removeContainerDirs(paths, c.id);
        ctxn.records = ctxn.records.filter((r) => r !== c);
        ctxn.save();
        return c.id;
      }),
    ),
  );
}

export function removeContainerDirs(paths: StorePaths, id: string): void {
  for (const dir of [paths.containerDataDir(id), join(paths.runContainersDir, id)]) {
    try {
      removeTree(dir);
    } catch (e) {
      throw sysError(`Cannot remove ${dir}`, e);
    }
  }
}

/** Stores big data item `key` of container `ref` (digest: sha256 of the bytes). */
export function setContainerData(paths: StorePaths, ref: string, key: string, data: Uint8Array): Promise<void> {
  requireKey(key, "container");
  return updateContainers(paths, (txn) => {
    const c = requireRecord(txn.records, ref, "container", "set data of container");
    writeBigDataFile(paths.containerDataDir(c.id), key, data);
    if (noteBigData(c, key, data.length, sha256Digest(data))) txn.save();
  });
}

/** Makes (if needed) and returns `<root>/<ID>/userdata` (0700), as ContainerDirectory/ImageDirectory do. */
export function userDataDir(root: string, id: string): string {
  const dir = join(root, id, "userdata");
  try {
    mkdirAll(dir, 0o700);
  } catch (e) {
    throw sysError(`Cannot create ${dir}`, e);
  }
  return dir;
}
