/**
 * Big data items of images and containers: R/overlay-images/<ID>/<name> and
 * R/overlay-containers/<ID>/<name>, plus the record's `big-data-names`,
 * `big-data-sizes` and `big-data-digests`. A key made only of a-z, 0-9 and
 * '.' is its own file name; any other key is stored as "=" + base64(key),
 * as upstream's makeBigDataBaseName does (so "/" or ".." never reach a path).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OvError, errCode, sysError } from "../../errors.ts";
import { atomicWriteFile } from "../files/atomic.ts";
import { mkdirAll } from "../files/mkdir-all.ts";

export interface BigDataFields {
  id: string;
  "big-data-names"?: string[];
  "big-data-sizes"?: Record<string, number>;
  "big-data-digests"?: Record<string, string>;
}

/** The file name of big data item `key`. Pure. */
export function bigDataBaseName(key: string): string {
  return /^[a-z0-9.]*$/.test(key) ? key : "=" + Buffer.from(key, "utf8").toString("base64");
}

/** "sha256:<hex>" of `data` (digest.Canonical.FromBytes). */
export function sha256Digest(data: Uint8Array): string {
  return "sha256:" + new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** @throws {OvError} usage when the key is empty. */
export function requireKey(key: string, what: string): string {
  if (key === "") throw new OvError("usage", `The name of a ${what} data item cannot be empty`);
  return key;
}

/** Writes the item's file (atomically, mode 0600, its directory 0700). */
export function writeBigDataFile(dir: string, key: string, data: Uint8Array): void {
  try {
    mkdirAll(dir, 0o700);
    atomicWriteFile(join(dir, bigDataBaseName(key)), data, { mode: 0o600 });
  } catch (e) {
    throw sysError(`Cannot write data item ${JSON.stringify(key)} in ${dir}`, e);
  }
}

/**
 * Records an item's size and digest on its record; returns whether anything changed.
 */
export function noteBigData(rec: BigDataFields, key: string, size: number, digest: string): boolean {
  const sizes = (rec["big-data-sizes"] ??= {});
  const digests = (rec["big-data-digests"] ??= {});
  let changed = sizes[key] !== size || digests[key] !== digest;
  sizes[key] = size;
  digests[key] = digest;
  const names = (rec["big-data-names"] ??= []);
  if (!names.includes(key)) {
    names.push(key);
    changed = true;
  }
  return changed;
}

/**
 * The item's bytes.
 * @throws {OvError} not-found "... does not exist" when there is no such item.
 */
export function readBigDataFile(dir: string, rec: BigDataFields, key: string, what: string): Uint8Array {
  const file = join(dir, bigDataBaseName(key));
  try {
    return readFileSync(file);
  } catch (e) {
    if (errCode(e) === "ENOENT") throw new OvError("not-found", `Cannot read data item ${JSON.stringify(key)} of ${what} ${rec.id}: ${file} does not exist`);
    throw sysError(`Cannot read ${file}`, e);
  }
}

/** The recorded size of an item, else the size of its file. @throws {OvError} not-found. */
export function bigDataSize(dir: string, rec: BigDataFields, key: string, what: string): number {
  const size = rec["big-data-sizes"]?.[key];
  if (size !== undefined) return size;
  try {
    return readBigDataFile(dir, rec, key, what).length;
  } catch {
    throw new OvError("not-found", `Cannot get the size of data item ${JSON.stringify(key)} of ${what} ${rec.id}: size is not known`);
  }
}

/** The recorded digest of an item. @throws {OvError} not-found. */
export function bigDataDigest(rec: BigDataFields, key: string, what: string): string {
  const d = rec["big-data-digests"]?.[key];
  if (d === undefined) throw new OvError("not-found", `Cannot get the digest of data item ${JSON.stringify(key)} of ${what} ${rec.id}: digest is not known`);
  return d;
}
