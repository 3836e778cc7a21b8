/**
 * Applying a tarball to a layer of the store: the layer's diff directory,
 * its tar-split file `R/overlay-layers/<ID>.tar-split.gz`, and the
 * layers.json fields containers-storage records after ApplyDiff.
 */
import { StoreRoot } from "../store/files/safe-open.ts";
import { closeSync, fstatSync, openSync, readdirSync, unlinkSync } from "node:fs";
import { errCode, OvError, sysError } from "../errors.ts";
import type { StoreOptions } from "../config/options.ts";
import type { LayerRecord } from "../store/records/layers-json.ts";
import type { StorePaths } from "../store/paths.ts";
import { COMPRESSION_CODE } from "./compress/detect.ts";
import { mapperFor } from "./apply/idmap.ts";
import { importTarball, type ImportSummary } from "./apply/import.ts";
import { opaqueXattrFor } from "./apply/whiteout.ts";

/** Sets the fields containers-storage's ApplyDiff records (pure). */
export function recordImport(rec: LayerRecord, s: ImportSummary): void {
  rec["compressed-diff-digest"] = s.compressedDigest;
  rec["compressed-size"] = s.compressedSize;
  rec["diff-digest"] = s.diffDigest;
  rec["diff-size"] = s.diffSize;
  rec.compression = COMPRESSION_CODE[s.compression];
  rec.uidset = s.uids;
  rec.gidset = s.gids;
}

export interface TarballInput {
  fd: number;
  /** "file X" or "standard input". */
  source: string;
  /** The file's size when it is a regular file (for progress), else undefined. */
  size?: number;
  /** Called with the number of bytes of each read (the caller's progress). */
  onRead?: (bytes: number) => void;
  close(): void;
}

/**
 * Opens the tarball to read: a file, or standard input.
 * @throws {OvError} not-found / permission / sys naming the file.
 */
export function openTarball(file: string | undefined): TarballInput {
  if (file === undefined || file === "-") return { fd: 0, source: "standard input", close() {} };
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw sysError(`Cannot open the layer tarball ${file}`, e);
  }
  let size: number | undefined;
  try {
    const st = fstatSync(fd);
    if (st.isFile()) size = st.size;
  } catch {}
  return {
    fd,
    source: `file ${file}`,
    ...(size !== undefined ? { size } : {}),
    close() {
      closeSync(fd);
    },
  };
}

/** The path that reaches an open directory fd's very directory. */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** True when layer `id`'s diff directory (`dir`: its path or fdPath) has no entries. */
export function isDiffEmpty(dir: string, id: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (e) {
    throw sysError(`Cannot read the diff directory of layer ${id}`, e);
  }
}

/** Removes a layer's tar-split file; a missing one is fine. */
export function removeTarSplit(paths: StorePaths, id: string): void {
  try {
    unlinkSync(paths.tarSplit(id));
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw sysError(`Cannot remove the tar-split file of layer ${id}`, e);
  }
}

/**
 * Applies a tarball to layer `rec` and records the result in `rec` (the
 * caller saves layers.json). A tar-split file is written only when the
 * layer was empty, because it can only describe the layer's whole content;
 * otherwise a stale one is removed, so `diff` walks the directory.
 * @throws {OvError} from importTarball; the record is then unchanged.
 */
export async function applyToLayer(paths: StorePaths, options: StoreOptions, rec: LayerRecord, input: TarballInput): Promise<ImportSummary> {
  const id = rec.id;
  const action = `apply to layer ${id}`;
  // The diff dir must be the layer's own, reached from the graph root without following a symlink; everything
  // below goes through that very dir's fd (/proc/self/fd/N), so a dir swapped for a symlink after the check
  // cannot redirect the writes.
  const root = StoreRoot.open(paths.graphRoot, action);
  let summary: ImportSummary;
  let diff = "";
  try {
    diff = fdPath(root.dir(paths.diff(id), action));
    const empty = isDiffEmpty(diff, id);
    if (!empty) removeTarSplit(paths, id);
    summary = await importTarball({
      fd: input.fd,
      source: input.source,
      ...(input.onRead ? { onRead: input.onRead } : {}),
      root: diff,
      layerId: id,
      opaqueXattr: opaqueXattrFor(options.overlay.mountOptions),
      ids: mapperFor(rec),
      ...(empty ? { tarSplitPath: paths.tarSplit(id) } : {}),
    });
  } catch (e) {
    // Messages name the diff dir as the user knows it, not the /proc/self/fd path it was written through.
    if (e instanceof OvError && diff !== "") e.message = e.message.replace(new RegExp(`${diff}(?![0-9])`, "g"), paths.diff(id));
    throw e;
  } finally {
    root.close();
  }
  recordImport(rec, summary);
  return summary;
}
