/**
 * ovlayer's entry: the `--version` fast path, else one command line run by
 * cli/dispatch.ts (loaded lazily, like every verb), whose code becomes the
 * process exit code. Data goes to stdout, everything else to stderr.
 */
import { VERSION } from "./version.ts";
import { mark } from "./profile.ts";

mark("runtime");
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  // Fast path for init scripts and the start-up benchmark: nothing else is loaded.
  try {
    await Bun.write(Bun.stdout, `ovlayer version ${VERSION}\n`);
  } catch (e) {
    const { StdioError, reportStdioError } = await import("./cli/stdio.ts"); // loaded only on failure
    process.exitCode = reportStdioError(new StdioError(1, e));
  }
} else {
  const [{ runArgv }, { StdioError, reportStdioError }] = await Promise.all([import("./cli/dispatch.ts"), import("./cli/stdio.ts")]);
  mark("dispatch-modules");
  try {
    process.exitCode = await runArgv(argv, true);
  } catch (e) {
    if (!(e instanceof StdioError)) throw e;
    process.exitCode = reportStdioError(e);
  }
}
