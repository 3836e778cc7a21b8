/**
 * One helper for every store file that is a JSON array of records guarded by
 * a lock file next to it: R/overlay-layers/layers.json (layers.lock),
 * RR/overlay-layers/mountpoints.json (mountpoints.lock),
 * R/overlay-images/images.json (images.lock) and
 * R/overlay-containers/containers.json (containers.lock).
 *
 * - `readRecords()` takes the read lock, or no lock at all when the lock file
 *   does not exist yet (reads never create files).
 * - `withRecordsRead()` keeps the read lock until the caller's promise settles.
 * - `saveRecords()` writes them under a write lock the caller holds.
 * - `updateRecords()` takes the write lock, loads the records, lets the caller
 *   change them and save as often as it needs; each save records a fresh
 *   last-writer token first (as upstream does, so a crash after the write
 *   still tells peers to reload) and replaces the file atomically.
 *
 * What a file holds and how it is spelled is its codec's business (pure parse
 * and format, one module per file); this module only reads, locks and writes.
 */
import { readFileSync } from "node:fs";
import { errCode, sysError } from "../../errors.ts";
import { atomicWriteFile } from "../files/atomic.ts";
import { LockFile, withReadLockIfPresent } from "../files/lockfile.ts";

/** Pure parse and format of one store file. */
export interface RecordCodec<R> {
  /** @throws {OvError} corrupt naming `file` and the entry. */
  parse(text: string, file: string): R[];
  format(records: readonly R[]): string;
}

export interface JsonFileSpec<R> {
  /** The JSON file. */
  file: string;
  /** Its lock file. */
  lock: string;
  codec: RecordCodec<R>;
  /** Mode of the JSON file (0600 as upstream writes it). */
  mode?: number;
  /** The file of a read-only store: its lock is opened read-only, never created (lockfile.ts). */
  readOnly?: boolean;
}

/** Loads the records without locking: the caller holds the lock, or knows there is none. */
export function loadRecords<R>(spec: JsonFileSpec<R>): R[] {
  let text: string;
  try {
    text = readFileSync(spec.file, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw sysError(`Cannot read ${spec.file}`, e, { path: spec.file });
  }
  return spec.codec.parse(text, spec.file);
}

/** The records, read under the read lock (no lock when the lock file does not exist yet). */
export function readRecords<R>(spec: JsonFileSpec<R>): R[] {
  return withReadLockIfPresent(spec.lock, () => loadRecords(spec), { readOnly: spec.readOnly === true });
}

/**
 * Runs `fn` with the records loaded under the read lock, held until `fn`'s
 * promise settles. Without `createLock`, a missing lock file means no lock.
 */
export async function withRecordsRead<R, T>(
  spec: JsonFileSpec<R>,
  fn: (records: R[]) => T | Promise<T>,
  opts: { createLock?: boolean } = {},
): Promise<T> {
  const lock = new LockFile(spec.lock, { readOnly: spec.readOnly === true });
  if (opts.createLock) lock.lock("read");
  else if (!lock.lockReadIfPresent()) return await fn(loadRecords(spec));
  try {
    return await fn(loadRecords(spec));
  } finally {
    lock.unlock();
  }
}

export interface RecordTxn<R> {
  records: R[];
  /** Writes `records` atomically, with a fresh last-writer token. */
  save(): void;
  lock: LockFile;
}

/**
 * Writes `records` atomically, with a fresh last-writer token first: the
 * caller holds `lock` for writing (updateRecords, or repair's own locking).
 */
export function saveRecords<R>(spec: JsonFileSpec<R>, lock: LockFile, records: readonly R[]): void {
  lock.recordWrite();
  try {
    atomicWriteFile(spec.file, spec.codec.format(records), { mode: spec.mode ?? 0o600 });
  } catch (e) {
    throw sysError(`Cannot write ${spec.file}`, e, { path: spec.file });
  }
}

/** Runs `fn` with the records loaded under the write lock (held until `fn`'s promise settles). */
export async function updateRecords<R, T>(spec: JsonFileSpec<R>, fn: (txn: RecordTxn<R>) => T | Promise<T>): Promise<T> {
  // The lock file sits next to the JSON file: opening it makes the directory when missing (lockfile.ts).
  const lock = new LockFile(spec.lock);
  lock.lock("write");
  try {
    const txn: RecordTxn<R> = {
      records: loadRecords(spec),
      lock,
      save() {
        saveRecords(spec, lock, txn.records);
      },
    };
    return await fn(txn);
  } finally {
    lock.unlock();
  }
}
