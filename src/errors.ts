/**
 * One error type for everything ovlayer reports, with a kind from a closed
 * list, and the one policy that turns a failed call's errno into such an
 * error (sysError). main.ts maps the kind to the process exit code (table
 * below, also in the README). Exit code 1 is kept for "the answer is no"
 * (`exists` of a missing layer, `check` that found problems), as
 * containers-storage does.
 */
export type ErrorKind =
  | "usage"
  | "not-found"
  | "conflict"
  | "corrupt"
  | "busy"
  | "permission"
  | "unsupported"
  | "sys"
  | "internal";

export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  usage: 2,
  "not-found": 3,
  conflict: 4,
  corrupt: 5,
  busy: 6,
  permission: 7,
  unsupported: 8,
  sys: 9,
  internal: 70,
};

export interface OvErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class OvError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  /** What else went wrong while undoing the failed step (reported after the message, never instead of it). */
  readonly also: string[] = [];
  constructor(kind: ErrorKind, message: string, opts: OvErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "OvError";
    this.kind = kind;
    if (opts.hint) this.hint = opts.hint;
  }
}

/** The errno code ("ENOENT") of a Node fs error or a SysError, if any. */
export function errCode(e: unknown): string | undefined {
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return (e as { code: string }).code;
  }
  return undefined;
}

/** Short text of a cause for an error message: the errno code and the call. */
export function describeCause(e: unknown): string {
  if (e instanceof Error) {
    const code = errCode(e);
    const syscall = (e as { syscall?: string }).syscall;
    if (code && syscall) return `${syscall}: ${code}`;
    return e.message;
  }
  return String(e);
}

/** The hint for EPERM/EACCES when ovlayer does not run as root. */
export const ROOT_HINT = "run as root or with CAP_SYS_ADMIN";

/** The hints for EPERM/EACCES when root itself was refused: being root is not the answer there. */
export const ROOT_REFUSED_HINT: Readonly<Record<"EPERM" | "EACCES", string>> = {
  EPERM:
    "root was refused: the file may be immutable or append-only (see `lsattr`, `chattr -i`), or a security module (SELinux, AppArmor) or a user namespace without CAP_SYS_ADMIN denied the call",
  EACCES: "root was refused: look for a security module denial (SELinux, AppArmor: the audit log) or a filesystem mounted without write access for root (NFS root squash)",
};

export interface SysErrorContext {
  /** The path the call was about (default: the Node error's own `path`). */
  path?: string;
  /** Whether the process runs as root (default: its effective uid is 0); tests set it. */
  root?: boolean;
}

/** Bytes of a string in UTF-8: the unit of every kernel name and path limit. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

interface Policy {
  kind: ErrorKind;
  /** The sentence that replaces the bare errno code in the message. */
  text?: (path: string | undefined) => string;
  hint?: (root: boolean) => string;
}

function longest(path: string): string {
  const parts = path.split("/");
  let best = "";
  for (const p of parts) if (utf8Length(p) > utf8Length(best)) best = p;
  return best;
}

/** What each errno means for the user; codes not listed are "sys" with the bare code. */
const POLICY: Readonly<Record<string, Policy>> = {
  EPERM: { kind: "permission", hint: (root) => (root ? ROOT_REFUSED_HINT.EPERM : ROOT_HINT) },
  EACCES: { kind: "permission", hint: (root) => (root ? ROOT_REFUSED_HINT.EACCES : ROOT_HINT) },
  ENOENT: { kind: "not-found" },
  EBUSY: { kind: "busy" },
  EROFS: {
    kind: "permission",
    text: (p) => (p ? `the store at ${p} is on a read-only filesystem (EROFS)` : "the store is on a read-only filesystem (EROFS)"),
    hint: () => "remount that filesystem read-write, or point --graph/--run at a store on a writable one",
  },
  ENOSPC: {
    kind: "sys",
    text: (p) => `no space left on the device holding ${p ?? "the store"} (ENOSPC)`,
    hint: () => "free some space (or inodes: `df -i`) on that filesystem and run the command again",
  },
  EDQUOT: {
    kind: "sys",
    text: (p) => `the disk quota on the filesystem holding ${p ?? "the store"} is used up (EDQUOT)`,
    hint: () => "free some space or ask for a larger quota (`quota -v` shows it), then run the command again",
  },
  EMFILE: {
    kind: "sys",
    text: () => "too many open files: this process reached its limit of open file descriptors (EMFILE)",
    hint: () => "raise the limit (`ulimit -n 65536`, or LimitNOFILE= in a systemd unit) and run the command again",
  },
  ENFILE: {
    kind: "sys",
    text: () => "too many open files in the whole system (ENFILE)",
    hint: () => "close some files or raise the system limit (sysctl fs.file-max)",
  },
  ENAMETOOLONG: {
    kind: "sys",
    text: (p) => {
      if (p === undefined) return "a path or name is too long (ENAMETOOLONG): the limits are 4095 bytes for a path and 255 for a name";
      const name = longest(p);
      return `the path ${p} is too long (ENAMETOOLONG): ${utf8Length(p)} bytes (the limit is 4095), its longest name ${utf8Length(name)} bytes (the limit is 255)`;
    },
    hint: () => "use a store (--graph/--run) with a shorter path, or shorter layer IDs",
  },
};

function policyOf(code: string | undefined): Policy | undefined {
  return code !== undefined && Object.hasOwn(POLICY, code) ? POLICY[code] : undefined;
}

/** The kind of a failed call's errno code ("EPERM" -> "permission"); unlisted codes are "sys". */
export function errnoKind(code: string | undefined): ErrorKind {
  return policyOf(code)?.kind ?? "sys";
}

/** The policy's sentence for an errno code ("no space left on the device holding PATH (ENOSPC)"), if it has one. */
export function errnoText(code: string | undefined, path?: string): string | undefined {
  return policyOf(code)?.text?.(path);
}

/** The hint for an errno code, fit for the caller (root or not), if there is one. */
export function errnoHint(code: string | undefined, root: boolean = isRoot()): string | undefined {
  return policyOf(code)?.hint?.(root);
}

function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

/**
 * THE errno policy: wraps a failed call into an OvError of its errno's kind,
 * with a message a user can act on (ENOSPC names the device's path, EROFS the
 * read-only store, ENAMETOOLONG the lengths and limits) and a hint that fits
 * the caller (root is never told to run as root).
 * @param what what failed, naming the layer or file: "Cannot create layer X in P"
 * @example sysError("Cannot write /s/overlay-layers/layers.json", e) // ENOSPC -> "...: no space left on the device holding /s/overlay-layers/layers.json (ENOSPC)"
 */
export function sysError(what: string, e: unknown, ctx: SysErrorContext = {}): OvError {
  if (e instanceof OvError) return e;
  const code = errCode(e);
  const path = ctx.path ?? pathOf(e);
  const detail = errnoText(code, path) ?? describeCause(e);
  const hint = errnoHint(code, ctx.root ?? isRoot());
  return new OvError(errnoKind(code), `${what}: ${detail}`, { cause: e, ...(hint ? { hint } : {}) });
}

function pathOf(e: unknown): string | undefined {
  const p = e && typeof e === "object" && "path" in e ? (e as { path: unknown }).path : undefined;
  return typeof p === "string" ? p : undefined;
}

/**
 * Runs the undo steps of a failed operation and rethrows `original`: a step
 * that fails is recorded in the error's `also`, never thrown in its place.
 */
export function rollback(original: unknown, ...steps: (() => void)[]): never {
  for (const step of steps) {
    try {
      step();
    } catch (e) {
      if (original instanceof OvError) original.also.push(`undoing it failed too: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw original;
}
