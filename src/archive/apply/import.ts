/**
 * Reading a layer tarball from a file descriptor and applying it: detects
 * the compression, decompresses as a stream, and feeds one tar parser whose
 * entries are written to the directory (sink.ts). The same bytes go to the
 * digests (digests.ts: hashes, id sets, tar-split), on a worker thread when
 * the binary has one, so hashing runs beside the file writes.
 *
 * Uncompressed input is read synchronously in 1 MiB chunks; the loop awaits
 * only when the digest worker falls 32 MiB behind. Compressed input awaits
 * once per decompressed chunk. Nothing awaits per entry.
 */
import { readSync } from "node:fs";
import { OvError, errCode, sysError } from "../../errors.ts";
import { log } from "../../log.ts";
import { ApplySink, type ApplyOptions } from "./sink.ts";
import { decompress } from "../compress/codec.ts";
import { detectCompression, DETECT_BYTES, type CompressionName } from "../compress/detect.ts";
import { openDigests } from "./digest-client.ts";
import type { DigestResult } from "./digests.ts";
import { TarParser, type TarSink } from "../tar/reader.ts";

const CHUNK = 1 << 20;

export interface ImportSummary extends DigestResult {
  compression: CompressionName;
}

export interface ImportOptions extends ApplyOptions {
  /** File descriptor to read the tarball from (read to its end). */
  fd: number;
  /** "file X" or "standard input", for messages. */
  source: string;
  /** Where to write the tar-split file, or undefined for none. */
  tarSplitPath?: string;
  /** Called with the number of bytes of each read from `fd` (progress). */
  onRead?: (bytes: number) => void;
}

function readChunk(fd: number, buf: Uint8Array, source: string): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = errCode(e);
      if (code === "EINTR") continue;
      if (code === "EAGAIN") {
        // A non-blocking pipe with nothing in it yet.
        Bun.sleepSync(1);
        continue;
      }
      throw sysError(`Cannot read the layer tarball from ${source}`, e);
    }
  }
}

/** Sends the parser's calls to the directory first, then to the inline digests. */
function fanout(a: TarSink, b: TarSink): TarSink {
  return {
    entry(e) {
      b.entry(e);
      a.entry(e);
    },
    data(chunk, offset) {
      a.data(chunk, offset);
      b.data(chunk, offset);
    },
    entryEnd(e) {
      a.entryEnd(e);
      b.entryEnd(e);
    },
    raw(chunk) {
      b.raw?.(chunk);
    },
    globalHeader(records) {
      b.globalHeader?.(records);
    },
  };
}

/**
 * Applies the tarball read from `opts.fd` to `opts.root`.
 * @throws {OvError} corrupt (truncated or malformed archive, bad checksum),
 *   unsupported (no bzip2/xz program, unknown entry type), permission, sys; on error the
 *   tar-split file is removed and the directory is left as far as it got.
 */
export async function importTarball(opts: ImportOptions): Promise<ImportSummary> {
  const read = (b: Uint8Array): number => {
    const n = readChunk(opts.fd, b, opts.source);
    opts.onRead?.(n);
    return n;
  };
  // Read at least the magic bytes before deciding what the stream is.
  let buf: Uint8Array = Buffer.allocUnsafe(CHUNK);
  let have = 0;
  while (have < DETECT_BYTES) {
    const n = read(have ? buf.subarray(have) : buf);
    if (n === 0) break;
    have += n;
  }
  const compression = detectCompression(buf.subarray(0, have));

  const digests = await openDigests({
    layerId: opts.layerId,
    compressed: compression !== "none",
    ...(opts.tarSplitPath ? { tarSplitPath: opts.tarSplitPath } : {}),
  });
  log.debug(`layer ${opts.layerId}: ${compression} input, digests on ${digests.threaded ? "a worker thread" : "the main thread"}`);
  const apply = new ApplySink({ ...opts, onReplace: (what) => digests.drop(what) });
  const parser = new TarParser(digests.sink ? fanout(apply, digests.sink) : apply);
  apply.begin();
  try {
    if (compression === "none") {
      const first = buf.subarray(0, have);
      const w0 = digests.tar(first);
      parser.push(first);
      if (w0) await w0;
      // From here on, read straight into the digest channel's buffers: no copy.
      for (;;) {
        const got = digests.acquire();
        const b = got instanceof Uint8Array ? got : await got;
        const n = have === 0 ? 0 : read(b);
        digests.filled(b, n);
        if (n === 0) break;
        parser.push(b.subarray(0, n));
      }
    } else {
      let sizeC = have;
      let sizeU = 0;
      let first: Uint8Array | null = buf.subarray(0, have);
      const src = new ReadableStream<Uint8Array>(
        {
          async pull(ctrl) {
            let c: Uint8Array;
            if (first) {
              c = first;
              first = null;
            } else {
              buf = Buffer.allocUnsafe(CHUNK);
              const n = read(buf);
              if (n === 0) return ctrl.close();
              c = buf.subarray(0, n);
              sizeC += n;
            }
            const wait = digests.compressed(c);
            ctrl.enqueue(c);
            if (wait) await wait;
          },
        },
        { highWaterMark: 1 },
      );
      const reader = decompress(src, compression).getReader();
      try {
        for (;;) {
          let r: Awaited<ReturnType<typeof reader.read>>;
          try {
            r = await reader.read();
          } catch (e) {
            if (e instanceof OvError) throw e;
            throw new OvError("corrupt", `The ${compression} stream from ${opts.source} is corrupt or truncated after ${sizeC} compressed bytes (${sizeU} uncompressed): ${(e as Error).message}`, { cause: e });
          }
          if (r.done) break;
          sizeU += r.value.length;
          const wait = digests.tar(r.value);
          parser.push(r.value);
          if (wait) await wait;
        }
      } catch (e) {
        await reader.cancel().catch(() => {});
        throw e;
      }
    }
    parser.finish();
    apply.finish();
    const result = await digests.finish();
    return { ...result, compression };
  } catch (e) {
    apply.abort();
    await digests.abort();
    throw e;
  }
}
