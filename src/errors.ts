/**
 * One error type for everything ovlayer reports, with a kind from a closed
 * list. main.ts maps the kind to the process exit code (table below, also in
 * the README). Exit code 1 is kept for "the answer is no" (`exists` of a
 * missing layer, `check` that found problems), as containers-storage does.
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

/** The hint we give for every EPERM/EACCES on a privileged operation. */
export const ROOT_HINT = "run as root or with CAP_SYS_ADMIN";

/** The kind of a failed call's errno code: EACCES and EPERM "permission", ENOENT "not-found", EBUSY "busy", the rest "sys". */
export function errnoKind(code: string | undefined): ErrorKind {
  return code === "EACCES" || code === "EPERM" ? "permission" : code === "ENOENT" ? "not-found" : code === "EBUSY" ? "busy" : "sys";
}

/**
 * Wraps a failed filesystem call into an OvError of its errno's kind
 * (errnoKind), with the root hint for a permission error.
 */
export function fsError(what: string, e: unknown): OvError {
  const kind = errnoKind(errCode(e));
  return new OvError(kind, `${what}: ${describeCause(e)}`, {
    cause: e,
    hint: kind === "permission" ? ROOT_HINT : undefined,
  });
}
