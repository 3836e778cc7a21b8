/**
 * The arguments of `copy`, as containers-storage reads them (pure):
 * `[LAYER:]PATH...` sources and a `[LAYER:]PATH` target; `--chown UID[:GID]`.
 */
import { posix } from "node:path";
import { OvError } from "../../errors.ts";
import { quoteArg } from "../../quote.ts";

export interface CopySpec {
  /** Layer ID or name, when the path is inside a layer. */
  layer?: string;
  path: string;
}

/** Splits `LAYER:PATH` at the first ':'; a spec without ':' is a host path. */
export function parseCopySpec(spec: string): CopySpec {
  const i = spec.indexOf(":");
  if (i < 0) return { path: spec };
  return { layer: spec.slice(0, i), path: spec.slice(i + 1) };
}

/**
 * `UID[:GID]` (GID defaults to UID).
 * @throws {OvError} usage on anything but decimal numbers below 2^32.
 */
export function parseChown(s: string): { uid: number; gid: number } {
  const [u, g = u] = s.split(/:(.*)/s) as [string, string?];
  const num = (v: string, what: string): number => {
    if (!/^[0-9]+$/.test(v) || Number(v) > 0xffffffff) throw new OvError("usage", `copy --chown ${quoteArg(s)}: bad ${what} ${quoteArg(v)}`);
    return Number(v);
  };
  return { uid: num(u, "UID"), gid: num(g ?? u, "GID") };
}

/**
 * The archive name (relative to the target root) a source gets, as
 * CopyWithTar places it: a directory's contents go into the target
 * directory; a file becomes the target, or goes into it when the target
 * ends with '/'.
 */
export function copyDestName(targetPath: string, sourcePath: string, sourceIsDir: boolean): string {
  let dest = targetPath;
  if (!sourceIsDir && dest.endsWith("/")) dest = posix.join(dest, posix.basename(sourcePath));
  const out: string[] = [];
  for (const c of dest.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") out.pop();
    else out.push(c);
  }
  return out.join("/");
}
