/**
 * How a verb is declared: name and description, its flags in citty's
 * ArgsDef shape, and a run function that gets the raw arguments and returns
 * the exit code.
 *
 * The division of labour with citty:
 *   - running a verb never loads citty: main.ts finds the verb, args.ts scans
 *     its flags (strict about unknown flags, keeping repeated ones, as
 *     containers-storage does, which citty's parser does not), and loading
 *     citty would add ~1 ms (node:util) to every call (bench/README.md);
 *   - citty holds the command tree (tree.ts: every verb as a sub-command,
 *     its flags loaded on demand), imported only on the `--help` path, which
 *     renders it in containers-storage's plain style (usage.ts), and by the
 *     shell-completion and man-page generators that read the same tree.
 */
import type { ArgsDef } from "citty";

export interface VerbDef<T extends ArgsDef = ArgsDef> {
  meta: { name: string; description: string };
  args: T;
  run(ctx: { rawArgs: string[] }): number | Promise<number>;
}

/** Declares a verb (an identity function, for the types). */
export function defineCommand<T extends ArgsDef>(def: VerbDef<T>): VerbDef<T> {
  return def;
}

/**
 * What main.ts calls of a verb module's default export. A method, so that a
 * verb still declared with citty's own defineCommand fits as well.
 */
export interface RunnableVerb {
  run?(ctx: { rawArgs: string[] }): unknown;
}
