/**
 * Streaming gzip and zstd with Bun's built-in codecs (DecompressionStream,
 * CompressionStream). Multi-member gzip and multi-frame zstd, including
 * skippable frames, decode as one stream (measured on Bun 1.4.5).
 *
 * bzip2 and xz (input only) go through the `bzip2 -dc` / `xz -dc` programs,
 * as containers-storage runs `xz -d`: Bun has no codec for them and no npm
 * dependency may be added. The compressed stream is piped to the program's
 * stdin and its stdout read as a stream, so memory stays bounded by the pipe
 * buffers (the kernel blocks the writer when the reader falls behind).
 */
import { OvError } from "../../errors.ts";
import type { CompressionName } from "./detect.ts";

type Format = ConstructorParameters<typeof DecompressionStream>[0];
type Pair = ReadableWritablePair<Uint8Array, Uint8Array>;

function formatOf(c: CompressionName): Format {
  // The DOM typings do not list "zstd"; Bun accepts it.
  if (c === "gzip" || c === "zstd") return c as Format;
  throw new OvError("internal", `No streaming codec for ${c}`);
}

/** Decompresses a byte stream. Errors carry the codec's message. */
export function decompress(src: ReadableStream<Uint8Array>, c: CompressionName): ReadableStream<Uint8Array> {
  if (c === "bzip2" || c === "xz") return decompressWithProgram(src, c);
  return src.pipeThrough(new DecompressionStream(formatOf(c)) as unknown as Pair);
}

/** The program and Debian package that decode `c` (pure). */
export function externalDecoder(c: "bzip2" | "xz"): { argv: string[]; pkg: string } {
  return c === "xz" ? { argv: ["xz", "-d", "-c", "-q"], pkg: "xz-utils" } : { argv: ["bzip2", "-d", "-c", "-q"], pkg: "bzip2" };
}

/**
 * Runs the decoder program on `src`. A missing program is an `unsupported`
 * error naming it and its package; a non-zero exit (a corrupt stream) errors
 * the output stream with the program's own message.
 */
function decompressWithProgram(src: ReadableStream<Uint8Array>, c: "bzip2" | "xz"): ReadableStream<Uint8Array> {
  const { argv, pkg } = externalDecoder(c);
  const found = Bun.which(argv[0]!);
  if (!found) {
    throw new OvError("unsupported", `Cannot read ${c}-compressed input: the ${argv[0]} program is not in PATH`, {
      hint: `install it (Debian: apt-get install ${pkg}), or decompress the input first`,
    });
  }
  const proc = Bun.spawn([found, ...argv.slice(1)], { stdin: src, stdout: "pipe", stderr: "pipe" });
  const out = proc.stdout.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const r = await out.read();
        if (!r.done) return ctrl.enqueue(r.value);
        const code = await proc.exited;
        if (code === 0) return ctrl.close();
        const msg = (await new Response(proc.stderr).text()).trim().split("\n").pop() ?? "";
        ctrl.error(new Error(`${argv[0]} exited with status ${code}${msg ? `: ${msg}` : ""}`));
      },
      async cancel() {
        proc.kill();
        await proc.exited;
      },
    },
    { highWaterMark: 0 },
  );
}

/** Compresses a byte stream. */
export function compress(src: ReadableStream<Uint8Array>, c: CompressionName): ReadableStream<Uint8Array> {
  return src.pipeThrough(new CompressionStream(formatOf(c)) as unknown as Pair);
}
