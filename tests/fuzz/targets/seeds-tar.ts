/** Small valid tarballs built in code: the seeds of the tar targets, and the checksum fix-up of their mutants. */
import { textRecord } from "../../../src/archive/tar/pax.ts";
import { concat, END, enc, entry, fixChecksum, gnuLong, paxHeader } from "../../unit/archive-fixtures.ts";

/**
 * Recomputes the checksum of every 512-byte block that carries a tar magic
 * ("ustar" at 257), in 7 of 8 mutants: otherwise nearly every mutation of a
 * header ends at "checksum mismatch" and the parser behind it is never reached.
 */
export function fixTarChecksums(b: Uint8Array, coin: number): Uint8Array {
  if (coin % 8 === 0) return b;
  for (let off = 0; off + 512 <= b.length; off += 512) {
    if (b[off + 257] === 0x75 && b[off + 258] === 0x73 && b[off + 259] === 0x74 && b[off + 260] === 0x61 && b[off + 261] === 0x72) fixChecksum(b, off);
  }
  return b;
}

export function tarSeeds(): Uint8Array[] {
  return [
    concat(
      entry({ name: "etc/", kind: "dir", mode: 0o755 }),
      entry({ name: "etc/passwd", mode: 0o644, uid: 3000000, gid: 3000001 }, enc("root:x:0:0\n")),
      entry({ name: "bin/sh", kind: "symlink", linkname: "busybox", mode: 0o777 }),
      entry({ name: "bin/link", kind: "hardlink", linkname: "etc/passwd", mode: 0o644 }),
      END,
    ),
    concat(
      paxHeader([textRecord("comment", "global"), textRecord("mtime", "1795708040.5")], true),
      paxHeader([textRecord("path", "long/" + "n".repeat(150)), textRecord("SCHILY.xattr.user.a", "1"), textRecord("SCHILY.xattr.security.capability", "\x01\x00\x00\x02")]),
      entry({ name: "placeholder", mode: 0o600 }, enc("data")),
      paxHeader([textRecord("LIBARCHIVE.xattr.user.b%20c", "dmFs"), textRecord("uid", "70000"), textRecord("atime", "-1.25")]),
      entry({ name: "x", mode: 0o644 }),
      END,
    ),
    concat(gnuLong("L", "gnu/" + "g".repeat(200)), gnuLong("K", "target/" + "t".repeat(120)), entry({ name: "short", kind: "symlink", linkname: "t", mode: 0o777 }), END),
    concat(
      entry({ name: "d/", kind: "dir", mode: 0o755 }),
      entry({ name: "d/.wh..wh..opq", mode: 0o644 }),
      entry({ name: "d/.wh.gone", mode: 0o644 }),
      entry({ name: "dev/null", kind: "char", mode: 0o666, devmajor: 1, devminor: 3 }),
      paxHeader([textRecord("GNU.sparse.major", "1"), textRecord("GNU.sparse.minor", "0"), textRecord("GNU.sparse.name", "sparse"), textRecord("GNU.sparse.realsize", "20")]),
      entry({ name: "GNUSparseFile.0/sparse", mode: 0o644 }, enc("2\n2\n4\n12\n3\n" + "\0".repeat(512 - 11) + "AAAABBB")),
      END,
    ),
  ];
}
