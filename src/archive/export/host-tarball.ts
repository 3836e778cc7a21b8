/**
 * A tarball of a file or directory tree as it is on disk (not a layer's
 * changes): what `copy` and `applydiff-using-staging-dir` feed to the
 * importer, as containers-storage's CopyWithTar and TarWithOptions do.
 * Entry names are placed under a prefix; `--chown` replaces every owner.
 */
import type { BigIntStats } from "node:fs";
import { Chunker } from "../tar/chunks.ts";
import { diskEntry, writeEntry, type DiskWriteContext } from "./disk-entry.ts";
import { fileType, lstatOrNull, S_IFDIR, sortedNames } from "./fs-info.ts";
import { IdMapper } from "../apply/idmap.ts";
import { END_OF_ARCHIVE } from "../tar/writer.ts";
import { OvError } from "../../errors.ts";

export interface HostTarOptions {
  /** Archive name of `src` itself ("" for the root: its contents go to the top). */
  name: string;
  /** Owner given to every entry, instead of the files' own. */
  chown?: { uid: number; gid: number };
  /** For messages. */
  what: string;
  /** The ID maps of the layer `src` is in: its host IDs go into the tarball as container IDs. */
  ids?: IdMapper;
}

/** Archive name of `child` under `prefix` (pure). */
export function joinName(prefix: string, child: string): string {
  return prefix === "" ? child : `${prefix}/${child}`;
}

/**
 * Yields the tarball of `src` (a file, a symlink, or a directory and
 * everything below it, names sorted).
 * @throws {OvError} not-found when `src` does not exist.
 */
export function* hostTarball(src: string, opts: HostTarOptions): Generator<Uint8Array> {
  const st = lstatOrNull(src);
  if (!st) throw new OvError("not-found", `Cannot copy ${src}: no such file or directory`);
  const ctx: DiskWriteContext = { ids: opts.ids ?? new IdMapper(), layerId: opts.what, links: new Map() };
  const ch = new Chunker();
  function* entry(path: string, name: string, s: BigIntStats): Generator<Uint8Array> {
    if (name !== "") {
      const e = diskEntry(path, name, s, ctx);
      if (e) {
        if (opts.chown) {
          e.uid = opts.chown.uid;
          e.gid = opts.chown.gid;
        }
        yield* writeEntry(ch, e, path, opts.what);
      }
    }
    if (fileType(s) !== S_IFDIR) return;
    for (const child of sortedNames(path)) {
      const p = `${path}/${child}`;
      const cs = lstatOrNull(p);
      if (cs) yield* entry(p, joinName(name, child), cs);
    }
  }
  yield* entry(src.replace(/\/+$/, "") || "/", opts.name, st);
  yield* ch.add(END_OF_ARCHIVE);
  const last = ch.flush();
  if (last) yield last;
}
