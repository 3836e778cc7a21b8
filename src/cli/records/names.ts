/**
 * `get-names`, `add-names`, `remove-names`, `set-names`: names of a layer,
 * an image or a container (resolved in that order, as upstream's Lookup).
 * A name given to one record is taken from any other record of its kind.
 */
import { defineCommand, type VerbDef } from "../define.ts";
import { OvError } from "../../errors.ts";
import { lookupAny, updateNames, type NameOp } from "../../store/any-kind.ts";
import { allValues, expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

const target = { what: { type: "positional", required: false, description: "Layer, image or container ID or name" } } as const;

export const getNames = defineCommand({
  meta: { name: "get-names", description: "Get layer, image, or container name or names" },
  args: { ...globalArgs, ...jsonArg, ...target },
  async run({ rawArgs }) {
    const ctx = await begin(getNames, rawArgs);
    if (!ctx) return 0;
    const [ref] = expectPositionals(ctx.args, "get-names", 1, 1, "one layer, image or container ID or name");
    const f = lookupAny(ctx.paths, ref!);
    if (!f) throw new OvError("not-found", `Cannot get the names of ${JSON.stringify(ref)}: layer not known`);
    if (ctx.json) out(toJson(f.names));
    else for (const n of f.names) out(n);
    return 0;
  },
});

function namesVerb(name: string, description: string, op: NameOp, flagText: string): VerbDef {
  const cmd: VerbDef = defineCommand({
    meta: { name, description },
    args: { ...globalArgs, ...jsonArg, name: { type: "string", alias: ["n"], description: `${flagText} (repeatable)` }, ...target },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      // Upstream accepts more arguments and acts on the first one only.
      const [ref] = expectPositionals(ctx.args, name, 1, Infinity, "a layer, image or container ID or name");
      const names = await updateNames(ctx.paths, ref!, allValues(ctx.args, "name"), op);
      if (ctx.json) out(toJson(names));
      return 0;
    },
  });
  return cmd;
}

export const addNames = namesVerb("add-names", "Add layer, image, or container name or names", "add", "Name to add");
export const removeNames = namesVerb("remove-names", "Remove layer, image, or container name or names", "remove", "Name to remove");
export const setNames = namesVerb("set-names", "Set layer, image, or container name or names", "set", "New name");
export default getNames;
