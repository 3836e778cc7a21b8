/** The pax record parser and what reads its values (numbers, times, sparse maps). */
import { parsePaxInt, parsePaxRecords, parsePaxTime, paxText } from "../../../src/archive/tar/pax.ts";
import { paxSparse, parseSparse10Map } from "../../../src/archive/tar/sparse.ts";
import type { FuzzTarget } from "../target.ts";

const enc = (s: string) => Buffer.from(s, "utf8");

export const target: FuzzTarget = {
  name: "pax",
  seeds: () => [
    enc("30 mtime=1795708040.897148176\n20 path=some/file.txt\n"),
    enc("12 uid=1000\n12 gid=1000\n16 size=12345678\n"),
    enc("27 SCHILY.xattr.user.a=\x01\x02\x00\n"),
    enc("22 GNU.sparse.major=0\n22 GNU.sparse.minor=1\n25 GNU.sparse.realsize=20\n25 GNU.sparse.map=2,4,12,3\n"),
    enc("23 GNU.sparse.offset=2\n25 GNU.sparse.numbytes=4\n"),
    enc("2\n2\n4\n12\n3\n"),
  ],
  run(input) {
    parseSparse10Map(input, "fuzz");
    const recs = parsePaxRecords(input, "fuzz");
    for (const r of recs) {
      const t = paxText(r.value);
      if (r.key === "mtime" || r.key === "atime") parsePaxTime(t, "fuzz");
      else if (r.key === "uid" || r.key === "size") parsePaxInt(t, r.key, "fuzz");
    }
    paxSparse(recs, "fuzz");
  },
};
