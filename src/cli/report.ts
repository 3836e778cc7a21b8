/**
 * How errors reach the user: "ovlayer: <message>" on stderr (log.ts
 * formatLine, the one formatter of message lines), then any failed undo, a
 * "hint:" line when there is one, the stack with --debug, and the exit code
 * of the error's kind (errors.ts).
 */
import { EXIT_CODES, OvError } from "../errors.ts";
import { formatLine, isDebug } from "../log.ts";
import { SysError } from "../sys/libc.ts";
import { StdioError, writeStd } from "./stdio.ts";

export function formatError(e: unknown): { text: string; code: number } {
  let text: string;
  let code: number;
  if (e instanceof OvError) {
    text = formatLine("error", e.message) + e.also.map((a) => formatLine("error", a)).join("") + (e.hint ? `hint: ${e.hint}\n` : "");
    code = EXIT_CODES[e.kind];
  } else if (e instanceof SysError) {
    text = formatLine("error", e.message);
    code = EXIT_CODES.sys;
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
