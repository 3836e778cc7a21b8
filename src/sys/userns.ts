/**
 * User namespaces and ID-mapped mounts (open_tree(2) + mount_setattr(2)
 * with MOUNT_ATTR_IDMAP), in ovlayer's own process: no program is run.
 *
 * A user-namespace fd needs a process in that namespace. The process is made
 * with libc's clone(fn, stack, CLONE_NEWUSER, arg) where fn is libc's own
 * sleep() and arg its seconds: the child is a copy of only the calling
 * thread, runs nothing but sleep() on its own small stack and then exit(2)
 * from clone's own code, never returning into Bun's (Bun's other threads do
 * not exist in it; glibc's clone, unlike fork, runs no atfork handlers and
 * takes no lock). sleep rather than pause: should ovlayer be killed before it
 * kills the child, the orphan is gone after CHILD_SECONDS anyway (a child
 * cannot be given PR_SET_PDEATHSIG without running code of ours in it). All signals are blocked in the calling
 * thread across the clone, so the child starts with every signal blocked and
 * no signal handler of Bun's can run in it; its exit signal is 0, so no
 * SIGCHLD reaches Bun's child reaper, and it is reaped here with __WALL.
 * The parent writes its uid_map and gid_map, opens /proc/PID/ns/user, then
 * SIGKILLs and reaps it: the namespace lives on through the fd.
 *
 * These symbols are in their own dlopen, made on first use, so verbs that
 * never map IDs do not pay for it at start-up.
 */
import { dlopen, ptr, read, type Pointer } from "bun:ffi";
import { closeSync, openSync, writeSync } from "node:fs";
import { AT_FDCWD, close, cstr, O, open, SysError, syscall } from "./libc.ts";
import { errnoName } from "./errno.ts";

export interface NsMapEntry {
  container_id: number;
  host_id: number;
  size: number;
}

const CLONE_NEWUSER = 0x10000000;
/** How long the namespace's process lives at most: ample for two /proc writes and an open. */
const CHILD_SECONDS = 30;
const SIGKILL = 9;
const SIG_SETMASK = 2;
const SIG_BLOCK = 0;
const WALL = 0x40000000;
const NR = { open_tree: 428, mount_setattr: 442 } as const;
export const OPEN_TREE_CLONE = 1;
export const OPEN_TREE_CLOEXEC = 0o2000000;
export const AT_EMPTY_PATH = 0x1000;
export const MOUNT_ATTR_IDMAP = 0x00100000;
/** sizeof(struct mount_attr), MOUNT_ATTR_SIZE_VER0. */
const MOUNT_ATTR_SIZE = 32;

type Lib = ReturnType<typeof load>;
let lib: Lib | undefined;

function load() {
  return dlopen("libc.so.6", {
    __errno_location: { args: [], returns: "ptr" },
    clone: { args: ["ptr", "ptr", "i32", "ptr"], returns: "i32" },
    dlsym: { args: ["ptr", "cstring"], returns: "ptr" },
    pthread_sigmask: { args: ["i32", "ptr", "ptr"], returns: "i32" },
    kill: { args: ["i32", "i32"], returns: "i32" },
    waitpid: { args: ["i32", "ptr", "i32"], returns: "i32" },
  });
}

function L(): Lib {
  lib ??= load();
  return lib;
}

let errnoPtr: Pointer | undefined;

/** errno of the calling thread; read right after the failing call. */
function errnoNow(): number {
  errnoPtr ??= L().symbols.__errno_location() as Pointer;
  return read.i32(errnoPtr, 0);
}

/** Formats an ID map as /proc/PID/uid_map wants it: "inside outside count" lines. */
export function procMapText(map: readonly NsMapEntry[]): string {
  return map.map((m) => `${m.container_id} ${m.host_id} ${m.size}\n`).join("");
}

function writeProc(path: string, text: string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * A new user namespace with these maps (empty maps: nothing mapped), as an
 * fd (close-on-exec) the caller closes. Needs CAP_SETUID/CAP_SETGID for
 * maps other than the caller's own IDs.
 * @throws {SysError} clone (EPERM in a chroot, ENOSPC when user namespaces are off), or the /proc writes.
 */
export function userNamespaceFd(uidmap: readonly NsMapEntry[], gidmap: readonly NsMapEntry[]): number {
  const S = L().symbols;
  const sleep = S.dlsym(null, "sleep");
  if (!sleep) throw new SysError("dlsym sleep", 2 /* ENOENT */);
  const stack = new Uint8Array(64 * 1024);
  const end = ptr(stack) + stack.length - 64; // pointers pass 2^32: no bitwise ops
  const top = end - (end % 16);
  const all = new Uint8Array(128).fill(0xff);
  const old = new Uint8Array(128);
  const rc = S.pthread_sigmask(SIG_BLOCK, all, old);
  if (rc !== 0) throw new SysError("pthread_sigmask", rc);
  let pid: number;
  let cloneErr = 0;
  try {
    pid = S.clone(sleep, top as unknown as Pointer, CLONE_NEWUSER, CHILD_SECONDS as unknown as Pointer);
    if (pid < 0) cloneErr = errnoNow();
  } finally {
    S.pthread_sigmask(SIG_SETMASK, old, null);
  }
  if (pid < 0) throw new SysError("clone CLONE_NEWUSER", cloneErr);
  try {
    writeProc(`/proc/${pid}/uid_map`, procMapText(uidmap));
    writeProc(`/proc/${pid}/gid_map`, procMapText(gidmap));
    return open(`/proc/${pid}/ns/user`, O.RDONLY | O.CLOEXEC);
  } finally {
    S.kill(pid, SIGKILL);
    const status = new Int32Array(1);
    for (let i = 0; i < 1000; i++) {
      const r = S.waitpid(pid, status, WALL);
      if (r === pid) break;
      if (r < 0 && errnoName(errnoNow()) !== "EINTR") break;
    }
  }
}

/** open_tree(2) with OPEN_TREE_CLONE: a detached copy of the mount at `path` (not its submounts), as an fd. */
export function openTreeClone(path: string): number {
  return syscall(`open_tree ${path}`, NR.open_tree, AT_FDCWD, cstr(path), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
}

/** mount_setattr(2) MOUNT_ATTR_IDMAP on a detached mount: its IDs are seen through `usernsFd`'s maps. */
export function setIdmap(treeFd: number, usernsFd: number): void {
  const attr = new DataView(new ArrayBuffer(MOUNT_ATTR_SIZE));
  attr.setBigUint64(0, BigInt(MOUNT_ATTR_IDMAP), true); // attr_set
  attr.setBigUint64(24, BigInt(usernsFd), true); // userns_fd
  syscall("mount_setattr MOUNT_ATTR_IDMAP", NR.mount_setattr, treeFd, cstr(""), AT_EMPTY_PATH, new Uint8Array(attr.buffer), MOUNT_ATTR_SIZE);
}

export { close as closeFd };
