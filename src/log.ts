/**
 * Logging to stderr, loaded lazily: importing consola costs ~18 ms at start-up,
 * and most calls log nothing. Debug lines are buffered through the same lazy
 * path so `--debug` never changes what goes to stdout.
 */
import type { ConsolaInstance } from "consola/basic";

let debugEnabled = false;
let instance: ConsolaInstance | undefined;

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

export function isDebug(): boolean {
  return debugEnabled;
}

async function logger(): Promise<ConsolaInstance> {
  if (!instance) {
    const { createConsola } = await import("consola/basic");
    instance = createConsola({
      level: debugEnabled ? 4 : 3,
      stdout: process.stderr,
      stderr: process.stderr,
      formatOptions: { date: false, colors: false, compact: true },
    });
  }
  return instance;
}

const pending: Promise<unknown>[] = [];

function emit(kind: "debug" | "info" | "warn" | "error", msg: string): void {
  pending.push(logger().then((l) => l[kind](msg)));
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
}
