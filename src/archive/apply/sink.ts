/**
 * Applying a tar stream to a layer's diff directory (a TarSink).
 *
 * Semantics follow containers-storage's overlay ApplyDiff:
 * - names stay inside the directory (path-safety.ts); the root entry is skipped;
 * - an existing path is replaced, except a directory by a directory, which
 *   is merged (its metadata updated);
 * - `.wh.NAME` becomes a 0:0 character device NAME owned by the entry's
 *   ids, `.wh..wh..opq` marks its directory opaque;
 * - missing parent directories are created 0755, owned by (mapped) root;
 * - metadata order: create, chown, chmod (chown clears setuid/setgid),
 *   xattrs (chown clears security.capability), then times; directory times
 *   are set at the end, after their content;
 * - hardlink entries only link: like GNU tar, their own metadata is ignored.
 *
 * Everything goes through path-based or fd-based syscalls on absolute paths
 * under the root; the final component of a path is never followed.
 */
import {
  chmodSync,
  closeSync,
  constants as C,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { OvError, errCode, sysError } from "../../errors.ts";
import { log } from "../../log.ts";
import { AT_FDCWD, fsetxattr, futimens, lchown, lsetxattr, lutimens, makedev, mknodat } from "../../sys/libc.ts";
import { IdMapper } from "./idmap.ts";
import { normalizeEntryPath, normalizeLinkTarget, PathSafetyError, resolveDir, splitPath, type Probe } from "./path-safety.ts";
import type { TarSink } from "../tar/reader.ts";
import type { TarEntry, Xattr } from "../tar/entry.ts";
import { classifyBase, isOpaqueValue, isOverlayXattr } from "./whiteout.ts";
import { removeTree } from "../../store/files/remove-tree.ts";

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const CREATE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;

/** xattrs containers-storage never applies from an archive: the host labels files itself. */
const IGNORED_XATTRS = new Set(["security.selinux"]);

export interface ApplyOptions {
  /** Absolute path of the directory to apply to (the layer's diff dir). */
  root: string;
  /** For messages. */
  layerId: string;
  /** The opaque xattr to write (trusted.overlay.opaque or user.overlay.opaque). */
  opaqueXattr: string;
  ids?: IdMapper;
  /**
   * Called when an entry removes or replaces something already in the
   * directory (a duplicate, a whiteout of an earlier entry): the directory no
   * longer holds the archive's content entry by entry.
   */
  onReplace?: (what: string) => void;
}

interface DeferredDir {
  path: string;
  atimeNs: bigint;
  mtimeNs: bigint;
}

export class ApplySink implements TarSink {
  private readonly root: string;
  private readonly layerId: string;
  private readonly opaqueXattr: string;
  private readonly ids: IdMapper;
  private readonly onReplace?: (what: string) => void;
  /** Archive-relative directory -> its real path relative to the root, for directories known to be safe. */
  private dirs = new Map<string, string>();
  /**
   * Real directories known not to be set-group-ID: a file made in one is owned
   * by our own uid and gid, so a chown to those is a syscall that can be saved.
   */
  private plainDirs = new Set<string>();
  private readonly selfIds = process.geteuid?.() === 0 && process.getegid?.() === 0 ? 0 : -1;
  /** Real parent directory of the entry being applied. */
  private curParent = "";
  private deferred: DeferredDir[] = [];
  private fd = -1;
  private filePath = "";
  private fileEntry: TarEntry | null = null;
  private warnedXattr = false;
  /** True while the process umask is 0: files are created with their final permission bits. */
  private exactModes = false;
  private savedUmask = -1;

  constructor(opts: ApplyOptions) {
    this.root = opts.root.replace(/\/+$/, "");
    this.layerId = opts.layerId;
    this.opaqueXattr = opts.opaqueXattr;
    this.ids = opts.ids ?? new IdMapper();
    if (opts.onReplace) this.onReplace = opts.onReplace;
    this.dirs.set("", "");
    const st = lstatSync(this.root, { throwIfNoEntry: false });
    if (st && (st.mode & 0o2000) === 0) this.plainDirs.add("");
  }

  /** True when a new file in `parent` already has these ids (no chown needed). */
  private ownedAlready(parent: string, uid: number, gid: number): boolean {
    return uid === this.selfIds && gid === this.selfIds && this.plainDirs.has(parent);
  }

  private abs(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`;
  }

  /** Host ids of an entry (the message is only built when an id has no mapping). */
  private hostIds(e: TarEntry): [number, number] {
    if (this.ids.identity) return [e.uid, e.gid];
    return this.ids.toHost(e.uid, e.gid, this.what(e));
  }

  private what(e: TarEntry): string {
    return `Cannot apply entry ${e.index} (${JSON.stringify(e.name)}) to layer ${this.layerId}`;
  }

  private fail(e: TarEntry, action: string, path: string, err: unknown): OvError {
    return sysError(`${this.what(e)}: ${action} ${path}`, err, { path });
  }

  entry(e: TarEntry): void {
    const rel = normalizeEntryPath(e.name);
    if (rel === "") {
      if (e.kind === "dir") return; // the layer root keeps its own metadata, as upstream
      throw new OvError("corrupt", `${this.what(e)}: the name is the layer root, but the entry is a ${e.kind}`);
    }
    const { dir, base } = splitPath(rel);
    const cls = classifyBase(base);
    if (cls.kind === "whiteout") {
      const parent = this.parentDir(dir, e, true);
      if (parent === null) return; // its directory is itself whited out: nothing to hide
      this.whiteout(e, parent === "" ? cls.target : `${parent}/${cls.target}`);
      return;
    }
    const parent = this.parentDir(dir, e, false)!;
    if (cls.kind === "opaque") {
      this.setXattrPath(e, this.abs(parent), this.opaqueXattr, Buffer.from("y"));
      return;
    }
    if (cls.kind === "meta") {
      log.debug(`layer ${this.layerId}: entry ${e.index} (${JSON.stringify(e.name)}) is AUFS metadata, skipped`);
      return;
    }
    const real = parent === "" ? base : `${parent}/${base}`;
    const path = this.abs(real);
    const [uid, gid] = this.hostIds(e);
    this.curParent = parent;
    switch (e.kind) {
      case "file":
        this.openFile(e, path);
        this.fileEntry = e;
        this.filePath = path;
        return; // metadata at entryEnd, after the content
      case "dir":
        this.makeDir(e, path, uid, gid);
        this.dirs.set(rel, real);
        if ((e.mode & 0o2000) === 0) this.plainDirs.add(real);
        else this.plainDirs.delete(real);
        return;
      case "symlink":
        this.create(e, path, () => symlinkSync(e.linkname, path), "symlink");
        break;
      case "hardlink":
        this.hardlink(e, path);
        return;
      case "char":
      case "block":
      case "fifo": {
        const type = e.kind === "char" ? S_IFCHR : e.kind === "block" ? S_IFBLK : S_IFIFO;
        const dev = e.kind === "fifo" ? 0n : makedev(e.devmajor, e.devminor);
        this.create(e, path, () => mknodat(AT_FDCWD, path, type | e.mode, dev), "mknod");
        break;
      }
    }
    // Symlinks, devices, fifos: chown, chmod (not for symlinks), xattrs, times.
    try {
      if (!this.ownedAlready(parent, uid, gid)) lchown(path, uid, gid);
      if (e.kind !== "symlink") chmodSync(path, e.mode);
    } catch (err) {
      throw this.fail(e, "set owner and mode of", path, err);
    }
    this.setXattrs(e, path, e.xattrs, null);
    try {
      const [a, m] = times(e);
      lutimens(path, wholeSecondsIfNegative(a), wholeSecondsIfNegative(m));
    } catch (err) {
      throw this.fail(e, "set times of", path, err);
    }
  }

  data(chunk: Uint8Array, offset: number): void {
    const e = this.fileEntry;
    if (!e) return; // content of an entry that is not a file (GNU dumpdir): ignored
    try {
      let off = 0;
      if (e.sparse) {
        while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off, offset + off);
      } else {
        while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
      }
    } catch (err) {
      throw this.fail(e, "write", this.filePath, err);
    }
  }

  entryEnd(e: TarEntry): void {
    if (this.fileEntry !== e) return;
    const fd = this.fd;
    const path = this.filePath;
    try {
      if (e.sparse) ftruncateSync(fd, e.sparse.realSize);
      const [uid, gid] = this.hostIds(e);
      if (!this.ownedAlready(this.curParent, uid, gid)) fchownSync(fd, uid, gid);
      if (e.mode & 0o7000 || !this.exactModes) fchmodSync(fd, e.mode);
    } catch (err) {
      throw this.fail(e, "set owner and mode of", path, err);
    }
    this.setXattrs(e, path, e.xattrs, fd);
    try {
      const [a, m] = times(e);
      futimens(fd, a, m);
    } catch (err) {
      throw this.fail(e, "set times of", path, err);
    }
    this.fd = -1;
    this.fileEntry = null;
    try {
      closeSync(fd);
    } catch (err) {
      throw this.fail(e, "close", path, err);
    }
  }

  /**
   * Sets the process umask to 0 until finish/abort, so that files are
   * created with their exact permission bits (one chmod less per file).
   */
  begin(): void {
    this.savedUmask = process.umask(0);
    this.exactModes = true;
  }

  private restoreUmask(): void {
    if (this.savedUmask >= 0) process.umask(this.savedUmask);
    this.savedUmask = -1;
    this.exactModes = false;
  }

  /**
   * Sets directory times, last, so that creating their content did not change them.
   * @throws {OvError} when a time cannot be set.
   */
  finish(): void {
    this.restoreUmask();
    for (const d of this.deferred) {
      // A later entry may have replaced the directory: only a directory gets a directory's times.
      const st = lstatSync(d.path, { throwIfNoEntry: false });
      if (!st?.isDirectory()) continue;
      try {
        lutimens(d.path, wholeSecondsIfNegative(d.atimeNs), wholeSecondsIfNegative(d.mtimeNs));
      } catch (err) {
        throw sysError(`Cannot set the times of directory ${d.path} in layer ${this.layerId}`, err);
      }
    }
    this.deferred = [];
  }

  /** Closes a file left open by a failed apply. */
  abort(): void {
    this.restoreUmask();
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {}
      this.fd = -1;
    }
  }

  // -------------------------------------------------------------------------

  private probe = (rel: string): Probe => {
    const path = this.abs(rel);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) return { kind: "missing" };
    if (st.isDirectory()) return { kind: "dir" };
    if (st.isSymbolicLink()) return { kind: "symlink", target: readlinkSync(path) };
    return { kind: "other", what: st.isCharacterDevice() ? "a character device (a whiteout?)" : st.isFile() ? "a regular file" : "a special file" };
  };

  /**
   * The real directory (relative to the root) for an archive directory,
   * creating missing ones. Returns null, for whiteouts only, when a component
   * is not a directory.
   */
  private parentDir(dir: string, e: TarEntry, lenient: boolean): string | null {
    const known = this.dirs.get(dir);
    if (known !== undefined) return known;
    let resolved;
    try {
      resolved = resolveDir(this.root, dir, this.probe, e.name);
    } catch (err) {
      if (lenient && err instanceof PathSafetyError && err.reason === "not-a-directory") return null;
      throw err;
    }
    for (const m of resolved.missing) {
      const p = this.abs(m);
      try {
        mkdirSync(p, 0o755);
        // Owned by (mapped) root, as upstream's MkdirAllAndChownNew makes them; in a
        // set-group-ID parent the new directory would otherwise take the parent's group.
        const [uid, gid] = this.ids.toHost(0, 0, this.what(e));
        if (!this.ownedAlready(splitPath(m).dir, uid, gid)) lchown(p, uid, gid);
        chmodSync(p, 0o755); // after chown, which may clear bits; also drops an inherited setgid
        this.plainDirs.add(m);
      } catch (err) {
        throw this.fail(e, "create parent directory", p, err);
      }
    }
    this.dirs.set(dir, resolved.path);
    return resolved.path;
  }

  /** Removes whatever is at `path` (a directory with its content). */
  private removeExisting(e: TarEntry, path: string): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) return;
    this.onReplace?.(`entry ${e.index} (${JSON.stringify(e.name)}) replaces ${path.slice(this.root.length + 1)}`);
    try {
      if (st.isDirectory()) {
        removeTree(path);
        // Cached directories may have been inside it.
        this.dirs = new Map([["", ""]]);
        this.plainDirs = new Set(this.plainDirs.has("") ? [""] : []);
      } else unlinkSync(path);
    } catch (err) {
      throw this.fail(e, "remove", path, err);
    }
  }

  /** Runs `make`; when the path exists, removes it and tries once more. */
  private create(e: TarEntry, path: string, make: () => void, action: string): void {
    try {
      make();
      return;
    } catch (err) {
      if (errCode(err) !== "EEXIST") throw this.fail(e, action, path, err);
    }
    this.removeExisting(e, path);
    try {
      make();
    } catch (err) {
      throw this.fail(e, action, path, err);
    }
  }

  private openFile(e: TarEntry, path: string): void {
    let fd = -1;
    // Created with its final permission bits (the umask is 0 while applying, see begin()),
    // so only set-id and sticky bits, which chown clears or open ignores, need a chmod.
    this.create(e, path, () => (fd = openSync(path, CREATE_FLAGS, e.mode & 0o777)), "create file");
    this.fd = fd;
  }

  private makeDir(e: TarEntry, path: string, uid: number, gid: number): void {
    try {
      mkdirSync(path, 0o700);
    } catch (err) {
      if (errCode(err) !== "EEXIST") throw this.fail(e, "create directory", path, err);
      const st = lstatSync(path);
      if (!st.isDirectory()) {
        this.removeExisting(e, path);
        try {
          mkdirSync(path, 0o700);
        } catch (err2) {
          throw this.fail(e, "create directory", path, err2);
        }
      }
    }
    try {
      lchown(path, uid, gid);
      chmodSync(path, e.mode);
    } catch (err) {
      throw this.fail(e, "set owner and mode of", path, err);
    }
    this.setXattrs(e, path, e.xattrs, null);
    const [a, m] = times(e);
    this.deferred.push({ path, atimeNs: a, mtimeNs: m });
  }

  private hardlink(e: TarEntry, path: string): void {
    const target = normalizeLinkTarget(e.linkname, e.name);
    const { dir, base } = splitPath(target);
    const tdir = this.dirs.get(dir) ?? resolveDir(this.root, dir, this.probe, e.name);
    const tdirPath = typeof tdir === "string" ? tdir : tdir.missing.length ? null : tdir.path;
    if (tdirPath === null) {
      throw new OvError("corrupt", `${this.what(e)}: the hardlink target ${JSON.stringify(e.linkname)} is not in the layer`);
    }
    const targetPath = this.abs(tdirPath === "" ? base : `${tdirPath}/${base}`);
    if (targetPath === path) {
      // Linking a name to itself: nothing to do (removing it first would lose the file).
      return;
    }
    try {
      this.create(e, path, () => linkSync(targetPath, path), "hardlink");
    } catch (err) {
      const cause = err instanceof OvError ? (err.cause as unknown) : err;
      if (errCode(cause) === "ENOENT") {
        throw new OvError("corrupt", `${this.what(e)}: the hardlink target ${JSON.stringify(e.linkname)} is not in the layer`, { cause: err });
      }
      throw err;
    }
  }

  private whiteout(e: TarEntry, real: string): void {
    const path = this.abs(real);
    this.removeExisting(e, path);
    const [uid, gid] = this.hostIds(e);
    try {
      mknodat(AT_FDCWD, path, S_IFCHR, 0n);
      lchown(path, uid, gid);
    } catch (err) {
      throw this.fail(e, "create whiteout", path, err);
    }
  }

  private setXattrs(e: TarEntry, path: string, xattrs: readonly Xattr[], fd: number | null): void {
    for (const x of xattrs) {
      if (IGNORED_XATTRS.has(x.name)) continue;
      if (isOverlayXattr(x.name)) {
        // An archive may say a directory is opaque this way too; everything else of overlay's is dropped.
        if (e.kind === "dir" && x.name.endsWith(".overlay.opaque") && isOpaqueValue(x.value)) {
          this.setXattrPath(e, path, this.opaqueXattr, x.value);
        } else log.debug(`layer ${this.layerId}: entry ${e.index}: overlay xattr ${x.name} dropped`);
        continue;
      }
      try {
        if (fd !== null) fsetxattr(fd, x.name, x.value);
        else lsetxattr(path, x.name, x.value);
      } catch (err) {
        const code = errCode(err);
        // ENOTSUP: the filesystem has no such namespace. EPERM on user.*: the
        // kernel allows user xattrs only on files and directories.
        if (code === "EOPNOTSUPP" || (code === "EPERM" && x.name.startsWith("user.") && e.kind !== "file" && e.kind !== "dir")) {
          if (!this.warnedXattr) log.warn(`layer ${this.layerId}: xattr ${x.name} of ${JSON.stringify(e.name)} not set (${code}); further ones are only logged with --debug`);
          else log.debug(`layer ${this.layerId}: xattr ${x.name} of ${JSON.stringify(e.name)} not set (${code})`);
          this.warnedXattr = true;
          continue;
        }
        throw this.fail(e, `set xattr ${x.name} on`, path, err);
      }
    }
  }

  private setXattrPath(e: TarEntry, path: string, name: string, value: Uint8Array): void {
    try {
      lsetxattr(path, name, value);
    } catch (err) {
      throw this.fail(e, `set xattr ${name} on`, path, err);
    }
  }
}

/** atime and mtime to set: atime never before mtime, as containers-storage does. */
function times(e: TarEntry): [bigint, bigint] {
  const m = e.mtimeNs;
  const a = e.atimeNs !== undefined && e.atimeNs > m ? e.atimeNs : m;
  return [a, m];
}

/** lutimens cannot take a fraction before 1970: use the whole second below. */
function wholeSecondsIfNegative(ns: bigint): bigint {
  if (ns >= 0n || ns % 1_000_000_000n === 0n) return ns;
  return (ns / 1_000_000_000n - 1n) * 1_000_000_000n;
}
