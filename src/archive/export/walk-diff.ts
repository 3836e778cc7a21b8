/**
 * A layer's own changes as a tarball, read from its diff directory (the
 * overlay upper dir), as containers-storage's overlay driver produces them:
 * entries in Go's walk order (names sorted, a directory before its
 * content), the root left out, 0:0 character devices written as `.wh.NAME`
 * files, and a `.wh..wh..opq` entry after an opaque directory that exists
 * in a lower layer (an opaque directory with nothing below it hides nothing).
 * Any depth: the walk keeps its own stack, and paths past 512 bytes below the
 * last anchor are named from an open fd of a directory on the way.
 */
import { closeSync, constants, openSync } from "node:fs";
import { OvError, sysError, utf8Length } from "../../errors.ts";
import { Chunker } from "../tar/chunks.ts";
import { diskEntry, writeEntry, type DiskWriteContext } from "./disk-entry.ts";
import { fileType, isOpaqueDir, isWhiteoutStat, lstatOrNull, opaqueHidesLower, S_IFDIR, sortedNames, xattrNames } from "./fs-info.ts";
import { END_OF_ARCHIVE, encodeHeaders } from "../tar/writer.ts";
import { OPAQUE_MARKER, whiteoutName } from "../apply/whiteout.ts";

const NS = 1_000_000_000n;

/**
 * Past this many bytes of path below the last anchor, the walk opens the
 * directory it enters and names what is below it by `/proc/self/fd/N/...`:
 * every path handed to the kernel stays under PATH_MAX (4096) at any depth.
 */
const ANCHOR_AFTER = 512;

/** One directory being listed: its entries, the next one to visit, and how to reach it. */
interface Frame {
  rel: string;
  names: string[];
  next: number;
  /** Host path of this directory (a /proc/self/fd path when anchored). */
  host: string;
  /** Bytes of `host` below its anchor (or below diffDir). */
  depthBytes: number;
  /** The fd this frame opened as an anchor, closed when it is done. */
  anchor?: number;
}

function enter(diffDir: string, rel: string, parent: Frame | undefined, name: string): Frame {
  let host = parent ? `${parent.host}/${name}` : diffDir;
  let depthBytes = parent ? parent.depthBytes + utf8Length(name) + 1 : 0;
  let anchor: number | undefined;
  if (depthBytes > ANCHOR_AFTER) {
    try {
      anchor = openSync(host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (e) {
      throw sysError(`Cannot open ${diffDir}/${rel}`, e, { path: `${diffDir}/${rel}` });
    }
    host = `/proc/self/fd/${anchor}`;
    depthBytes = 0;
  }
  try {
    return { rel, names: sortedNames(host), next: 0, host, depthBytes, ...(anchor !== undefined ? { anchor } : {}) };
  } catch (e) {
    if (anchor !== undefined) closeSync(anchor);
    throw e;
  }
}

/**
 * The walk, depth first with an explicit stack (a layer's depth is input:
 * recursion would overflow the call stack on a deep tree).
 */
function* walk(ch: Chunker, diffDir: string, lowers: readonly string[], ctx: DiskWriteContext): Generator<Uint8Array> {
  const stack: Frame[] = [enter(diffDir, "", undefined, "")];
  try {
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      if (top.next >= top.names.length) {
        stack.pop();
        if (top.anchor !== undefined) closeSync(top.anchor);
        continue;
      }
      const name = top.names[top.next++]!;
      const rel = top.rel;
      const r = rel === "" ? name : `${rel}/${name}`;
      const path = `${top.host}/${name}`;
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
        stack.push(enter(diffDir, r, top, name));
      }
    }
  } finally {
    for (const f of stack) if (f.anchor !== undefined) closeSync(f.anchor);
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
  yield* walk(ch, diffDir, lowers, ctx);
  yield* ch.add(END_OF_ARCHIVE);
  const last = ch.flush();
  if (last) yield last;
}
