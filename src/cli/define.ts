/**
 * How a verb is declared: name and description, its flags in citty's
 * ArgsDef shape (args.ts scans them, usage.ts prints them), and a run
 * function that gets the raw arguments and returns the exit code.
 *
 * citty is used for its types only: loading it costs about 1 ms of every
 * call's start-up (it imports node:util), and its parser is not needed,
 * every verb scans its own flags with args.ts (bench/README.md).
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
