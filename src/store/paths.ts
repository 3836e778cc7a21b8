/**
 * Where everything lives in a containers/storage overlay store.
 *
 *   R/overlay/<ID>/{diff,work,merged,empty,link,lower,lower-layers}
 *   R/overlay/l/<LID> -> ../<ID>/diff        (legacy short links)
 *   R/overlay-layers/layers.json, layers.lock, <ID>.tar-split.gz, <ID>/<data item>
 *   RR/overlay-layers/mountpoints.json, mountpoints.lock
 *   R/overlay-images/images.json, images.lock, <ID>/<big data>, <ID>/userdata/
 *   RR/overlay-images/<ID>/userdata/
 *   R/overlay-containers/containers.json, volatile-containers.json, containers.lock,
 *     <ID>/<big data>, <ID>/userdata/
 *   RR/overlay-containers/<ID>/userdata/
 *
 * With other stores configured (store-set.ts: a split image store, read-only
 * additional image stores), a layer's own paths are those of the first store
 * whose overlay home holds the layer's directory, the graph root's first
 * (upstream's overlay `dir2`); a layer found nowhere gets the graph root's.
 * `l/<LID>` is looked up the same way. Without other stores nothing is
 * stat'ed: the paths are only joined.
 *
 * Only joins strings; callers validate IDs first (store/layers/ids.ts).
 */
import { lstatSync } from "node:fs";
import { dirname, join } from "node:path";

export const LINK_DIR = "l";
export const LOWER_FILE = "lower";
export const LOWER_LAYERS_FILE = "lower-layers";

export class StorePaths {
  readonly graphRoot: string;
  readonly runRoot: string;
  readonly home: string;
  readonly linkDir: string;
  readonly layersDir: string;
  readonly layersJson: string;
  readonly layersLock: string;
  readonly runLayersDir: string;
  readonly mountpointsJson: string;
  readonly mountpointsLock: string;
  readonly imagesDir: string;
  readonly imagesJson: string;
  readonly imagesLock: string;
  readonly runImagesDir: string;
  readonly containersDir: string;
  readonly containersJson: string;
  readonly volatileContainersJson: string;
  readonly containersLock: string;
  readonly runContainersDir: string;
  /** The split image store (--image-store), as a store of its own, or null. */
  readonly imageStore: StorePaths | null;
  /** The read-only additional image stores (overlay.imagestore), in the order given. */
  readonly additional: readonly StorePaths[];
  /** Overlay homes searched for a layer after this one: the image store's, then the additional stores'. */
  private readonly otherHomes: readonly string[];

  /**
   * @param imageRoot the split image store: images.json and its data live there.
   * @param additionalRoots read-only additional image stores.
   */
  constructor(graphRoot: string, runRoot: string, imageRoot: string | null = null, additionalRoots: readonly string[] = []) {
    this.graphRoot = graphRoot;
    this.runRoot = runRoot;
    this.imageStore = imageRoot === null ? null : new StorePaths(imageRoot, runRoot);
    this.additional = additionalRoots.map((r) => new StorePaths(r, runRoot));
    this.otherHomes = [...(this.imageStore ? [this.imageStore.home] : []), ...this.additional.map((a) => a.home)];
    this.home = join(graphRoot, "overlay");
    this.linkDir = join(this.home, LINK_DIR);
    this.layersDir = join(graphRoot, "overlay-layers");
    this.layersJson = join(this.layersDir, "layers.json");
    this.layersLock = join(this.layersDir, "layers.lock");
    this.runLayersDir = join(runRoot, "overlay-layers");
    this.mountpointsJson = join(this.runLayersDir, "mountpoints.json");
    this.mountpointsLock = join(this.runLayersDir, "mountpoints.lock");
    this.imagesDir = join(imageRoot ?? graphRoot, "overlay-images");
    this.imagesJson = join(this.imagesDir, "images.json");
    this.imagesLock = join(this.imagesDir, "images.lock");
    this.runImagesDir = join(runRoot, "overlay-images");
    this.containersDir = join(graphRoot, "overlay-containers");
    this.containersJson = join(this.containersDir, "containers.json");
    this.volatileContainersJson = join(this.containersDir, "volatile-containers.json");
    this.containersLock = join(this.containersDir, "containers.lock");
    this.runContainersDir = join(runRoot, "overlay-containers");
  }

  /** Whether other stores are configured (a split image store or additional stores). */
  get multiStore(): boolean {
    return this.otherHomes.length > 0;
  }

  /** Every graph root a layer may live in: this one, the image store, the additional stores. */
  get roots(): string[] {
    return [this.graphRoot, ...(this.imageStore ? [this.imageStore.graphRoot] : []), ...this.additional.map((a) => a.graphRoot)];
  }

  /** Every overlay home a layer may live in, in lookup order: this store's, the image store's, the additional stores'. */
  get homes(): string[] {
    return [this.home, ...this.otherHomes];
  }

  /** The overlay home holding `name` (a layer ID or `l/<LID>`): this store's first, else the first other store that has it. */
  homeOf(name: string): string {
    if (!this.otherHomes.length || exists(join(this.home, name))) return this.home;
    return this.otherHomes.find((h) => exists(join(h, name))) ?? this.home;
  }

  layer(id: string): string {
    return join(this.homeOf(id), id);
  }
  diff(id: string): string {
    return join(this.homeOf(id), id, "diff");
  }
  work(id: string): string {
    return join(this.homeOf(id), id, "work");
  }
  merged(id: string): string {
    return join(this.homeOf(id), id, "merged");
  }
  empty(id: string): string {
    return join(this.homeOf(id), id, "empty");
  }
  linkFile(id: string): string {
    return join(this.homeOf(id), id, "link");
  }
  lowerFile(id: string): string {
    return join(this.homeOf(id), id, LOWER_FILE);
  }
  lowerLayersFile(id: string): string {
    return join(this.homeOf(id), id, LOWER_LAYERS_FILE);
  }
  /** R/overlay-layers of the store whose overlay home holds layer `id` (this store's when none does). */
  private layersDirOf(id: string): string {
    return this.otherHomes.length ? join(dirname(this.homeOf(id)), "overlay-layers") : this.layersDir;
  }
  /** R/overlay-layers/<ID>.tar-split.gz: the headers and padding of the tarball the layer was imported from. */
  tarSplit(id: string): string {
    return join(this.layersDirOf(id), `${id}.tar-split.gz`);
  }
  /** R/overlay-layers/<ID>/: the layer's big data items, one file per item (store/lifecycle/layer-data.ts). */
  layerDataDir(id: string): string {
    return join(this.layersDirOf(id), id);
  }
  /** R/overlay-images/<ID>: the image's big data files (and userdata/). */
  imageDataDir(id: string): string {
    return join(this.imagesDir, id);
  }
  /** R/overlay-containers/<ID>: the container's big data files (and userdata/). */
  containerDataDir(id: string): string {
    return join(this.containersDir, id);
  }
  /** R/overlay/l/<LID> (of the first store that has it). */
  linkPath(lid: string): string {
    return join(this.homeOf(join(LINK_DIR, lid)), LINK_DIR, lid);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
