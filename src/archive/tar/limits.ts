/**
 * The bounds of everything in a tar stream that is not file content. Each
 * keeps an import linear in its input and in bounded memory, and each is far
 * above what a real layer holds (README "Limits"). The family is Go
 * archive/tar's (what containers-storage reads layers with): 1 MiB for any
 * extension header (its maxSpecialFileSize), and the kernel's own limits for
 * names and xattrs (PATH_MAX, XATTR_NAME_MAX, XATTR_SIZE_MAX), which a layer
 * beyond them could not be extracted under anyway. Pure.
 */
import { OvError } from "../../errors.ts";

/** Largest pax header (local or global), GNU long name/link or sparse 1.0 map, in bytes (Go's maxSpecialFileSize). */
export const MAX_EXTENSION_SIZE = 1 << 20;
/** Records in one pax header, and in the local headers of one entry together, and distinct global defaults. */
export const MAX_PAX_RECORDS = 4096;
/** Bytes of an entry's name or link target (Linux PATH_MAX). */
export const MAX_NAME = 4096;
/** Extended attributes on one entry. */
export const MAX_XATTRS = 1024;
/** Bytes of an xattr name (Linux XATTR_NAME_MAX). */
export const MAX_XATTR_NAME = 255;
/** Bytes of an xattr value (Linux XATTR_SIZE_MAX). */
export const MAX_XATTR_VALUE = 65536;
/** Spans of one sparse file. */
export const MAX_SPARSE_SPANS = 1_000_000;

/**
 * The error for a bound that the input exceeds.
 * @example overLimit("entry 3 at byte offset 1024", "pax header", 2000000, MAX_EXTENSION_SIZE, "bytes")
 *   // "Tar entry 3 at byte offset 1024: invalid tar header: pax header of 2000000 bytes is over the limit of 1048576"
 */
export function overLimit(where: string, what: string, n: number, limit: number, unit: string): OvError {
  return new OvError("corrupt", `Tar ${where}: invalid tar header: ${what} of ${n} ${unit} is over the limit of ${limit}`, {
    hint: "ovlayer's limits on tar headers are listed in its README (Limits)",
  });
}
