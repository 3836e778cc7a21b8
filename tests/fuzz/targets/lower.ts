/** The `lower` and `lower-layers` parsers (store/layers/lower.ts). */
import { linkNamesIn, parseLower, parseLowerLayers } from "../../../src/store/layers/lower.ts";
import type { FuzzTarget } from "../target.ts";

const ID = "a".repeat(64);
const ID2 = "0123456789abcdef".repeat(4);
const enc = (s: string) => Buffer.from(s, "utf8");

export const target: FuzzTarget = {
  name: "lower",
  seeds: () => [enc("l/ABCDEFGHIJKLMNOPQRSTUVWXYZ:l/ZYXWVUTSRQPONMLKJIHGFEDCBA"), enc(`${ID}:${ID2}`), enc(`l/ABCDEFGHIJKLMNOPQRSTUVWXYZ:${ID}`), enc(`${ID}\n`)],
  run(input) {
    const text = Buffer.from(input).toString("utf8");
    parseLower(text, "/fuzz/lower");
    parseLowerLayers(text, "/fuzz/lower-layers");
    linkNamesIn(text);
  },
};
