/**
 * A layer's own changes as a tarball, read from its diff directory (the
 * overlay upper dir), as containers-storage's overlay driver produces them:
 * entries in Go's walk order (names sorted, a directory before its
 * content), the root left out, 0:0 character devices written as `.wh.NAME`
 * files, and a `.wh..wh..opq` entry after an opaque directory that exists
 * in a lower layer (an opaque directory with nothing below it hides nothing).
 */
import { OvError } from "../../errors.ts";
import { Chunker } from "../tar/chunks.ts";
import { diskEntry, writeEntry, type DiskWriteContext } from "./disk-entry.ts";
import { fileType, isOpaqueDir, isWhiteoutStat, lstatOrNull, opaqueHidesLower, S_IFDIR, sortedNames, xattrNames } from "./fs-info.ts";
import { END_OF_ARCHIVE, encodeHeaders } from "../tar/writer.ts";
import { OPAQUE_MARKER, whiteoutName } from "../apply/whiteout.ts";

const NS = 1_000_000_000n;

function* walk(ch: Chunker, diffDir: string, rel: string, lowers: readonly string[], ctx: DiskWriteContext): Generator<Uint8Array> {
  for (const name of sortedNames(rel === "" ? diffDir : `${diffDir}/${rel}`)) {
    const r = rel === "" ? name : `${rel}/${name}`;
    const path = `${diffDir}/${r}`;
    const st = lstatOrNull(path);
    if (!st) continue; // removed while we walk: a live layer may change
    if (isWhiteoutStat(st)) {
      const [uid, gid] = ctx.ids.toContainer(Number(st.uid), Number(st.gid), `Cannot export ${r} of layer ${ctx.layerId}`);
      const wh = rel === "" ? whiteoutName(name) : `${rel}/${whiteoutName(name)}`;
      yield* ch.add(encodeHeaders({ name: wh, kind: "file", mode: 0, uid, gid, size: 0, mtimeNs: (st.mtimeNs / NS) * NS }));
      continue;
    }
    const names = xattrNames(path);
    const e = diskEntry(path, r, st, ctx, names);
    if (!e) continue;
    yield* writeEntry(ch, e, path, ctx.layerId);
    if (fileType(st) === S_IFDIR) {
      if (isOpaqueDir(path, names) && opaqueHidesLower(r, lowers)) {
        yield* ch.add(encodeHeaders({ name: `${r}/${OPAQUE_MARKER}`, kind: "file", mode: e.mode & 0o777, uid: e.uid, gid: e.gid, size: 0, mtimeNs: 0n }));
      }
      yield* walk(ch, diffDir, r, lowers, ctx);
    }
  }
}

/**
 * The tarball of a layer's diff directory, in ~1 MiB chunks.
 * @param lowers diff directories of the lower layers, uppermost first
 * @throws {OvError} when a file cannot be read.
 */
export function* diffDirTarball(diffDir: string, lowers: readonly string[], ctx: DiskWriteContext): Generator<Uint8Array> {
  const root = lstatOrNull(diffDir);
  if (!root || fileType(root) !== S_IFDIR) throw new OvError("corrupt", `Layer ${ctx.layerId} has no diff directory ${diffDir}`);
  const ch = new Chunker();
  yield* walk(ch, diffDir, "", lowers, ctx);
  yield* ch.add(END_OF_ARCHIVE);
  const last = ch.flush();
  if (last) yield last;
}
