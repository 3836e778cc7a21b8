/**
 * The effective store options: storage.conf, then $STORAGE_DRIVER /
 * $STORAGE_OPTS, then command-line flags (last wins). Pure.
 */
import { resolve } from "node:path";
import { OvError } from "../errors.ts";
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
}

export interface StoreOptions {
  graphRoot: string;
  runRoot: string;
  driver: string;
  overlay: OverlayOptions;
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
  "imagestore",
  "additionalimagestore",
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
  const o: OverlayOptions = { ...base, mountOptions: [...base.mountOptions] };
  for (const opt of opts) {
    const eq = opt.indexOf("=");
    if (eq <= 0) throw new OvError("usage", `Storage option ${quoteArg(opt)} is not KEY=VALUE`);
    const rawKey = opt.slice(0, eq).trim();
    const value = opt.slice(eq + 1).trim();
    const key = rawKey.toLowerCase().replace(/^overlay2?\./, "");
    switch (key) {
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

export interface FlagValues {
  graph?: string;
  run?: string;
  storageDriver?: string;
  storageOpts: string[];
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
  const overlay = applyStorageOpts({ mountOptions: [], skipMountHome: false }, [...base, ...flags.storageOpts]);
  const opts: StoreOptions = {
    graphRoot: flags.graph ?? conf.graphRoot ?? DEFAULT_GRAPH_ROOT,
    runRoot: flags.run ?? conf.runRoot ?? DEFAULT_RUN_ROOT,
    driver: "overlay",
    overlay,
  };
  if (conf.file) opts.confFile = conf.file;
  // A relative root is taken from the current directory, as containers-storage
  // does (filepath.Abs): scripts pass `--graph ./root` (upstream's abs.bats).
  for (const [k, v] of [["graph root", opts.graphRoot], ["run root", opts.runRoot]] as const) {
    if (v === "") throw new OvError("usage", `The ${k} must not be empty`);
  }
  // process.cwd() is a getcwd(2): only asked for when a root is relative.
  if (!opts.graphRoot.startsWith("/")) opts.graphRoot = resolve(cwd ?? process.cwd(), opts.graphRoot);
  if (!opts.runRoot.startsWith("/")) opts.runRoot = resolve(cwd ?? process.cwd(), opts.runRoot);
  return opts;
}
