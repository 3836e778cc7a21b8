/**
 * The tar-split file `R/overlay-layers/<ID>.tar-split.gz`: gzip-compressed
 * JSON lines (github.com/vbatts/tar-split, tar/storage). Pure.
 *
 *   {"type":2,"payload":"<base64 raw bytes>","position":0}       segment: headers, padding
 *   {"type":1,"name":"usr/bin/x","size":6,"payload":"<base64 crc64>","position":1}
 *   {"type":1,"name":"usr/","payload":null,"position":2}          entry without content
 *
 * Segments and file contents, in position order, are the original
 * uncompressed layer tarball byte for byte; containers-storage's `diff`
 * (and so podman push / skopeo copy) rebuilds the blob from it, reading each
 * file's content from the layer's diff directory and checking its CRC-64.
 * Two file entries with the same cleaned name make that fail
 * ("duplicates of file paths not supported").
 */
import { OvError } from "../../errors.ts";

export const SEGMENT_TYPE = 2;
export const FILE_TYPE = 1;

export function formatSegmentLine(payload: Uint8Array, position: number): string {
  return `{"type":2,"payload":"${Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString("base64")}","position":${position}}\n`;
}

/** A file entry; `crc` is null for entries without content (size 0). */
export function formatFileLine(name: string, size: number, crc: Uint8Array | null, position: number): string {
  const payload = crc ? `"${Buffer.from(crc).toString("base64")}"` : "null";
  const sizePart = size > 0 ? `"size":${size},` : "";
  return `{"type":1,"name":${JSON.stringify(name)},${sizePart}"payload":${payload},"position":${position}}\n`;
}

export type TarSplitEntry = { type: "segment"; payload: Uint8Array } | { type: "file"; name: string; size: number; crc: Uint8Array | null };

/**
 * Parses one line.
 * @throws {OvError} corrupt naming the file and line number.
 */
export function parseTarSplitLine(line: string, file: string, lineNo: number): TarSplitEntry {
  let v: { type?: unknown; name?: unknown; name_raw?: unknown; size?: unknown; payload?: unknown };
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new OvError("corrupt", `${file}: line ${lineNo} is not JSON: ${(e as Error).message}`);
  }
  const payload = typeof v.payload === "string" ? Buffer.from(v.payload, "base64") : null;
  if (v.type === SEGMENT_TYPE) return { type: "segment", payload: payload ?? new Uint8Array(0) };
  if (v.type === FILE_TYPE) {
    let name: string;
    if (typeof v.name_raw === "string" && v.name_raw !== "") name = Buffer.from(v.name_raw, "base64").toString("utf8");
    else if (typeof v.name === "string") name = v.name;
    else name = "";
    const size = typeof v.size === "number" ? v.size : 0;
    return { type: "file", name, size, crc: payload };
  }
  throw new OvError("corrupt", `${file}: line ${lineNo} has unknown entry type ${JSON.stringify(v.type)}`);
}

/** Go's filepath.Clean, for the duplicate-name check tar-split makes. */
export function cleanName(name: string): string {
  const abs = name.startsWith("/");
  const out: string[] = [];
  for (const c of name.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
      continue;
    }
    out.push(c);
  }
  const s = (abs ? "/" : "") + out.join("/");
  return s === "" ? "." : s;
}
