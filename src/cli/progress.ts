/**
 * Progress on stderr where people wait (import-layer, applydiff, diff, check
 * of a big store), only when stderr is a terminal: piped, redirected or in a
 * script nothing is printed. Nothing shows for the first 500 ms, so quick
 * calls stay quiet on a terminal too; then one line is redrawn in place at
 * most 5 times a second and erased at the end, so it never mixes with what
 * follows on stderr and never touches stdout.
 */
import { writeSync } from "node:fs";
import { isatty } from "node:tty";
import { formatProgress } from "./progress-format.ts";

export interface Progress {
  /** Adds to the amount done (bytes, or items for a counted unit). */
  add(n: number): void;
  /** Erases the line (call in `finally`). */
  end(): void;
}

const QUIET: Progress = { add() {}, end() {} };
const DELAY_MS = 500;
const EVERY_MS = 200;

export function startProgress(label: string, opts: { total?: number; unit?: string } = {}): Progress {
  if (!isatty(2)) return QUIET;
  const start = performance.now();
  let last = 0;
  let done = 0;
  let shown = false;
  const draw = (now: number) => {
    const line = formatProgress({ label: `ovlayer: ${label}`, done, unit: opts.unit ?? "bytes", elapsedMs: now - start, ...(opts.total ? { total: opts.total } : {}) });
    try {
      writeSync(2, `\r${line}\x1b[K`);
      shown = true;
    } catch {
      // A terminal that went away: progress is not worth an error.
    }
  };
  return {
    add(n) {
      done += n;
      const now = performance.now();
      if (now - start < DELAY_MS || now - last < EVERY_MS) return;
      last = now;
      draw(now);
    },
    end() {
      if (!shown) return;
      try {
        writeSync(2, "\r\x1b[K");
      } catch {}
      shown = false;
    },
  };
}
