/**
 * The effective store options: storage.conf, then $STORAGE_DRIVER /
 * $STORAGE_OPTS, then command-line flags (last wins). Pure.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { OvError, describeCause, errCode } from "../errors.ts";
import { log } from "../log.ts";
import type { StorageConf } from "./storage-conf.ts";
import { clip, quoteArg } from "../quote.ts";

export type MountStrategyName = "direct" | "fd" | "api";

export interface OverlayOptions {
  /** Extra mount options from overlay.mountopt (split on ','). */
  mountOptions: string[];
  skipMountHome: boolean;
  /** Forced mount strategy (overlay.mount_strategy), or undefined for the automatic choice. */
  mountStrategy?: MountStrategyName;
  /** overlay.mount_program: a FUSE helper ovlayer cannot use. */
  mountProgram?: string;
  /** overlay.imagestore / overlay.additionalimagestore: read-only additional image stores, absolute, in order. */
  imageStores: string[];
}

export interface StoreOptions {
  graphRoot: string;
  runRoot: string;
  driver: string;
  overlay: OverlayOptions;
  /** The split image store (--image-store, storage.conf `imagestore`): images and read-only layers live there. */
  imageStore?: string;
  /** Where the settings came from, for `status` and `--debug`. */
  confFile?: string;
}

export const DEFAULT_GRAPH_ROOT = "/var/lib/containers/storage";
export const DEFAULT_RUN_ROOT = "/run/containers/storage";

/** Keys containers-storage's overlay driver accepts that ovlayer reads but does not act on. */
const ACCEPTED_IGNORED = new Set([
  "override_kernel_check",
  "size",
  "inodes",
  "ignore_chown_errors",
  "force_mask",
  "use_composefs",
  "sync",
]);

function parseBool(key: string, v: string): boolean {
  const l = v.toLowerCase();
  if (["true", "1", "t", "yes"].includes(l)) return true;
  if (["false", "0", "f", "no"].includes(l)) return false;
  throw new OvError("usage", `Storage option ${clip(`${key}=${v}`)}: expected true or false`);
}

/**
 * Applies `KEY=VALUE` storage options (prefix overlay. or overlay2.) in order.
 * @throws {OvError} usage on a malformed or unknown key.
 */
export function applyStorageOpts(base: OverlayOptions, opts: readonly string[]): OverlayOptions {
  const o: OverlayOptions = { ...base, mountOptions: [...base.mountOptions], imageStores: [...base.imageStores] };
  for (const opt of opts) {
    const eq = opt.indexOf("=");
    if (eq <= 0) throw new OvError("usage", `Storage option ${quoteArg(opt)} is not KEY=VALUE`);
    const rawKey = opt.slice(0, eq).trim();
    const value = opt.slice(eq + 1).trim();
    // As upstream's ParseDriverOption: "DRIVER.KEY" or ".KEY" or "KEY".
    const key = rawKey.toLowerCase().replace(/^(overlay2?)?\./, "");
    switch (key) {
      case "imagestore":
      case "additionalimagestore":
        o.imageStores.push(...parseImageStores(rawKey, value));
        break;
      case "mountopt":
        o.mountOptions = value.split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "skip_mount_home":
        o.skipMountHome = parseBool(rawKey, value);
        break;
      case "mount_strategy":
        if (value !== "direct" && value !== "fd" && value !== "api" && value !== "auto") {
          throw new OvError("usage", `Storage option ${clip(`${rawKey}=${value}`)}: expected direct, fd, api or auto`);
        }
        if (value === "auto") delete o.mountStrategy;
        else o.mountStrategy = value;
        break;
      case "mount_program":
        if (value) o.mountProgram = value;
        else delete o.mountProgram;
        break;
      default:
        if (!ACCEPTED_IGNORED.has(key)) throw new OvError("usage", `Unknown storage option ${quoteArg(rawKey)} (overlay: unknown option ${key})`);
    }
  }
  return o;
}

/**
 * The directories of an `imagestore=DIR[,DIR]` option, as upstream's overlay
 * driver checks them: absolute (cleaned), directories; "" is none. A missing
 * one is a warning (an empty store), not an error.
 * @throws {OvError} usage naming the directory.
 */
export function parseImageStores(rawKey: string, value: string, stat: (p: string) => { isDirectory(): boolean } = statSync): string[] {
  if (value === "") return [];
  return value.split(",").map((raw) => {
    if (!raw.startsWith("/")) throw new OvError("usage", `Storage option ${clip(`${rawKey}=${value}`)}: image store path ${quoteArg(raw)} is not absolute`);
    const dir = resolve(raw);
    let st;
    try {
      st = stat(dir);
    } catch (e) {
      // Upstream refuses a missing one; its first command on that root made it, while ovlayer's reads create nothing.
      if (errCode(e) === "ENOENT") {
        log.warn(`image store ${dir} does not exist: used as an empty store`);
        return dir;
      }
      throw new OvError("usage", `Storage option ${clip(`${rawKey}=${value}`)}: cannot stat image store directory ${dir}: ${describeCause(e)}`, { cause: e });
    }
    if (!st.isDirectory()) throw new OvError("usage", `Storage option ${clip(`${rawKey}=${value}`)}: image store path ${dir} is not a directory`);
    return dir;
  });
}

export interface FlagValues {
  graph?: string;
  run?: string;
  storageDriver?: string;
  storageOpts: string[];
  /** --image-store */
  imageStore?: string;
}

/**
 * Combines storage.conf, the environment and the flags into the options in effect.
 * @throws {OvError} usage when the driver is not overlay or an option is bad.
 */
export function resolveStoreOptions(conf: StorageConf, env: Record<string, string | undefined>, flags: FlagValues, cwd?: string): StoreOptions {
  const driver = flags.storageDriver ?? env.STORAGE_DRIVER ?? conf.driver ?? "overlay";
  if (driver !== "overlay" && driver !== "overlay2") {
    throw new OvError("usage", `Storage driver ${quoteArg(driver)} is not supported: ovlayer only manages the overlay driver's store`);
  }
  // As containers-storage does: $STORAGE_OPTS replaces the configured options,
  // and each --storage-opt is added after them (a later key wins).
  const base = env.STORAGE_OPTS ? env.STORAGE_OPTS.split(",") : conf.overlayOptions;
  const overlay = applyStorageOpts({ mountOptions: [], skipMountHome: false, imageStores: [] }, [...base, ...flags.storageOpts]);
  const opts: StoreOptions = {
    graphRoot: flags.graph ?? conf.graphRoot ?? DEFAULT_GRAPH_ROOT,
    runRoot: flags.run ?? conf.runRoot ?? DEFAULT_RUN_ROOT,
    driver: "overlay",
    overlay,
  };
  if (conf.file) opts.confFile = conf.file;
  const imageStore = flags.imageStore ?? conf.imageStore;
  if (imageStore) opts.imageStore = imageStore;
  // A relative root is taken from the current directory, as containers-storage
  // does (filepath.Abs): scripts pass `--graph ./root` (upstream's abs.bats).
  for (const [k, v] of [["graph root", opts.graphRoot], ["run root", opts.runRoot]] as const) {
    if (v === "") throw new OvError("usage", `The ${k} must not be empty`);
  }
  // process.cwd() is a getcwd(2): only asked for when a root is relative.
  if (!opts.graphRoot.startsWith("/")) opts.graphRoot = resolve(cwd ?? process.cwd(), opts.graphRoot);
  if (!opts.runRoot.startsWith("/")) opts.runRoot = resolve(cwd ?? process.cwd(), opts.runRoot);
  if (opts.imageStore !== undefined) {
    opts.imageStore = resolve(cwd ?? process.cwd(), opts.imageStore);
    if (opts.imageStore === resolve(opts.graphRoot)) {
      throw new OvError("usage", `The image store ${opts.imageStore} must either be not set or be different from the graph root`);
    }
  }
  return opts;
}
