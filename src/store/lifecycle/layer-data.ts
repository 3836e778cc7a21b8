/**
 * Layer big data items, as containers-storage stores them: one file per item
 * in R/overlay-layers/<ID>/, named by the item's key when the key is made of
 * lowercase letters, digits and dots only, else "=" + the key in base64
 * (upstream's makeBigDataBaseName); the keys, in the order they were first
 * set, in the record's `big-data-names` field of layers.json.
 *
 * Items are written whole to a temp file in the same directory, fsynced and
 * renamed over the old one, so a reader sees the old or the new data. Data is
 * copied in 1 MiB chunks: memory does not grow with the item.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { OvError, errCode, sysError } from "../../errors.ts";
import { findLayer, type LayerRecord } from "../records/layers-json.ts";
import { readLayers, updateLayers } from "../records/layer-store.ts";
import type { StorePaths } from "../paths.ts";
import { quoteArg } from "../../quote.ts";
import { mkdirAll } from "../files/mkdir-all.ts";

const CHUNK = 1 << 20;

/** The file name of item `key` (pure; upstream's makeBigDataBaseName). */
export function bigDataFileName(key: string): string {
  return /^[.0-9a-z]*$/.test(key) ? key : "=" + Buffer.from(key, "utf8").toString("base64");
}

/** The item keys of a record, in order. */
export function bigDataNames(rec: LayerRecord): string[] {
  const v = rec["big-data-names"];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function requireKey(key: string, verb: string): void {
  if (key === "") throw new OvError("usage", `Cannot ${verb} a layer data item with an empty name`);
}

function requireLayer(records: readonly LayerRecord[], ref: string): LayerRecord {
  const rec = findLayer(records, ref);
  if (!rec) throw new OvError("not-found", `Layer ${quoteArg(ref)}: layer not known`);
  return rec;
}

/**
 * Copies everything from `src` to `dst` in 1 MiB chunks; returns the byte count.
 * @param writeError turns a failed write into the error to throw (default: the errno error itself)
 */
export function copyFd(src: number, dst: number, writeError: (e: unknown) => unknown = (e) => e): number {
  const buf = Buffer.allocUnsafe(CHUNK);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(src, buf, 0, CHUNK, null);
    } catch (e) {
      if (errCode(e) === "EINTR") continue;
      if (errCode(e) === "EAGAIN") {
        Bun.sleepSync(1);
        continue;
      }
      throw e;
    }
    if (n === 0) return total;
    let off = 0;
    while (off < n) {
      try {
        off += writeSync(dst, buf, off, n - off);
      } catch (e) {
        if (errCode(e) === "EAGAIN" || errCode(e) === "EINTR") {
          Bun.sleepSync(1); // a non-blocking pipe that is full
          continue;
        }
        throw writeError(e);
      }
    }
    total += n;
  }
}

/** `list-layer-data`: the keys of layer `ref`'s items. */
export function listLayerData(paths: StorePaths, ref: string): string[] {
  return bigDataNames(requireLayer(readLayers(paths), ref));
}

/**
 * The path of item `key` of layer `ref`, checked to exist.
 * @throws {OvError} not-found naming the layer and the item.
 */
export function layerDataPath(paths: StorePaths, ref: string, key: string): string {
  requireKey(key, "read");
  const rec = requireLayer(readLayers(paths), ref);
  const file = join(paths.layerDataDir(rec.id), bigDataFileName(key));
  try {
    closeSync(openSync(file, "r"));
  } catch (e) {
    if (errCode(e) === "ENOENT") throw new OvError("not-found", `Layer ${rec.id} has no data item ${quoteArg(key)}: ${file} does not exist`);
    throw sysError(`Cannot open data item ${quoteArg(key)} of layer ${rec.id}`, e);
  }
  return file;
}

/**
 * `set-layer-data`: stores everything read from `srcFd` as item `key` of
 * layer `ref`, under the layers.json write lock; returns the byte count.
 */
export function setLayerData(paths: StorePaths, ref: string, key: string, srcFd: number): Promise<number> {
  requireKey(key, "set");
  return updateLayers(paths, (txn) => {
    const rec = requireLayer(txn.records, ref);
    const dir = paths.layerDataDir(rec.id);
    const file = join(dir, bigDataFileName(key));
    const tmp = join(dir, `.${bigDataFileName(key)}.${process.pid}.tmp`);
    let size: number;
    try {
      mkdirAll(dir, 0o700);
      const fd = openSync(tmp, "w", 0o600);
      try {
        size = copyFd(srcFd, fd);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {}
      throw sysError(`Cannot write data item ${quoteArg(key)} of layer ${rec.id} to ${file}`, e);
    }
    const names = bigDataNames(rec);
    if (!names.includes(key)) {
      rec["big-data-names"] = [...names, key];
      txn.save();
    }
    return size;
  });
}
