/**
 * Phase marks for profiling one call (bench/profile.ts reads them). Owns no
 * files. With OVLAYER_PROFILE=1 every `mark(label)` records
 * `performance.timeOrigin + performance.now()` (ms since the epoch, so the
 * parent can place the runtime's own start-up: spawn to the first mark) and
 * the marks are written to stderr as `ovlayer-profile <label> <ms>` lines
 * when the process exits, with the time that writing took (`overhead`), which
 * the parent takes out of the exit. Without it a mark is one comparison.
 */
const on = process.env.OVLAYER_PROFILE === "1";
const marks: string[] = [];
const now = (): number => performance.timeOrigin + performance.now();

/** Records that the phase ending here is done. */
export function mark(label: string): void {
  if (on) marks.push(`ovlayer-profile ${label} ${now().toFixed(3)}`);
}

if (on) {
  marks.push(`ovlayer-profile timeOrigin ${performance.timeOrigin.toFixed(3)}`);
  process.on("exit", () => {
    mark("exit");
    const t = now();
    // node:fs only now: importing it at start would add to the phases measured.
    const { writeSync } = import.meta.require("node:fs") as typeof import("node:fs");
    writeSync(2, marks.join("\n") + `\novlayer-profile-overhead ${(now() - t).toFixed(3)}\n`);
  });
}
