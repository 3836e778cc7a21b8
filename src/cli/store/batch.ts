/**
 * `ovlayer batch [--keep-going] [FILE|-]`: runs many commands in one process,
 * as iproute2's `ip -batch` does, to spare a boot script one start-up per
 * call. Each line is a command line as it would follow `ovlayer`; the global
 * flags given to `batch` come first on every line, so a line's own flags
 * override them (and its --storage-opt values add to them).
 *
 * Each line runs through the same path as a separate call (cli/dispatch.ts):
 * it reads the store afresh, takes and releases its locks, and prints exactly
 * what that call would print. The batch stops at the first failing line and
 * exits with its code, after naming the line on stderr; with --keep-going it
 * runs every line and exits with the first failure's code.
 */
import { readFileSync } from "node:fs";
import type { ArgsDef } from "citty";
import { sysError } from "../../errors.ts";
import { boolFlag, expectPositionals, globalArgs, type ScannedArgs } from "../args.ts";
import { decodeBatch, parseBatch } from "./batch-script.ts";
import { rootArgsRaw, scanOwn } from "../context.ts";
import { defineCommand } from "../define.ts";
import { runArgv, verbIndex } from "../dispatch.ts";
import { flushOut, writeErr } from "../output.ts";

const args = {
  ...globalArgs,
  "keep-going": { type: "boolean", alias: ["k"], description: "Run every line, then exit with the first failure's code" },
  file: { type: "positional", required: false, description: "The script (default, or -: standard input)" },
} satisfies ArgsDef;

/** The global flags given to `batch` itself, as raw arguments to put before every line. */
function globalRaw(own: ScannedArgs): string[] {
  const raw = [...rootArgsRaw()];
  for (const name of Object.keys(globalArgs)) {
    for (const v of own.values.get(name) ?? []) raw.push(`--${name}=${v}`);
  }
  return raw;
}

const cmd = defineCommand({
  meta: { name: "batch", description: "Run commands from a file or stdin, one per line, in one process" },
  args,
  async run({ rawArgs }) {
    const own = await scanOwn(cmd, rawArgs);
    if (!own) return 0;
    const [file] = expectPositionals(own, "batch", 0, 1, "at most one script file");
    let bytes: Uint8Array;
    try {
      bytes = !file || file === "-" ? new Uint8Array(await Bun.stdin.arrayBuffer()) : readFileSync(file);
    } catch (e) {
      throw sysError(`batch: cannot read ${file}`, e);
    }
    const lines = parseBatch(decodeBatch(bytes));
    const prefix = globalRaw(own);
    const keepGoing = boolFlag(own, "keep-going");
    await flushOut();
    let first = 0;
    for (const { line, words } of lines) {
      const argv = [...prefix, ...words];
      let code: number;
      if (argv[verbIndex(argv)] === "batch") {
        await writeErr(`ovlayer: batch: line ${line}: a batch line cannot run batch\n`);
        code = 2;
      } else code = await runArgv(argv);
      if (code !== 0) {
        await writeErr(`ovlayer: batch: line ${line} (${words[0]}) failed with exit code ${code}\n`);
        if (first === 0) first = code;
        if (!keepGoing) break;
      }
    }
    return first;
  },
});
export default cmd;
