/**
 * Everything import records about a tarball apart from the files
 * themselves: sha256 and size of the bytes read and of the uncompressed
 * stream, the uid/gid sets (as containers-storage's tarlog collects them:
 * every header but whiteouts, pax global headers as id 0) and the tar-split
 * file. It runs its own tar parser over the uncompressed stream, so it can
 * run on another thread than the extraction (digest-worker.ts).
 */
import type { PaxRecord } from "../tar/pax.ts";
import { normalizeEntryPath, splitPath } from "./path-safety.ts";
import type { TarEntry } from "../tar/entry.ts";
import { TarParser, type TarSink } from "../tar/reader.ts";
import { TarSplitWriter } from "../tarsplit/writer.ts";
import { WHITEOUT_PREFIX } from "./whiteout.ts";

export interface DigestOptions {
  layerId: string;
  /**
   * False when the caller parses the stream itself and feeds `sink` (inline
   * use: one parser for both the files and the digests).
   */
  parse?: boolean;
  /** True when the bytes read are compressed (then both streams are hashed). */
  compressed: boolean;
  /** Where to write the tar-split file, or undefined for none. */
  tarSplitPath?: string;
}

export interface DigestResult {
  /** sha256 of the bytes read, "sha256:<hex>". */
  compressedDigest: string;
  compressedSize: number;
  /** sha256 of the uncompressed tar stream. */
  diffDigest: string;
  diffSize: number;
  /** Sorted distinct ids. */
  uids: number[];
  gids: number[];
  entries: number;
  /** True when a tar-split file was written and kept. */
  tarSplit: boolean;
}

class IdLog {
  readonly uids = new Set<number>();
  readonly gids = new Set<number>();
  add(e: TarEntry): void {
    if (splitPath(normalizeEntryPath(e.name)).base.startsWith(WHITEOUT_PREFIX)) return;
    this.uids.add(e.uid);
    this.gids.add(e.gid);
  }
}

export class StreamDigests {
  private readonly hashC: Bun.CryptoHasher | null;
  private readonly hashU = new Bun.CryptoHasher("sha256");
  private sizeC = 0;
  private sizeU = 0;
  private entries = 0;
  private readonly ids = new IdLog();
  private readonly split: TarSplitWriter | null;
  private readonly parser: TarParser | null;
  /** What the entries go to: the id log and the tar-split writer. */
  readonly sink: TarSink;

  constructor(opts: DigestOptions) {
    this.hashC = opts.compressed ? new Bun.CryptoHasher("sha256") : null;
    this.split = opts.tarSplitPath ? new TarSplitWriter(opts.tarSplitPath, opts.layerId) : null;
    const ids = this.ids;
    const split = this.split;
    const count = (e: TarEntry): void => {
      this.entries++;
      ids.add(e);
    };
    const sink: TarSink = split
      ? {
          entry(e) {
            count(e);
            split.entry(e);
          },
          data(chunk) {
            split.data(chunk);
          },
          entryEnd() {
            split.entryEnd();
          },
          raw(chunk) {
            split.raw(chunk);
          },
          globalHeader: (r: readonly PaxRecord[]) => this.global(r),
        }
      : { entry: count, data() {}, entryEnd() {}, globalHeader: (r) => this.global(r) };
    this.sink = sink;
    this.parser = opts.parse === false ? null : new TarParser(sink);
  }

  private global(_records: readonly PaxRecord[]): void {
    // Go's tar reader returns a global header as an entry with ids 0, and tarlog counts it.
    this.ids.uids.add(0);
    this.ids.gids.add(0);
  }

  /** Bytes as read, when they are compressed. */
  compressed(chunk: Uint8Array): void {
    this.hashC?.update(chunk);
    this.sizeC += chunk.length;
  }

  /** Bytes of the uncompressed tar stream. */
  tar(chunk: Uint8Array): void {
    this.hashU.update(chunk);
    this.sizeU += chunk.length;
    this.parser?.push(chunk);
  }

  /** The directory will not match the archive: no tar-split file. */
  drop(reason: string): void {
    this.split?.drop(reason);
  }

  /** @throws {OvError} when the stream is truncated or the tar-split file cannot be written. */
  finish(): DigestResult {
    this.parser?.finish();
    const tarSplit = this.split ? this.split.finish() : false;
    const diffDigest = "sha256:" + this.hashU.digest("hex");
    return {
      compressedDigest: this.hashC ? "sha256:" + this.hashC.digest("hex") : diffDigest,
      compressedSize: this.hashC ? this.sizeC : this.sizeU,
      diffDigest,
      diffSize: this.sizeU,
      uids: [...this.ids.uids].sort((a, b) => a - b),
      gids: [...this.ids.gids].sort((a, b) => a - b),
      entries: this.entries,
      tarSplit,
    };
  }

  /** Removes the tar-split file of a failed import. */
  abort(): void {
    this.split?.abort();
  }
}
