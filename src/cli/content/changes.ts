import { defineCommand } from "../define.ts";
import { ChangeKind, goQuote, resolveDiffTarget, targetChanges } from "../../archive/layer.ts";
import { withLayersRead } from "../../store/records/layer-store.ts";
import { expectPositionals, globalArgs, jsonArg } from "../args.ts";
import { begin } from "../context.ts";
import { out, toJson } from "../output.ts";

const WORDS: Record<number, string> = { [ChangeKind.Add]: "Add", [ChangeKind.Modify]: "Modify", [ChangeKind.Delete]: "Delete" };

const cmd = defineCommand({
  meta: { name: "changes", description: "List a layer's changes against its parent or a reference layer" },
  args: {
    ...globalArgs,
    ...jsonArg,
    layer: { type: "positional", required: false, description: "Layer ID or name" },
    reference: { type: "positional", required: false, description: "Reference layer (default: the parent)" },
  },
  async run({ rawArgs }) {
    const ctx = await begin(cmd, rawArgs);
    if (!ctx) return 0;
    const [ref, reference] = expectPositionals(ctx.args, "changes", 1, 2, "a layer and an optional reference layer");
    const changes = await withLayersRead(ctx.paths, (records) => targetChanges(ctx.paths, resolveDiffTarget(ctx.paths, records, ref!, reference, "list the changes of")));
    if (ctx.json) {
      // Go encodes an empty change list (a nil slice) as null.
      out(changes.length ? toJson(changes) : "null");
    } else {
      for (const c of changes) out(`${WORDS[c.Kind] ?? "?"} ${goQuote(c.Path)}`);
    }
    return 0;
  },
});
export default cmd;
