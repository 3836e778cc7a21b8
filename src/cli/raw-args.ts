/**
 * Arguments and environment values that are not UTF-8 are refused, never
 * rewritten. Bun decodes argv and the environment with U+FFFD in place of
 * bad bytes, so `--graph $'/x/\xff'` would silently become another path. When
 * (and only when) a value contains U+FFFD, its raw bytes are read from
 * /proc/self/cmdline or /proc/self/environ (NUL-separated) and checked; a
 * real U+FFFD typed by the user (bytes EF BF BD) passes. Reads no files
 * otherwise, so the common case costs one scan of each string.
 */
import { readFileSync } from "node:fs";
import { OvError } from "../errors.ts";
import { cutShown } from "../quote.ts";


const REPLACEMENT = "\uFFFD";
const strict = new TextDecoder("utf-8", { fatal: true });

/** True when `b` is valid UTF-8. */
export function isUtf8(b: Uint8Array): boolean {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads /proc/self/FILE. Without /proc (a bare chroot) a U+FFFD cannot be told
 * from a replaced byte, so it is refused rather than guessed.
 * @throws {OvError} usage when the file cannot be read.
 */
function readProc(file: "cmdline" | "environ", what: string): Uint8Array {
  try {
    return readFileSync(`/proc/self/${file}`);
  } catch (e) {
    throw new OvError("usage", `${what} contains U+FFFD and /proc/self/${file} cannot be read to tell whether it was given so or is a byte that is not UTF-8; ovlayer refuses it`, {
      cause: e,
      hint: "mount /proc, or give the value without U+FFFD",
    });
  }
}

/** Splits a NUL-separated /proc file into its byte strings (a trailing NUL ends the last one). */
export function splitNul(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

/** Shows bytes as text with each byte that is not valid UTF-8 as \xNN, for messages. */
export function showBytes(b: Uint8Array): string {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const n = seqLen(b, i);
    if (n === 0) {
      s += `\\x${b[i]!.toString(16).padStart(2, "0")}`;
      i++;
    } else {
      s += Buffer.from(b.subarray(i, i + n)).toString("utf8");
      i += n;
    }
  }
  return s;
}

/** Length of the valid UTF-8 sequence at `i`, or 0. */
function seqLen(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  return isUtf8(b.subarray(i, i + n)) ? n : 0;
}

/** "argument 3 (the value of --graph)", "argument 2 (--id=...)", "argument 4". */
export function argName(argv: readonly string[], i: number): string {
  const a = argv[i]!;
  const prev = i > 0 ? argv[i - 1]! : "";
  const flag = /^--?[A-Za-z][\w-]*=/.exec(a)?.[0].slice(0, -1);
  if (flag) return `Argument ${i + 1} (${flag}=...)`;
  if (!a.startsWith("-") && /^--?[A-Za-z][\w-]*$/.test(prev)) return `Argument ${i + 1} (the value of ${prev})`;
  return `Argument ${i + 1}`;
}

/**
 * Checks `argv` (the arguments after the program) against the raw command line.
 * @param cmdline the bytes of /proc/self/cmdline (read only when needed when omitted)
 * @throws {OvError} usage naming the first argument that is not UTF-8.
 */
export function checkArgv(argv: readonly string[], cmdline?: Uint8Array): void {
  if (!argv.some((a) => a.includes(REPLACEMENT))) return;
  const raw = splitNul(cmdline ?? readProc("cmdline", "an argument"));
  const tail = raw.slice(raw.length - argv.length);
  if (tail.length !== argv.length) return; // cannot line them up: nothing to compare with
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i]!.includes(REPLACEMENT) || isUtf8(tail[i]!)) continue;
    throw new OvError("usage", `${argName(argv, i)} ${cutShown(showBytes(tail[i]!), tail[i]!.length)} is not valid UTF-8; ovlayer refuses it rather than change it`, {
      hint: "paths, IDs and names given to ovlayer must be UTF-8",
    });
  }
}

/**
 * Checks the environment variables ovlayer reads (`names`: dispatch.ts ENV_READ) against the raw environment.
 * @param environ the bytes of /proc/self/environ (read only when needed when omitted)
 * @throws {OvError} usage naming the variable whose value is not UTF-8.
 */
export function checkEnv(env: Record<string, string | undefined>, names: readonly string[], environ?: Uint8Array): void {
  const suspect = names.filter((k) => env[k]?.includes(REPLACEMENT));
  if (suspect.length === 0) return;
  const raw = splitNul(environ ?? readProc("environ", `$${suspect[0]}`));
  for (const entry of raw) {
    const eq = entry.indexOf(0x3d);
    if (eq <= 0) continue;
    const name = Buffer.from(entry.subarray(0, eq)).toString("latin1");
    if (!suspect.includes(name)) continue;
    const value = entry.subarray(eq + 1);
    if (!isUtf8(value)) {
      throw new OvError("usage", `$${name} ${cutShown(showBytes(value), value.length)} is not valid UTF-8; ovlayer refuses it rather than change it`);
    }
  }
}
