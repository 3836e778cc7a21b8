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
  readonly imagesDir: string;
  readonly imagesJson: string;
  readonly imagesLock: string;
  readonly runImagesDir: string;
  readonly containersDir: string;
  readonly containersJson: string;
  readonly volatileContainersJson: string;
  readonly containersLock: string;
  readonly runContainersDir: string;

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
    this.imagesDir = join(graphRoot, "overlay-images");
    this.imagesJson = join(this.imagesDir, "images.json");
    this.imagesLock = join(this.imagesDir, "images.lock");
    this.runImagesDir = join(runRoot, "overlay-images");
    this.containersDir = join(graphRoot, "overlay-containers");
    this.containersJson = join(this.containersDir, "containers.json");
    this.volatileContainersJson = join(this.containersDir, "volatile-containers.json");
    this.containersLock = join(this.containersDir, "containers.lock");
    this.runContainersDir = join(runRoot, "overlay-containers");
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
  /** R/overlay-images/<ID>: the image's big data files (and userdata/). */
  imageDataDir(id: string): string {
    return join(this.imagesDir, id);
  }
  /** R/overlay-containers/<ID>: the container's big data files (and userdata/). */
  containerDataDir(id: string): string {
    return join(this.containersDir, id);
  }
  /** R/overlay/l/<LID> */
  linkPath(lid: string): string {
    return join(this.linkDir, lid);
  }
}
