/**
 * Writes the tar-split file of a layer while its tarball is applied (a
 * TarSink fed by the same parser). Lines are gzip-compressed in ~1 MiB
 * batches, each batch a gzip member: a multi-member gzip file, which Go's
 * gzip readers (and so containers-storage) read as one stream.
 *
 * When the layer's diff directory will not be able to give back the
 * archive's content (duplicate names, sparse files, an entry replacing one
 * made earlier, content on a non-file entry), the writer drops the file: then
 * `diff` rebuilds the tarball from the directory instead, as
 * containers-storage does for layers without tar-split data.
 */
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { errCode, sysError } from "../../errors.ts";
import { log } from "../../log.ts";
import { Crc64 } from "./crc64.ts";
import { normalizeEntryPath } from "../apply/path-safety.ts";
import type { TarSink } from "../tar/reader.ts";
import type { TarEntry } from "../tar/entry.ts";
import { formatFileLine, formatSegmentLine } from "./format.ts";

const BATCH = 1 << 20;
const MAX_SEGMENT = 1 << 20;

export class TarSplitWriter implements TarSink {
  readonly path: string;
  private readonly layerId: string;
  private fd: number;
  /** JSON lines waiting to be compressed. */
  private out: Buffer<ArrayBuffer> = Buffer.allocUnsafe(BATCH + (64 << 10));
  private outLen = 0;
  private position = 0;
  private seg = new Uint8Array(64 * 1024);
  private segLen = 0;
  private readonly names = new Set<string>();
  private readonly crc = new Crc64();
  private curName = "";
  private curSize = 0;
  private dropped: string | null = null;

  /** @throws {OvError} when the file cannot be created. */
  constructor(path: string, layerId: string) {
    this.path = path;
    this.layerId = layerId;
    try {
      this.fd = openSync(path, "w", 0o600);
    } catch (e) {
      throw sysError(`Cannot create the tar-split file ${path} of layer ${layerId}`, e);
    }
  }

  /** Gives up on the file (it is removed at finish). */
  drop(reason: string): void {
    if (this.dropped) return;
    this.dropped = reason;
    this.out = Buffer.alloc(0);
    this.seg = new Uint8Array(0);
    log.debug(`layer ${this.layerId}: no tar-split file: ${reason}`);
  }

  raw(chunk: Uint8Array): void {
    if (this.dropped) return;
    if (this.segLen + chunk.length > MAX_SEGMENT) {
      // Only long runs of trailing padding get here: split them as upstream does.
      this.flushSegment();
      if (chunk.length > MAX_SEGMENT) {
        for (let i = 0; i < chunk.length; i += MAX_SEGMENT) this.emit(formatSegmentLine(chunk.subarray(i, i + MAX_SEGMENT), this.position++));
        return;
      }
    }
    if (this.segLen + chunk.length > this.seg.length) {
      const bigger = new Uint8Array(Math.max(this.seg.length * 2, this.segLen + chunk.length));
      bigger.set(this.seg.subarray(0, this.segLen));
      this.seg = bigger;
    }
    this.seg.set(chunk, this.segLen);
    this.segLen += chunk.length;
  }

  entry(e: TarEntry): void {
    if (this.dropped) return;
    if (e.sparse) return this.drop(`entry ${e.index} (${JSON.stringify(e.name)}) is a sparse file`);
    if (e.kind !== "file" && e.storedSize > 0) return this.drop(`entry ${e.index} (${JSON.stringify(e.name)}) is a ${e.kind} with content`);
    // A normalized name is already what Go's filepath.Clean makes of it (but "" is ".").
    const name = normalizeEntryPath(e.name);
    const clean = name === "" ? "." : name;
    if (this.names.has(clean)) return this.drop(`entry ${e.index} repeats the name ${JSON.stringify(name)}`);
    this.names.add(clean);
    this.flushSegment();
    this.curName = name === "" ? "." : name;
    this.curSize = e.kind === "file" ? e.storedSize : 0;
    this.crc.reset();
  }

  data(chunk: Uint8Array): void {
    if (!this.dropped) this.crc.update(chunk);
  }

  entryEnd(): void {
    if (this.dropped) return;
    this.emit(formatFileLine(this.curName, this.curSize, this.curSize > 0 ? this.crc.digest() : null, this.position++));
  }

  /**
   * Writes what is left and closes the file; removes it when it was dropped.
   * @returns true when a tar-split file was kept.
   */
  finish(): boolean {
    try {
      if (!this.dropped) {
        this.flushSegment();
        this.flushLines();
      }
    } finally {
      this.close();
    }
    if (this.dropped) {
      this.remove();
      return false;
    }
    return true;
  }

  /** Closes and removes the file (a failed apply). */
  abort(): void {
    this.close();
    this.remove();
  }

  private close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private remove(): void {
    try {
      unlinkSync(this.path);
    } catch (e) {
      if (errCode(e) !== "ENOENT") throw sysError(`Cannot remove the tar-split file ${this.path} of layer ${this.layerId}`, e);
    }
  }

  private flushSegment(): void {
    if (this.segLen === 0) return;
    this.emit(formatSegmentLine(this.seg.subarray(0, this.segLen), this.position++));
    this.segLen = 0;
  }

  private emit(line: string): void {
    // Lines are ASCII but for names: 3 bytes per UTF-16 unit is the most UTF-8 needs.
    const need = line.length * 3;
    if (this.outLen + need > this.out.length) {
      this.flushLines();
      if (need > this.out.length) this.out = Buffer.allocUnsafe(need);
    }
    this.outLen += this.out.write(line, this.outLen, "utf8");
    if (this.outLen >= BATCH) this.flushLines();
  }

  private flushLines(): void {
    if (this.outLen === 0) return;
    const gz = Bun.gzipSync(this.out.subarray(0, this.outLen), { level: 1 });
    this.outLen = 0;
    try {
      let off = 0;
      while (off < gz.length) off += writeSync(this.fd, gz, off, gz.length - off);
    } catch (e) {
      throw sysError(`Cannot write the tar-split file ${this.path} of layer ${this.layerId}`, e, { path: this.path });
    }
  }
}
