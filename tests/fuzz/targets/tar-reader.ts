/** The streaming tar parser (archive/tar/reader.ts) on whole archives, fed in two chunks. */
import { TarParser } from "../../../src/archive/tar/reader.ts";
import type { FuzzTarget } from "../target.ts";
import { fixTarChecksums, tarSeeds } from "./seeds-tar.ts";

export const target: FuzzTarget = {
  name: "tar-reader",
  seeds: tarSeeds,
  fixup: fixTarChecksums,
  unit: 512,
  run(input) {
    const p = new TarParser({ entry() {}, data() {}, entryEnd() {}, raw() {}, globalHeader() {} });
    const cut = input.length >> 1;
    p.push(input.subarray(0, cut));
    p.push(input.subarray(cut));
    p.finish();
  },
};
