/**
 * A tar entry as the rest of ovlayer sees it: every override (pax records,
 * GNU long names, sparse maps) already applied. Types only, plus the kind
 * mapping from typeflags.
 */
import { TypeFlag, type SparseSpan } from "./header.ts";

export type EntryKind = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface Xattr {
  name: string;
  /** Raw bytes: binary values (security.capability) must survive untouched. */
  value: Uint8Array;
}

export interface SparseInfo {
  /** Logical size of the file. */
  realSize: number;
  /** Data spans stored in the archive, in order. */
  spans: SparseSpan[];
}

export interface TarEntry {
  /** 1-based position in the archive. */
  index: number;
  /** Offset of the entry's first header block in the uncompressed stream. */
  offset: number;
  /** The name as the archive gives it (not normalized). */
  name: string;
  kind: EntryKind;
  typeflag: number;
  linkname: string;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Logical content size (the real size of a sparse file). */
  size: number;
  /** Bytes of data stored in the archive after the headers. */
  storedSize: number;
  mtimeNs: bigint;
  atimeNs?: bigint;
  devmajor: number;
  devminor: number;
  xattrs: Xattr[];
  sparse?: SparseInfo;
}

/**
 * The kind of an entry from its typeflag, or null for the flags that are not
 * entries (pax and GNU extension headers, volume labels).
 */
export function kindOf(typeflag: number, name: string): EntryKind | null {
  switch (typeflag) {
    case TypeFlag.REG:
    case TypeFlag.CONT:
    case TypeFlag.GNU_SPARSE:
      return "file";
    case TypeFlag.AREG:
      // Pre-POSIX archives mark directories only by the trailing slash.
      return name.endsWith("/") ? "dir" : "file";
    case TypeFlag.LINK:
      return "hardlink";
    case TypeFlag.SYMLINK:
      return "symlink";
    case TypeFlag.CHAR:
      return "char";
    case TypeFlag.BLOCK:
      return "block";
    case TypeFlag.DIR:
    case TypeFlag.GNU_DUMPDIR:
      return "dir";
    case TypeFlag.FIFO:
      return "fifo";
    default:
      return null;
  }
}
