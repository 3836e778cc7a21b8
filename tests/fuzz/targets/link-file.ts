/** The `link` file parser (store/layers/link-file.ts) and an `l/` symlink's target (store/layers/chain-eval.ts). */
import { linkLookup } from "../../../src/store/layers/chain-eval.ts";
import { parseLinkFile } from "../../../src/store/layers/link-file.ts";
import type { FuzzTarget } from "../target.ts";

const enc = (s: string) => Buffer.from(s, "utf8");

export const target: FuzzTarget = {
  name: "link-file",
  seeds: () => [enc("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), enc("ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"), enc(`../${"b".repeat(64)}/diff`), enc("../x/diff")],
  run(input) {
    const text = Buffer.from(input).toString("utf8");
    parseLinkFile(text);
    linkLookup("/fuzz/l/X", text);
  },
};
