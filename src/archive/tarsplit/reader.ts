/**
 * Rebuilds a layer's original tarball from its tar-split file and its diff
 * directory, as containers-storage's `diff` does: segments are copied,
 * each file's content is read from the layer (or, like upstream's file
 * getter, from the first lower layer that has it) and must match the
 * CRC-64 recorded at import.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { OvError, describeCause, sysError } from "../../errors.ts";
import { CHUNK_SIZE, Chunker } from "../tar/chunks.ts";
import { decompress } from "../compress/codec.ts";
import { Crc64 } from "./crc64.ts";
import { cleanName, parseTarSplitLine, type TarSplitEntry } from "./format.ts";

export async function* lines(file: string): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let rest = "";
  const stream = decompress(Bun.file(file).stream() as ReadableStream<Uint8Array>, "gzip");
  try {
    for await (const chunk of stream) {
      const text = rest + dec.decode(chunk, { stream: true });
      const parts = text.split("\n");
      rest = parts.pop()!;
      for (const p of parts) if (p !== "") yield p;
    }
  } catch (e) {
    if (e instanceof OvError) throw e;
    throw new OvError("corrupt", `Cannot read the tar-split file ${file}: ${(e as Error).message}`, { cause: e });
  }
  rest += dec.decode();
  if (rest.trim() !== "") yield rest;
}

function openContent(dirs: readonly string[], name: string, layerId: string): number {
  let first: unknown;
  for (const d of dirs) {
    try {
      return openSync(`${d}/${name}`, "r");
    } catch (e) {
      first ??= e;
    }
  }
  throw new OvError("corrupt", `Cannot rebuild the tarball of layer ${layerId}: ${name} is missing from its diff directory (${describeCause(first)})`, {
    cause: first,
    hint: "the layer changed since it was imported; remove its tar-split file to export the directory as it is",
  });
}

/**
 * The original tarball of a layer, in chunks.
 * @param dirs the layer's diff directory, then its lower layers' (uppermost first)
 * @throws {OvError} corrupt when a file is missing or its content changed
 *   ("file integrity checksum failed", as upstream says), or the file is damaged.
 */
export async function* reassemble(file: string, dirs: readonly string[], layerId: string): AsyncGenerator<Uint8Array> {
  const seen = new Set<string>();
  const crc = new Crc64();
  const ch = new Chunker();
  let lineNo = 0;
  for await (const line of lines(file)) {
    lineNo++;
    const e: TarSplitEntry = parseTarSplitLine(line, file, lineNo);
    if (e.type === "segment") {
      yield* ch.add(e.payload);
      continue;
    }
    const clean = cleanName(e.name);
    if (seen.has(clean)) throw new OvError("corrupt", `${file}: line ${lineNo}: duplicates of file paths not supported (${JSON.stringify(e.name)})`);
    seen.add(clean);
    if (e.size <= 0) continue;
    const fd = openContent(dirs, e.name, layerId);
    crc.reset();
    try {
      for (;;) {
        const space = ch.space(CHUNK_SIZE);
        let n: number;
        try {
          n = readSync(fd, space, 0, space.length, null);
        } catch (err) {
          throw sysError(`Cannot read ${e.name} of layer ${layerId}`, err);
        }
        if (n === 0) break;
        crc.update(space.subarray(0, n));
        const full = ch.commit(n);
        if (full) yield full;
      }
    } finally {
      closeSync(fd);
    }
    const want = e.crc ? Buffer.from(e.crc).toString("hex") : "";
    const got = Buffer.from(crc.digest()).toString("hex");
    if (want !== got) {
      throw new OvError("corrupt", `Cannot rebuild the tarball of layer ${layerId}: file integrity checksum failed for ${JSON.stringify(e.name)} (CRC-64 ${got}, recorded ${want})`, {
        hint: "the file changed since the layer was imported; remove the layer's tar-split file to export the directory as it is",
      });
    }
  }
  const last = ch.flush();
  if (last) yield last;
}
