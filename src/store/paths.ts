/**
 * Where everything lives in a containers/storage overlay store.
 *
 *   R/overlay/<ID>/{diff,work,merged,empty,link,lower,lower-layers}
 *   R/overlay/l/<LID> -> ../<ID>/diff        (legacy short links)
 *   R/overlay-layers/layers.json, layers.lock, <ID>.tar-split.gz, <ID>/<data item>
 *   RR/overlay-layers/mountpoints.json, mountpoints.lock
 *
 * Only joins strings; callers validate IDs first (store/ids.ts).
 */
import { join } from "node:path";

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
  readonly imagesJson: string;
  readonly containersJson: string;

  constructor(graphRoot: string, runRoot: string) {
    this.graphRoot = graphRoot;
    this.runRoot = runRoot;
    this.home = join(graphRoot, "overlay");
    this.linkDir = join(this.home, LINK_DIR);
    this.layersDir = join(graphRoot, "overlay-layers");
    this.layersJson = join(this.layersDir, "layers.json");
    this.layersLock = join(this.layersDir, "layers.lock");
    this.runLayersDir = join(runRoot, "overlay-layers");
    this.mountpointsJson = join(this.runLayersDir, "mountpoints.json");
    this.mountpointsLock = join(this.runLayersDir, "mountpoints.lock");
    this.imagesJson = join(graphRoot, "overlay-images", "images.json");
    this.containersJson = join(graphRoot, "overlay-containers", "containers.json");
  }

  layer(id: string): string {
    return join(this.home, id);
  }
  diff(id: string): string {
    return join(this.home, id, "diff");
  }
  work(id: string): string {
    return join(this.home, id, "work");
  }
  merged(id: string): string {
    return join(this.home, id, "merged");
  }
  empty(id: string): string {
    return join(this.home, id, "empty");
  }
  linkFile(id: string): string {
    return join(this.home, id, "link");
  }
  lowerFile(id: string): string {
    return join(this.home, id, LOWER_FILE);
  }
  lowerLayersFile(id: string): string {
    return join(this.home, id, LOWER_LAYERS_FILE);
  }
  /** R/overlay-layers/<ID>.tar-split.gz: the headers and padding of the tarball the layer was imported from. */
  tarSplit(id: string): string {
    return join(this.layersDir, `${id}.tar-split.gz`);
  }
  /** R/overlay-layers/<ID>/: the layer's big data items, one file per item (store/layer-data.ts). */
  layerDataDir(id: string): string {
    return join(this.layersDir, id);
  }
  /** R/overlay/l/<LID> */
  linkPath(lid: string): string {
    return join(this.linkDir, lid);
  }
}
