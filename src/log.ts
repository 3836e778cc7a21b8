/**
 * Every human-facing line on stderr reads `ovlayer: ...`: log lines go
 * through consola with one reporter (formatLine below), and report.ts
 * formats errors with the same function. consola is loaded lazily (importing
 * it costs ~18 ms at start-up) and only its core (no
 * reporter of its own, no process.stdout). Debug lines are queued through the
 * same lazy path so `--debug` never changes what goes to stdout.
 */
import type { ConsolaInstance, LogObject } from "consola/core";

let debugEnabled = false;
let instance: Promise<ConsolaInstance> | undefined;

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

export function isDebug(): boolean {
  return debugEnabled;
}

export type LineKind = "debug" | "info" | "warn" | "error";

const TAGS: Readonly<Record<LineKind, string>> = { debug: "debug: ", info: "", warn: "warning: ", error: "" };

/**
 * THE formatter of every message line: `ovlayer: ` (and `debug: ` or
 * `warning: `) before each line of `text`.
 * @example formatLine("warn", "layer 3f2a: xattr x not set") // "ovlayer: warning: layer 3f2a: xattr x not set\n"
 */
export function formatLine(kind: LineKind, text: string): string {
  return text
    .split("\n")
    .map((l) => `ovlayer: ${TAGS[kind]}${l}\n`)
    .join("");
}

function kindOf(type: LogObject["type"]): LineKind {
  return type === "debug" || type === "trace" || type === "verbose" ? "debug" : type === "warn" ? "warn" : type === "error" || type === "fatal" ? "error" : "info";
}

/** One consola, made on the first line: the promise is kept, so lines queued meanwhile keep their order. */
function logger(): Promise<ConsolaInstance> {
  instance ??= (async () => {
    const [{ createConsola }, { writeStdSync }] = await Promise.all([import("consola/core"), import("./cli/stdio.ts")]);
    return createConsola({
      level: debugEnabled ? 4 : 3,
      throttle: 0, // every line is written, none folded into "(repeated N times)"
      reporters: [
        {
          log(obj: LogObject) {
            writeStdSync(2, formatLine(kindOf(obj.type), obj.args.map(String).join(" ")));
          },
        },
      ],
    });
  })();
  return instance;
}

const pending: Promise<unknown>[] = [];
let failure: unknown;

function emit(kind: LineKind, msg: string): void {
  // A failed write is kept, not left unhandled, and thrown by flushLogs.
  pending.push(logger().then((l) => l[kind](msg)).catch((e: unknown) => (failure ??= e)));
}

export const log = {
  debug(msg: string | (() => string)): void {
    if (debugEnabled) emit("debug", typeof msg === "function" ? msg() : msg);
  },
  info(msg: string): void {
    emit("info", msg);
  },
  warn(msg: string): void {
    emit("warn", msg);
  },
  error(msg: string): void {
    emit("error", msg);
  },
};

/** Waits until every queued log line is written (call before exiting). */
export async function flushLogs(): Promise<void> {
  while (pending.length) await pending.shift();
  if (failure !== undefined) {
    const e = failure;
    failure = undefined;
    throw e;
  }
}
