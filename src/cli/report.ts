/**
 * How errors reach the user: "ovlayer: <message>" on stderr (log.ts
 * formatLine, the one formatter of message lines), then any failed undo, a
 * "hint:" line when there is one, the stack with --debug, and the exit code
 * of the error's kind (errors.ts).
 */
import { errCode, errnoHint, errnoKind, EXIT_CODES, OvError, sysError } from "../errors.ts";
import { formatLine, isDebug } from "../log.ts";
import { SysError } from "../sys/libc.ts";
import { StdioError, writeStd } from "./stdio.ts";

/**
 * The safety net: a raw Node fs error (it has an errno `code` and a
 * `syscall`) that escaped its wrapping is still a failed call of the outside
 * world, not a bug: it goes through the errno policy as the sites do.
 */
function asTyped(e: unknown): unknown {
  if (e instanceof OvError || !(e instanceof Error)) return e;
  if (e instanceof SysError) return new OvError(errnoKind(e.code), e.message, { cause: e, ...hintOf(e.code) });
  const syscall = (e as { syscall?: unknown }).syscall;
  const code = errCode(e);
  if (typeof syscall !== "string" || !code?.startsWith("E")) return e;
  const path = (e as { path?: unknown }).path;
  return sysError(typeof path === "string" ? `Cannot ${syscall} ${path}` : `${syscall} failed`, e);
}

function hintOf(code: string): { hint?: string } {
  const hint = errnoHint(code);
  return hint ? { hint } : {};
}

export function formatError(raw: unknown): { text: string; code: number } {
  const e = asTyped(raw);
  let text: string;
  let code: number;
  if (e instanceof OvError) {
    text = formatLine("error", e.message) + e.also.map((a) => formatLine("error", a)).join("") + (e.hint ? `hint: ${e.hint}\n` : "");
    code = EXIT_CODES[e.kind];
  } else {
    text = formatLine("error", `internal error: ${e instanceof Error ? e.message : String(e)}`);
    code = EXIT_CODES.internal;
  }
  if (isDebug() && e instanceof Error && e.stack) text += e.stack + "\n";
  return { text, code };
}

/** An error's message alone, for the `error` fields of `--json` output: the first line, without "ovlayer: ". */
export function errorLine(e: unknown): string {
  return formatError(e).text.replace(/^ovlayer: /, "").split("\n")[0]!;
}

export async function reportError(e: unknown): Promise<number> {
  const { text, code } = formatError(e);
  await writeStd(2, text);
  return code;
}

/**
 * Runs `fn` for each argument, as containers-storage's multi-argument verbs
 * do: an error for one is reported and the others still run. Returns the exit
 * code of the first error, or 0.
 */
export async function forEachRef<T>(refs: readonly string[], fn: (ref: string) => Promise<T>, onError?: (ref: string, e: unknown) => void): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
    } catch (e) {
      if (e instanceof StdioError) throw e;
      onError?.(ref, e);
      const c = await reportError(e);
      if (code === 0) code = c;
    }
  }
  return code;
}
