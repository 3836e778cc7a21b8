/**
 * Runs one ovlayer command line in this process: finds the verb, loads only
 * its module, runs it, reports an error as `ovlayer: ...` on stderr, flushes
 * the logs and then stdout, and returns the exit code. main.ts calls it once;
 * `batch` calls it once per line, so each line prints exactly what the
 * separate call would, in the same order.
 */
import { VERSION } from "../version.ts";
import { findVerb } from "./commands.ts";
import { globalArgs, scanArgs } from "./args.ts";
import { setRootArgs } from "./context.ts";
import { flushOut, out, writeErr } from "./output.ts";
import { StdioError } from "./stdio.ts";
import { quoteArg } from "../quote.ts";
import { mark } from "../profile.ts";

/** The environment variables ovlayer reads (config/, archive/apply/digest-client.ts); raw-args.ts checks them. */
export const ENV_READ = ["STORAGE_DRIVER", "STORAGE_OPTS", "CONTAINERS_STORAGE_CONF", "OVLAYER_DIGESTS"] as const;

function hasReplacement(s: string | undefined): boolean {
  return s !== undefined && s.includes("\uFFFD");
}

/** Index of the verb in argv: the first word that is neither a global flag nor a global flag's value. */
export function verbIndex(argv: readonly string[]): number {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-")) break;
    const name = a.replace(/^--?/, "").split("=")[0]!;
    const def = Object.entries(globalArgs).find(([k, d]) => k === name || (d.alias as readonly string[]).includes(name));
    if (def && def[1].type === "string" && !a.includes("=")) i++;
  }
  return i;
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const i = verbIndex(argv);
  const verb = argv[i];
  const before = argv.slice(0, i);
  if (verb === undefined) {
    const pre = scanArgs(before, { ...globalArgs, version: { type: "boolean", alias: ["v"] } }, "");
    if (pre.values.has("version")) {
      out(`ovlayer version ${VERSION}`);
      return 0;
    }
    const usage = await (await import("./help/usage.ts")).helpText();
    if (pre.help) {
      out(usage);
      return 0;
    }
    await writeErr(usage + "\n");
    return 2;
  }
  const entry = findVerb(verb)?.entry;
  if (!entry) {
    const { OvError } = await import("../errors.ts");
    throw new OvError("usage", `Unknown command ${quoteArg(verb)}`, { hint: "run 'ovlayer --help' for the list" });
  }
  setRootArgs(scanArgs(before, globalArgs, verb), before);
  const cmd = (await entry.load()).default;
  mark("verb-module");
  const result = await cmd.run?.({ rawArgs: argv.slice(i + 1) });
  return typeof result === "number" ? result : 0;
}

/**
 * Runs one command line and returns its exit code; nothing of it is left pending afterwards.
 * @param fromProcess argv is the process's own (main.ts): arguments and environment values that are not UTF-8 are refused.
 * @throws {StdioError} when stdout or stderr cannot be written: the run must end.
 */
export async function runArgv(argv: readonly string[], fromProcess = false): Promise<number> {
  const { setDebug } = await import("../log.ts");
  setDebug(false);
  setRootArgs({ values: new Map(), positionals: [], help: false });
  let code: number;
  try {
    // Bad bytes arrive as U+FFFD: only then are the raw bytes looked up (cli/raw-args.ts).
    if (fromProcess && (argv.some(hasReplacement) || ENV_READ.some((k) => hasReplacement(process.env[k])))) {
      const { checkArgv, checkEnv } = await import("./raw-args.ts");
      checkArgv(argv);
      checkEnv(process.env, ENV_READ);
    }
    code = await dispatch(argv);
  } catch (e) {
    if (e instanceof StdioError) throw e; // ends the whole run (main.ts)
    const { reportError } = await import("./report.ts");
    code = await reportError(e);
  }
  mark("verb");
  const { flushLogs } = await import("../log.ts");
  await flushLogs();
  await flushOut();
  mark("output");
  return code;
}
