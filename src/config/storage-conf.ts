/**
 * storage.conf, as the other tools find and read it: $CONTAINERS_STORAGE_CONF,
 * else /etc/containers/storage.conf, else /usr/share/containers/storage.conf.
 * Only the keys ovlayer uses are read; a file that does not parse is an error
 * naming the file, never a silent fallback to defaults.
 */
import { readFileSync } from "node:fs";
import { OvError, describeCause, errCode } from "../errors.ts";

export interface StorageConf {
  file?: string;
  driver?: string;
  graphRoot?: string;
  runRoot?: string;
  /** `[storage] imagestore`: the split image store. */
  imageStore?: string;
  /** `[storage.options.overlay]` keys as `overlay.KEY=VALUE` options. */
  overlayOptions: string[];
}

export const DEFAULT_CONF_FILES = ["/etc/containers/storage.conf", "/usr/share/containers/storage.conf"];

function str(v: unknown, file: string, key: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new OvError("usage", `${file}: ${key} must be a string, found ${typeof v}`);
  return v;
}

/**
 * Parses storage.conf text (TOML).
 * @throws {OvError} usage naming the file when it does not parse or a key has the wrong type.
 */
export function parseStorageConf(text: string, file: string): StorageConf {
  let doc: Record<string, unknown>;
  try {
    doc = Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new OvError("usage", `Cannot parse ${file}: ${(e as Error).message || "invalid TOML"}`, {
      hint: "fix the file or point $CONTAINERS_STORAGE_CONF at another one",
    });
  }
  const storage = (doc.storage ?? {}) as Record<string, unknown>;
  if (typeof storage !== "object") throw new OvError("usage", `${file}: [storage] must be a table`);
  const conf: StorageConf = { file, overlayOptions: [] };
  const driver = str(storage.driver, file, "storage.driver");
  const graphRoot = str(storage.graphroot, file, "storage.graphroot");
  const runRoot = str(storage.runroot, file, "storage.runroot");
  if (driver) conf.driver = driver;
  if (graphRoot) conf.graphRoot = graphRoot;
  if (runRoot) conf.runRoot = runRoot;
  const imageStore = str(storage.imagestore, file, "storage.imagestore");
  if (imageStore) conf.imageStore = imageStore;
  const options = (storage.options ?? {}) as Record<string, unknown>;
  // As upstream: each additional image store becomes a driver option `imagestore=DIR`.
  const additional = options.additionalimagestores;
  if (additional !== undefined) {
    if (!Array.isArray(additional) || additional.some((a) => typeof a !== "string")) {
      throw new OvError("usage", `${file}: storage.options.additionalimagestores must be a list of strings`);
    }
    for (const dir of additional as string[]) conf.overlayOptions.push(`overlay.imagestore=${dir}`);
  }
  const overlay = (options.overlay ?? {}) as Record<string, unknown>;
  // Older files put mountopt directly under [storage.options].
  const mountopt = str(overlay.mountopt, file, "storage.options.overlay.mountopt") ?? str(options.mountopt, file, "storage.options.mountopt");
  if (mountopt) conf.overlayOptions.push(`overlay.mountopt=${mountopt}`);
  const skip = overlay.skip_mount_home;
  if (skip !== undefined) {
    if (typeof skip !== "string" && typeof skip !== "boolean") {
      throw new OvError("usage", `${file}: storage.options.overlay.skip_mount_home must be "true" or "false"`);
    }
    conf.overlayOptions.push(`overlay.skip_mount_home=${String(skip)}`);
  }
  const mountProgram = str(overlay.mount_program, file, "storage.options.overlay.mount_program");
  if (mountProgram) conf.overlayOptions.push(`overlay.mount_program=${mountProgram}`);
  return conf;
}

/** Finds and reads storage.conf; returns an empty config when none exists. */
export function loadStorageConf(env: Record<string, string | undefined> = process.env): StorageConf {
  const candidates = env.CONTAINERS_STORAGE_CONF ? [env.CONTAINERS_STORAGE_CONF] : DEFAULT_CONF_FILES;
  for (const file of candidates) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if (errCode(e) === "ENOENT") {
        if (env.CONTAINERS_STORAGE_CONF) throw new OvError("usage", `$CONTAINERS_STORAGE_CONF names ${file}, which does not exist`);
        continue;
      }
      throw new OvError("usage", `Cannot read ${file}: ${describeCause(e)}`, { cause: e });
    }
    return parseStorageConf(text, file);
  }
  return { overlayOptions: [] };
}
