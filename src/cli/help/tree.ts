/**
 * The command tree in citty's shape: the root `ovlayer` with its global
 * flags, and every verb as a lazily loaded sub-command (citty's
 * `() => import(...)` form): its own module's definition, name, description
 * and flags, loaded only when that sub-command is resolved.
 * It is what `--help` renders (usage.ts) and what shell completion and
 * man-page generation read. citty is imported here, and this module only on
 * those paths: never when a verb runs (define.ts says why).
 */
import type { ArgsDef, CommandDef, CommandMeta } from "citty";
import { VERSION } from "../../version.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each verb has its own ArgsDef
export type AnyCommand = CommandDef<any>;

/** The whole tree. */
export async function commandTree(): Promise<AnyCommand> {
  const [{ defineCommand }, { COMMANDS }, { globalArgs }] = await Promise.all([import("citty"), import("../commands.ts"), import("../args.ts")]);
  const subCommands: Record<string, () => Promise<AnyCommand>> = {};
  for (const [name, entry] of Object.entries(COMMANDS)) {
    subCommands[name] = async () => {
      const cmd = (await entry.load()).default as AnyCommand;
      // `umount` is `unmount`'s module: each node is named by the word that reaches it.
      return { ...cmd, meta: { ...((await resolve(cmd.meta ?? {})) as CommandMeta), name } };
    };
  }
  return defineCommand({
    meta: { name: "ovlayer", version: VERSION, description: "Manage container image layers in a containers/storage overlay store" },
    args: globalArgs,
    subCommands,
  });
}

/** Resolves a citty Resolvable: a value, or a function (sync or async) returning one. */
export async function resolve<T>(v: T | (() => T | Promise<T>)): Promise<T> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : v;
}

/** A node's name, description and flags, resolved (loading a verb's module for its flags). */
export async function resolved(cmd: AnyCommand): Promise<{ meta: CommandMeta; args: ArgsDef }> {
  const [meta, args] = await Promise.all([resolve(cmd.meta ?? {}), resolve(cmd.args ?? {})]);
  return { meta: meta as CommandMeta, args: args as ArgsDef };
}

/**
 * One sub-command of a node, loaded; undefined for an unknown word. A verb's
 * alias (commands.ts) reaches the verb's node, named by the alias.
 */
export async function subCommand(cmd: AnyCommand, name: string): Promise<AnyCommand | undefined> {
  const subs = (await resolve(cmd.subCommands ?? {})) as Record<string, AnyCommand | (() => Promise<AnyCommand>)>;
  if (Object.hasOwn(subs, name)) return await resolve(subs[name]!);
  const { findVerb } = await import("../commands.ts");
  const canonical = findVerb(name)?.name;
  if (canonical === undefined || !Object.hasOwn(subs, canonical)) return undefined;
  const node = await resolve(subs[canonical]!);
  return { ...node, meta: { ...((await resolve(node.meta ?? {})) as CommandMeta), name } };
}

/** The words of a node's sub-commands, in declaration order, without loading them. */
export async function subCommandNames(cmd: AnyCommand): Promise<string[]> {
  return Object.keys((await resolve(cmd.subCommands ?? {})) as object);
}
