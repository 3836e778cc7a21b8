/**
 * Writing a tarball produced chunk by chunk to a file descriptor, optionally
 * compressed. Uncompressed output from a synchronous source never awaits;
 * compressed output is pulled through the codec one chunk at a time, so a
 * layer of any size streams in constant memory.
 */
import { writeSync } from "node:fs";
import { sysError } from "../../errors.ts";
import { StdioError } from "../../cli/stdio.ts";
import { compress } from "../compress/codec.ts";
import type { CompressionName } from "../compress/detect.ts";

export type ChunkSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

function writeOut(fd: number, c: Uint8Array, target: string): void {
  let off = 0;
  try {
    while (off < c.length) off += writeSync(fd, c, off, c.length - off);
  } catch (e) {
    if (fd === 1) throw new StdioError(1, e); // a closed pipe or a full disk ends the run (cli/stdio.ts)
    throw sysError(`Cannot write the tarball to ${target}`, e, { path: target });
  }
}

function isSync(src: ChunkSource): src is Iterable<Uint8Array> {
  return typeof (src as Iterable<Uint8Array>)[Symbol.iterator] === "function";
}

/**
 * Writes every chunk of `src` to `fd`.
 * @param target "standard output" or "file X", for messages
 * @param onWrite called with the size of each chunk written (progress)
 * @returns the number of bytes written
 */
export async function writeTarball(src: ChunkSource, compression: CompressionName, fd: number, target: string, onWrite?: (bytes: number) => void): Promise<number> {
  let total = 0;
  const writeAll = (fd: number, c: Uint8Array, target: string): void => {
    writeOut(fd, c, target);
    onWrite?.(c.length);
  };
  if (compression === "none") {
    if (isSync(src)) {
      for (const c of src) {
        writeAll(fd, c, target);
        total += c.length;
      }
    } else {
      for await (const c of src) {
        writeAll(fd, c, target);
        total += c.length;
      }
    }
    return total;
  }
  const it: Iterator<Uint8Array> | AsyncIterator<Uint8Array> = isSync(src) ? src[Symbol.iterator]() : src[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const r = await it.next();
        if (r.done) ctrl.close();
        else ctrl.enqueue(r.value);
      },
      async cancel() {
        await it.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  for await (const c of compress(stream, compression)) {
    writeAll(fd, c, target);
    total += c.length;
  }
  return total;
}
