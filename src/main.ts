/**
 * ovlayer's entry: finds the verb, loads only its module, runs it, and maps
 * errors to the exit codes of errors.ts. Data goes to stdout, everything
 * else to stderr.
 */
import { VERSION } from "./version.ts";

async function main(argv: string[]): Promise<number> {
  const [{ COMMANDS }, { scanArgs, globalArgs }, { setRootArgs }] = await Promise.all([
    import("./cli/commands.ts"),
    import("./cli/args.ts"),
    import("./cli/context.ts"),
  ]);
  // Global flags may come before the verb: find the first word that is not a flag or a flag's value.
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-")) break;
    const name = a.replace(/^--?/, "").split("=")[0]!;
    const def = Object.entries(globalArgs).find(([k, d]) => k === name || (d.alias as readonly string[]).includes(name));
    if (def && def[1].type === "string" && !a.includes("=")) i++;
  }
  const verb = argv[i];
  const before = argv.slice(0, i);
  const { out } = await import("./cli/output.ts");
  if (verb === undefined) {
    const pre = scanArgs(before, { ...globalArgs, version: { type: "boolean", alias: ["v"] } }, "");
    if (pre.values.has("version")) {
      out(`ovlayer version ${VERSION}`);
      return 0;
    }
    const usage = await (await import("./cli/usage.ts")).helpText();
    if (pre.help) {
      out(usage);
      return 0;
    }
    await Bun.write(Bun.stderr, usage + "\n");
    return 2;
  }
  const entry = Object.hasOwn(COMMANDS, verb) ? COMMANDS[verb] : undefined;
  if (!entry) {
    const { OvError } = await import("./errors.ts");
    throw new OvError("usage", `Unknown command ${JSON.stringify(verb)}`, { hint: "run 'ovlayer --help' for the list" });
  }
  setRootArgs(scanArgs(before, globalArgs, verb));
  const cmd = (await entry.load()).default;
  const result = await cmd.run?.({ rawArgs: argv.slice(i + 1) });
  return typeof result === "number" ? result : 0;
}

async function reportError(e: unknown): Promise<number> {
  const { reportError: report } = await import("./cli/report.ts");
  return report(e);
}

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  // Fast path for init scripts and the start-up benchmark: nothing else is loaded.
  await Bun.write(Bun.stdout, `ovlayer version ${VERSION}\n`);
} else {
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    code = await reportError(e);
  }
  const [{ flushOut }, { flushLogs }] = await Promise.all([import("./cli/output.ts"), import("./log.ts")]);
  await flushLogs();
  await flushOut();
  process.exitCode = code;
}
