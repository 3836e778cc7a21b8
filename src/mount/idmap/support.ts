/**
 * Whether ID maps are applied at mount time by idmapped lower layers
 * (upstream's SupportsShifting) or by copy-and-shift when layers are made.
 *
 * Owns RR/overlay/idmapped-lower-dir-true|false, the cache containers-storage
 * also reads and writes (same name, same meaning), and the probe's temporary
 * R/overlay/compat* directory, removed before this returns.
 *
 * In order: `_CONTAINERS_OVERLAY_DISABLE_IDMAP=yes` (upstream's switch) or
 * not root or a mount_program: no; else the cached answer; else the probe,
 * whose answer is cached: an overlay mounted on an idmapped lower dir, as
 * upstream probes (user namespaces, idmapped mounts of this filesystem and
 * overlay over idmapped layers, Linux 5.19+, all at once). Once per call.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoreOptions } from "../../config/options.ts";
import { errCode } from "../../errors.ts";
import { log } from "../../log.ts";
import type { StorePaths } from "../../store/paths.ts";
import { SysError } from "../../sys/libc.ts";
import { moveMountTo } from "../../sys/mount-api.ts";
import { closeFd, openTreeClone, setIdmap, userNamespaceFd } from "../../sys/userns.ts";
import { prepareHome } from "../propagation.ts";
import { MNT_DETACH, realSys, type MountSys } from "../syscalls.ts";
import { unmountBelow } from "../unmount-below.ts";
import { mkdirAll } from "../../store/files/mkdir-all.ts";
import { removeTree } from "../../store/files/remove-tree.ts";

export const DISABLE_ENV = "_CONTAINERS_OVERLAY_DISABLE_IDMAP";
const FEATURE = "idmapped-lower-dir";

export interface IdmapSupport {
  /** Maps are applied by idmapped mounts (no copies, layer records keep no maps). */
  supported: boolean;
  /** Where the answer came from, for `status` and --debug. */
  source: "env" | "not-root" | "mount-program" | "cache" | "probe" | "no-store";
  /** Why not, when not (the probe's error, the cache file's text). */
  reason?: string;
}

const memo = new Map<string, IdmapSupport>();

function cacheFile(paths: StorePaths, yes: boolean): string {
  return join(paths.runRoot, "overlay", `${FEATURE}-${yes}`);
}

function readCache(paths: StorePaths): IdmapSupport | null {
  for (const yes of [true, false]) {
    try {
      const text = readFileSync(cacheFile(paths, yes), "utf8").trim();
      return { supported: yes, source: "cache", ...(yes ? {} : { reason: text || `cached in ${cacheFile(paths, false)}` }) };
    } catch {}
  }
  return null;
}

function writeCache(paths: StorePaths, s: IdmapSupport): void {
  try {
    mkdirAll(join(paths.runRoot, "overlay"), 0o700);
    writeFileSync(cacheFile(paths, s.supported), s.supported ? "" : (s.reason ?? ""));
  } catch (e) {
    log.debug(`idmapped mounts: cannot record the probe's answer in ${cacheFile(paths, s.supported)}: ${errCode(e) ?? String(e)}`);
  }
}

/** What mounts decide without probing: the switch, root, mount_program. Null: ask the cache or the probe. */
export function staticAnswer(env: Record<string, string | undefined>, euid: number, mountProgram: string | undefined): IdmapSupport | null {
  if (env[DISABLE_ENV] === "yes") return { supported: false, source: "env", reason: `${DISABLE_ENV}=yes` };
  if (euid !== 0) return { supported: false, source: "not-root", reason: "not running as root" };
  if (mountProgram) return { supported: false, source: "mount-program", reason: `mount_program ${mountProgram}` };
  return null;
}

/**
 * Mounts overlay on an idmapped lower dir in a temporary dir of the overlay
 * home and undoes it; true when that works.
 */
export function probeIdmappedLowers(home: string, sys: MountSys = realSys): { ok: boolean; reason?: string; noCache?: boolean } {
  let dir: string;
  try {
    dir = mkdtempSync(join(home, "compat"));
  } catch (e) {
    // Not the kernel's answer (a read-only or full store): not cached.
    return { ok: false, reason: `cannot make a probe dir in ${home}: ${errCode(e) ?? String(e)}`, noCache: true };
  }
  let ns = -1;
  let tree = -1;
  try {
    for (const d of ["lower", "lower-mapped", "upper", "work", "merged"]) mkdirSync(join(dir, d), { mode: 0o700 });
    const one = [{ container_id: 0, host_id: 0, size: 1 }];
    ns = userNamespaceFd(one, one);
    tree = openTreeClone(join(dir, "lower"));
    setIdmap(tree, ns);
    moveMountTo(tree, join(dir, "lower-mapped"));
    sys.mount("overlay", join(dir, "merged"), "overlay", 0, `lowerdir=${dir}/lower-mapped,upperdir=${dir}/upper,workdir=${dir}/work`);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof SysError || e instanceof Error ? e.message : String(e) };
  } finally {
    if (tree >= 0) closeFd(tree);
    if (ns >= 0) closeFd(ns);
    try {
      sys.umount2(join(dir, "merged"), MNT_DETACH);
    } catch {}
    try {
      sys.umount2(join(dir, "lower-mapped"), MNT_DETACH);
    } catch {}
    unmountBelow(dir, sys);
    removeTree(dir);
  }
}

/**
 * The answer for this store, worked out once per call.
 * @param probe false: never probe (status on a store that does not exist yet).
 */
export function idmapSupport(paths: StorePaths, store: StoreOptions, probe = true): IdmapSupport {
  const key = `${paths.home}\0${paths.runRoot}`;
  const known = memo.get(key);
  if (known) return known;
  const s = staticAnswer(process.env, process.geteuid?.() ?? 0, store.overlay.mountProgram) ?? readCache(paths) ?? (probe ? runProbe(paths, store) : null);
  if (!s) return { supported: false, source: "no-store", reason: "not probed: the store does not exist yet" };
  memo.set(key, s);
  log.debug(`idmapped mounts: ${s.supported ? "supported" : "not used"} (${s.source}${s.reason ? `: ${s.reason}` : ""})`);
  return s;
}

function runProbe(paths: StorePaths, store: StoreOptions): IdmapSupport {
  const t0 = performance.now();
  let r: ReturnType<typeof probeIdmappedLowers>;
  try {
    mkdirAll(paths.home, 0o700);
    prepareHome(paths.home, store.overlay.skipMountHome, realSys);
    r = probeIdmappedLowers(paths.home);
  } catch (e) {
    r = { ok: false, reason: e instanceof Error ? e.message : String(e), noCache: true };
  }
  log.debug(`idmapped mounts: probed in ${(performance.now() - t0).toFixed(1)} ms: ${r.ok ? "overlay mounts on an idmapped lower dir" : r.reason}`);
  const s: IdmapSupport = { supported: r.ok, source: "probe", ...(r.reason ? { reason: r.reason } : {}) };
  if (!r.noCache) writeCache(paths, s);
  return s;
}
