/**
 * A streaming tar parser: bytes go in chunk by chunk (`push`), entries and
 * their data come out through a synchronous sink. Nothing is buffered beyond
 * one header block and the extension headers of the current entry, so a
 * layer of any size passes through in constant memory, and there is no
 * await per entry.
 *
 * Reads ustar, pax (local and global headers, SCHILY and LIBARCHIVE xattrs,
 * sub-second times, big ids and sizes), GNU (long names and link targets,
 * base-256 numbers) and all four GNU sparse formats. Like Go's archive/tar
 * (which containers-storage uses), links, symlinks, devices, fifos and
 * directories never carry data, whatever their size field says.
 *
 * Every byte that is not file content (headers, extension data, padding,
 * end-of-archive blocks, trailing bytes) is also handed to `sink.raw`, so the
 * content and raw bytes together are exactly the input, in order (the
 * tar-split file relies on it).
 */
import { OvError } from "../../errors.ts";
import { quoteArg } from "../../quote.ts";
import { parsePaxInt, parsePaxRecords, parsePaxTime, paxText, type PaxRecord } from "./pax.ts";
import { parseSparse10Map, parseSparseExtension, paxSparse, validateSpans } from "./sparse.ts";
import { kindOf, type TarEntry, type Xattr } from "./entry.ts";
import { MAX_EXTENSION_SIZE, MAX_PAX_RECORDS, MAX_SPARSE_SPANS, MAX_XATTR_NAME, MAX_XATTR_VALUE, MAX_XATTRS, overLimit } from "./limits.ts";
import { BLOCK_SIZE, decodeName, isZeroBlock, parseHeader, TypeFlag, type RawHeader, type SparseSpan } from "./header.ts";

export interface TarSink {
  /** A new entry; its data (if any) follows through `data`, then `entryEnd`. */
  entry(e: TarEntry): void;
  /** Content bytes at `offset` in the file (offsets jump over holes in sparse files). */
  data(chunk: Uint8Array, offset: number): void;
  entryEnd(e: TarEntry): void;
  /** Every byte that is not file content. The chunk is only valid during the call. */
  raw?(chunk: Uint8Array): void;
  /** A pax global header ('g'); its records become defaults for later entries. */
  globalHeader?(records: readonly PaxRecord[]): void;
}

export interface TarParserOptions {
  /** Largest pax or GNU long-name header accepted, in bytes (default MAX_EXTENSION_SIZE, limits.ts). */
  maxExtensionSize?: number;
}

const enum State {
  Header,
  Extension,
  SparseExtension,
  Sparse10Map,
  Data,
  Padding,
  Trailer,
}

/** Keys of a global pax header that make no sense as defaults and are ignored. */
const PER_ENTRY_KEYS = new Set(["path", "linkpath", "size", "GNU.sparse.name", "GNU.sparse.map", "GNU.sparse.size", "GNU.sparse.realsize"]);

const HEADER_ONLY = new Set(["hardlink", "symlink", "char", "block", "fifo"]);

export class TarParser {
  private readonly sink: TarSink;
  private readonly maxExt: number;
  private state = State.Header;
  /** Bytes consumed so far: the offset of the next byte in the stream. */
  private pos = 0;
  private readonly block = new Uint8Array(BLOCK_SIZE);
  private blockFill = 0;
  private zeroBlocks = 0;
  private entries = 0;

  // Extension headers of the entry being assembled.
  private setStart = -1;
  private localPax: PaxRecord[] | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Global defaults by key: each record replaces the previous one of its key in one step. */
  private globals = new Map<string, PaxRecord>();
  private extType = 0;
  private extBuf: Uint8Array = new Uint8Array(0);
  private extFill = 0;

  // The current entry's data.
  private cur: TarEntry | null = null;
  /** The last entry whose data ended, for messages about its padding. */
  private last: TarEntry | null = null;
  private dataLeft = 0;
  private padLeft = 0;
  private logical = 0;
  private spans: SparseSpan[] | null = null;
  private spanIdx = 0;
  private spanPos = 0;
  private mapBuf: Uint8Array | null = null;
  private mapFill = 0;
  private sparseRealSize = 0;

  constructor(sink: TarSink, opts: TarParserOptions = {}) {
    this.sink = sink;
    this.maxExt = opts.maxExtensionSize ?? MAX_EXTENSION_SIZE;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  /** Number of entries delivered so far. */
  get entryCount(): number {
    return this.entries;
  }

  /**
   * Feeds the next bytes of the stream. The chunk may be reused by the caller
   * after the call returns.
   * @throws {OvError} corrupt on a bad header; whatever the sink throws.
   */
  push(chunk: Uint8Array): void {
    let p = 0;
    const n = chunk.length;
    while (p < n) {
      switch (this.state) {
        case State.Header:
        case State.SparseExtension: {
          let blk: Uint8Array;
          let at: number;
          if (this.blockFill === 0 && n - p >= BLOCK_SIZE) {
            blk = chunk;
            at = p;
            p += BLOCK_SIZE;
          } else {
            const take = Math.min(BLOCK_SIZE - this.blockFill, n - p);
            this.block.set(chunk.subarray(p, p + take), this.blockFill);
            this.blockFill += take;
            p += take;
            if (this.blockFill < BLOCK_SIZE) break;
            blk = this.block;
            at = 0;
            this.blockFill = 0;
          }
          const blockOffset = this.pos;
          this.pos += BLOCK_SIZE;
          this.sink.raw?.(blk.subarray(at, at + BLOCK_SIZE));
          if (this.state === State.Header) this.onHeaderBlock(blk, at, blockOffset);
          else this.onSparseExtension(blk.subarray(at, at + BLOCK_SIZE), blockOffset);
          break;
        }
        case State.Extension: {
          const take = Math.min(this.extBuf.length - this.extFill, n - p);
          this.extBuf.set(chunk.subarray(p, p + take), this.extFill);
          this.sink.raw?.(chunk.subarray(p, p + take));
          this.extFill += take;
          this.pos += take;
          p += take;
          if (this.extFill === this.extBuf.length) this.finishExtension();
          break;
        }
        case State.Sparse10Map: {
          const buf = this.mapBuf!;
          const take = Math.min(BLOCK_SIZE - (this.mapFill % BLOCK_SIZE), n - p, this.dataLeft);
          this.sink.raw?.(chunk.subarray(p, p + take));
          if (this.mapFill + take > this.maxExt) {
            throw new OvError("corrupt", `Sparse map of entry ${this.cur!.index} at byte offset ${this.cur!.offset}: longer than the limit of ${this.maxExt} bytes`);
          }
          if (this.mapFill + take > buf.length) {
            const bigger = new Uint8Array(buf.length * 2);
            bigger.set(buf.subarray(0, this.mapFill));
            this.mapBuf = bigger;
          }
          this.mapBuf!.set(chunk.subarray(p, p + take), this.mapFill);
          this.mapFill += take;
          this.dataLeft -= take;
          this.pos += take;
          p += take;
          if (this.mapFill % BLOCK_SIZE === 0 || this.dataLeft === 0) this.tryFinishSparseMap();
          break;
        }
        case State.Data: {
          const take = Math.min(this.dataLeft, n - p);
          this.deliver(chunk.subarray(p, p + take));
          this.dataLeft -= take;
          this.pos += take;
          p += take;
          if (this.dataLeft === 0) this.endData();
          break;
        }
        case State.Padding: {
          const take = Math.min(this.padLeft, n - p);
          this.sink.raw?.(chunk.subarray(p, p + take));
          this.padLeft -= take;
          this.pos += take;
          p += take;
          if (this.padLeft === 0) this.state = State.Header;
          break;
        }
        case State.Trailer: {
          // Anything after the end-of-archive blocks is padding: counted, not parsed.
          this.sink.raw?.(chunk.subarray(p));
          this.pos += n - p;
          p = n;
          break;
        }
      }
    }
  }

  /**
   * Declares the end of the stream.
   * @throws {OvError} corrupt when the stream stops inside an entry.
   */
  finish(): void {
    if (this.state === State.Trailer) return;
    const e = this.state === State.Padding ? this.last : this.cur;
    const entryName = e ? `entry ${e.index} (${JSON.stringify(e.name)})` : `entry ${this.entries + 1}`;
    switch (this.state) {
      case State.Header:
        if (this.blockFill === 0 && this.setStart < 0) return; // no end-of-archive blocks: accepted, as Go and GNU tar do
        if (this.blockFill !== 0) {
          throw truncated(`it ends inside a header block at byte offset ${this.pos} (${this.blockFill} of ${BLOCK_SIZE} bytes present)`);
        }
        throw truncated(`it ends after the extension headers of ${entryName}, before its main header`);
      case State.Extension:
        throw truncated(`it ends inside an extension header at byte offset ${this.pos}: ${this.extBuf.length - this.extFill} of ${this.extBuf.length} bytes missing`);
      case State.SparseExtension:
      case State.Sparse10Map:
        throw truncated(`it ends inside the sparse map of ${entryName}`);
      case State.Data:
        throw truncated(`it ends inside the data of ${entryName}: ${this.dataLeft} of ${this.cur?.storedSize ?? this.dataLeft} bytes missing`);
      case State.Padding:
        if (!e) throw truncated(`it ends inside the padding of an extension header of ${entryName}: ${this.padLeft} bytes missing`);
        throw truncated(`it ends inside the padding after ${entryName}: ${this.padLeft} bytes missing`);
    }
  }

  private onHeaderBlock(blk: Uint8Array, at: number, blockOffset: number): void {
    if (isZeroBlock(blk, at)) {
      if (this.setStart >= 0) {
        throw new OvError("corrupt", `Tar archive: extension headers at byte offset ${this.setStart} are followed by an end-of-archive block instead of an entry`);
      }
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) this.state = State.Trailer;
      return;
    }
    if (this.zeroBlocks > 0) {
      throw new OvError("corrupt", `Tar archive: a single zero block at byte offset ${blockOffset - BLOCK_SIZE} is followed by a header; the archive is corrupt`);
    }
    if (this.setStart < 0) this.setStart = blockOffset;
    const ctx = { entry: this.entries + 1, offset: blockOffset };
    const raw = parseHeader(blk, at, ctx);
    switch (raw.typeflag) {
      case TypeFlag.PAX:
      case TypeFlag.SOLARIS_PAX:
      case TypeFlag.PAX_GLOBAL:
      case TypeFlag.GNU_LONGNAME:
      case TypeFlag.GNU_LONGLINK:
        if (raw.size > this.maxExt) {
          const what = raw.typeflag === TypeFlag.GNU_LONGNAME ? "GNU long name" : raw.typeflag === TypeFlag.GNU_LONGLINK ? "GNU long link target" : "pax header";
          throw overLimit(`entry ${ctx.entry} at byte offset ${blockOffset}`, what, raw.size, this.maxExt, "bytes");
        }
        this.extType = raw.typeflag;
        this.last = null;
        this.extBuf = new Uint8Array(raw.size);
        this.extFill = 0;
        this.padLeft = padding(raw.size);
        this.state = State.Extension;
        if (raw.size === 0) this.finishExtension();
        return;
      case TypeFlag.GNU_MULTIVOL:
        throw new OvError("unsupported", `Tar entry ${ctx.entry} (${JSON.stringify(raw.name)}) continues a multi-volume archive, which a layer cannot be`);
      case TypeFlag.GNU_VOLHDR:
        // A volume label: not an entry. Its data (normally none) is skipped as raw bytes.
        this.setStart = -1;
        this.localPax = null;
        this.longName = this.longLink = null;
        this.padLeft = raw.size + padding(raw.size);
        if (this.padLeft > 0) this.state = State.Padding;
        return;
    }
    this.startEntry(raw);
  }

  private finishExtension(): void {
    const where = `entry ${this.entries + 1} at byte offset ${this.setStart}`;
    const data = this.extBuf;
    switch (this.extType) {
      case TypeFlag.PAX:
      case TypeFlag.SOLARIS_PAX:
        // Several local headers in a row: later records override earlier ones; together they share one record limit.
        this.localPax ??= [];
        for (const r of parsePaxRecords(data, where, MAX_PAX_RECORDS - this.localPax.length)) this.localPax.push(r);
        break;
      case TypeFlag.PAX_GLOBAL: {
        const recs = parsePaxRecords(data, where);
        for (const r of recs) {
          if (PER_ENTRY_KEYS.has(r.key)) continue;
          this.globals.delete(r.key); // a redefined key moves to the end, as a later record
          if (r.value.length) this.globals.set(r.key, r); // an empty value deletes the default
        }
        if (this.globals.size > MAX_PAX_RECORDS) throw overLimit(where, "set of global pax defaults", this.globals.size, MAX_PAX_RECORDS, "keys");
        this.sink.globalHeader?.(recs);
        // A global header is complete on its own.
        this.setStart = -1;
        break;
      }
      case TypeFlag.GNU_LONGNAME:
        this.longName = decodeName(trimNul(data), `Entry ${this.entries + 1}: GNU long name`);
        break;
      case TypeFlag.GNU_LONGLINK:
        this.longLink = decodeName(trimNul(data), `Entry ${this.entries + 1}: GNU long link target`);
        break;
    }
    this.extBuf = new Uint8Array(0);
    this.state = this.padLeft > 0 ? State.Padding : State.Header;
  }

  private startEntry(raw: RawHeader): void {
    const index = ++this.entries;
    const offset = this.setStart;
    this.setStart = -1;
    const where = `entry ${index} at byte offset ${offset}`;
    const pax = this.globals.size ? [...this.globals.values()].concat(this.localPax ?? []) : this.localPax;
    this.localPax = null;
    const longName = this.longName;
    const longLink = this.longLink;
    this.longName = this.longLink = null;

    let name = longName ?? raw.name;
    let linkname = longLink ?? raw.linkname;
    let uid = raw.uid;
    let gid = raw.gid;
    let uname = raw.uname;
    let gname = raw.gname;
    let size = raw.size;
    let devmajor = raw.devmajor;
    let devminor = raw.devminor;
    let mtimeNs = BigInt(raw.mtime) * 1_000_000_000n;
    let atimeNs: bigint | undefined = raw.atime !== undefined ? BigInt(raw.atime) * 1_000_000_000n : undefined;
    // By name: a repeated name replaces the earlier value in one step (Map keeps first-insertion order, so re-insert).
    const xattrMap = new Map<string, Uint8Array>();
    let sparse: ReturnType<typeof paxSparse> = null;
    if (pax) {
      const libarchive = new Map<string, Uint8Array>();
      for (const r of pax) {
        const k = r.key;
        if (k.startsWith("SCHILY.xattr.")) {
          const xname = k.slice(13);
          xattrMap.delete(xname);
          xattrMap.set(xname, r.value);
          continue;
        }
        if (k.startsWith("LIBARCHIVE.xattr.")) {
          // bsdtar: the name is URL-encoded, the value base64.
          libarchive.set(decodeLibarchiveName(k.slice(17), where), Buffer.from(paxText(r.value), "base64"));
          continue;
        }
        switch (k) {
          case "path":
            name = decodeName(r.value, `Entry ${index}: pax path`);
            break;
          case "linkpath":
            linkname = decodeName(r.value, `Entry ${index}: pax linkpath`);
            break;
          case "size":
            size = parsePaxInt(paxText(r.value), k, where);
            break;
          case "uid":
            uid = parsePaxInt(paxText(r.value), k, where);
            break;
          case "gid":
            gid = parsePaxInt(paxText(r.value), k, where);
            break;
          case "uname":
            uname = paxText(r.value);
            break;
          case "gname":
            gname = paxText(r.value);
            break;
          case "mtime":
            mtimeNs = parsePaxTime(paxText(r.value), where);
            break;
          case "atime":
            atimeNs = parsePaxTime(paxText(r.value), where);
            break;
          case "SCHILY.devmajor":
            devmajor = parsePaxInt(paxText(r.value), k, where);
            break;
          case "SCHILY.devminor":
            devminor = parsePaxInt(paxText(r.value), k, where);
            break;
        }
      }
      for (const [xname, value] of libarchive) {
        if (!xattrMap.has(xname)) xattrMap.set(xname, value);
      }
      sparse = paxSparse(pax, where);
      if (sparse?.name !== undefined) name = sparse.name;
    }
    const xattrs: Xattr[] = [];
    for (const [xname, value] of xattrMap) {
      if (Buffer.byteLength(xname, "utf8") > MAX_XATTR_NAME) throw overLimit(where, `xattr name ${quoteArg(xname, 60)}`, Buffer.byteLength(xname, "utf8"), MAX_XATTR_NAME, "bytes");
      if (value.length > MAX_XATTR_VALUE) throw overLimit(where, `value of xattr ${quoteArg(xname, 60)}`, value.length, MAX_XATTR_VALUE, "bytes");
      xattrs.push({ name: xname, value });
    }
    if (xattrs.length > MAX_XATTRS) throw overLimit(where, "set of xattrs", xattrs.length, MAX_XATTRS, "entries");
    if (uid > 0xffffffff || gid > 0xffffffff) {
      throw new OvError("corrupt", `Tar ${where} (${JSON.stringify(name)}): uid ${uid} / gid ${gid} beyond the limit 4294967295`);
    }
    const kind = kindOf(raw.typeflag, name);
    if (kind === null) {
      const c = raw.typeflag >= 0x20 && raw.typeflag < 0x7f ? `'${String.fromCharCode(raw.typeflag)}'` : `0x${raw.typeflag.toString(16)}`;
      throw new OvError("unsupported", `Tar ${where} (${JSON.stringify(name)}) has entry type ${c}, which ovlayer does not know how to extract`);
    }
    const storedSize = HEADER_ONLY.has(kind) || (kind === "dir" && raw.typeflag !== TypeFlag.GNU_DUMPDIR) ? 0 : size;
    const e: TarEntry = {
      index,
      offset,
      name,
      kind,
      typeflag: raw.typeflag,
      linkname,
      mode: raw.mode & 0o7777,
      uid,
      gid,
      uname,
      gname,
      size: storedSize,
      storedSize,
      mtimeNs,
      devmajor,
      devminor,
      xattrs,
    };
    if (atimeNs !== undefined) e.atimeNs = atimeNs;
    this.cur = e;
    this.dataLeft = storedSize;
    this.padLeft = padding(storedSize);
    this.logical = 0;
    this.spans = null;

    if (raw.gnuSparse && kind === "file") {
      e.sparse = { realSize: raw.gnuSparse.realSize, spans: raw.gnuSparse.spans };
      e.size = raw.gnuSparse.realSize;
      if (raw.gnuSparse.isExtended) {
        this.state = State.SparseExtension;
        return;
      }
      this.beginSparseData(where);
      return;
    }
    if (sparse && kind === "file") {
      e.sparse = { realSize: sparse.realSize, spans: sparse.spans };
      e.size = sparse.realSize;
      if (sparse.version === "1.0") {
        this.sparseRealSize = sparse.realSize;
        this.mapBuf = new Uint8Array(BLOCK_SIZE);
        this.mapFill = 0;
        if (this.dataLeft === 0) throw new OvError("corrupt", `Sparse map of ${where}: the entry stores no data, not even its map`);
        this.state = State.Sparse10Map;
        return;
      }
      this.beginSparseData(where);
      return;
    }
    this.sink.entry(e);
    this.afterEntryStart();
  }

  private onSparseExtension(blk: Uint8Array, blockOffset: number): void {
    const e = this.cur!;
    const { spans, more } = parseSparseExtension(blk, { entry: e.index, offset: blockOffset });
    const all = e.sparse!.spans;
    for (const s of spans) all.push(s);
    if (all.length > MAX_SPARSE_SPANS) throw overLimit(`entry ${e.index} at byte offset ${e.offset}`, "sparse map", all.length, MAX_SPARSE_SPANS, "spans");
    if (!more) {
      this.beginSparseData(`entry ${e.index} at byte offset ${e.offset}`);
    }
  }

  private tryFinishSparseMap(): void {
    const e = this.cur!;
    const where = `entry ${e.index} at byte offset ${e.offset}`;
    const parsed = parseSparse10Map(this.mapBuf!.subarray(0, this.mapFill), where);
    if (!parsed) {
      if (this.dataLeft === 0) throw new OvError("corrupt", `Sparse map of ${where}: the map does not end within the entry's ${e.storedSize} bytes`);
      return;
    }
    if (parsed.consumed !== this.mapFill) {
      throw new OvError("corrupt", `Sparse map of ${where}: the map takes ${parsed.consumed} bytes but ${this.mapFill} were read`);
    }
    e.sparse = { realSize: this.sparseRealSize, spans: parsed.spans };
    this.mapBuf = null;
    this.beginSparseData(where);
  }

  private beginSparseData(where: string): void {
    const e = this.cur!;
    validateSpans(e.sparse!.spans, e.sparse!.realSize, this.dataLeft, where);
    this.spans = e.sparse!.spans;
    this.spanIdx = 0;
    this.spanPos = 0;
    this.sink.entry(e);
    this.afterEntryStart();
  }

  private afterEntryStart(): void {
    if (this.dataLeft > 0) this.state = State.Data;
    else this.endData();
  }

  private deliver(chunk: Uint8Array): void {
    const spans = this.spans;
    if (!spans) {
      this.sink.data(chunk, this.logical);
      this.logical += chunk.length;
      return;
    }
    let p = 0;
    while (p < chunk.length) {
      let span = spans[this.spanIdx]!;
      while (this.spanPos === span.length) {
        this.spanIdx++;
        this.spanPos = 0;
        span = spans[this.spanIdx]!;
      }
      const take = Math.min(span.length - this.spanPos, chunk.length - p);
      this.sink.data(chunk.subarray(p, p + take), span.offset + this.spanPos);
      this.spanPos += take;
      p += take;
    }
  }

  private endData(): void {
    const e = this.cur!;
    this.sink.entryEnd(e);
    this.last = e;
    this.cur = null;
    this.spans = null;
    this.state = this.padLeft > 0 ? State.Padding : State.Header;
  }
}

function padding(size: number): number {
  const r = size % BLOCK_SIZE;
  return r === 0 ? 0 : BLOCK_SIZE - r;
}

function trimNul(b: Uint8Array): Uint8Array {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  let nul = 0;
  while (nul < end && b[nul] !== 0) nul++;
  return b.subarray(0, nul);
}

/** A LIBARCHIVE.xattr name, URL-encoded by bsdtar. @throws {OvError} corrupt on a bad escape. */
function decodeLibarchiveName(encoded: string, where: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new OvError("corrupt", `Pax header of ${where}: LIBARCHIVE.xattr name ${quoteArg(encoded, 60)} is not URL-encoded UTF-8`);
  }
}

function truncated(what: string): OvError {
  return new OvError("corrupt", `The tar archive is truncated (unexpected EOF): ${what}`); // upstream's words, which scripts match
}
