/**
 * A tarball of a change list between two layers (archive.ExportChanges
 * upstream): changes sorted by path; a deleted path becomes a `.wh.NAME`
 * entry; an added or modified one is written from the new layer's merged view.
 */
import { Chunker } from "../tar/chunks.ts";
import { ChangeKind, type Change } from "./changes.ts";
import { diskEntry, writeEntry, type DiskWriteContext } from "./disk-entry.ts";
import type { MergedEntry } from "./merged-view.ts";
import { splitPath } from "../apply/path-safety.ts";
import { END_OF_ARCHIVE, encodeHeaders } from "../tar/writer.ts";
import { whiteoutName } from "../apply/whiteout.ts";

function byPath(a: Change, b: Change): number {
  // Go compares the strings byte-wise; paths are compared the same way here.
  return Buffer.compare(Buffer.from(a.Path), Buffer.from(b.Path));
}

/**
 * @param lookup finds a changed path's entry in the new view
 * @param nowNs time stamp of the whiteout entries
 */
export function* exportChanges(changes: readonly Change[], lookup: (path: string) => MergedEntry | undefined, ctx: DiskWriteContext, nowNs: bigint): Generator<Uint8Array> {
  const ch = new Chunker();
  for (const c of [...changes].sort(byPath)) {
    const rel = c.Path.slice(1);
    if (c.Kind === ChangeKind.Delete) {
      const { dir, base } = splitPath(rel);
      const name = dir === "" ? whiteoutName(base) : `${dir}/${whiteoutName(base)}`;
      yield* ch.add(encodeHeaders({ name, kind: "file", mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: (nowNs / 1_000_000_000n) * 1_000_000_000n }));
      continue;
    }
    const e = lookup(c.Path);
    if (!e) continue; // gone since the comparison: upstream logs and skips too
    const out = diskEntry(e.real, rel, e.st, ctx);
    if (out) yield* writeEntry(ch, out, e.real, ctx.layerId);
  }
  yield* ch.add(END_OF_ARCHIVE);
  const last = ch.flush();
  if (last) yield last;
}
