/**
 * The tar parser applying to a real directory (archive/apply/sink.ts): the
 * runner checks that nothing outside the case's directory changed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ApplySink } from "../../../src/archive/apply/sink.ts";
import { TarParser } from "../../../src/archive/tar/reader.ts";
import type { FuzzTarget } from "../target.ts";
import { fixTarChecksums, tarSeeds } from "./seeds-tar.ts";

export const target: FuzzTarget = {
  name: "apply",
  writes: true,
  seeds: tarSeeds,
  fixup: fixTarChecksums,
  unit: 512,
  run(input, dir) {
    const root = join(dir, "diff");
    mkdirSync(root);
    const sink = new ApplySink({ root, layerId: "fuzz", opaqueXattr: "user.overlay.opaque" });
    const p = new TarParser(sink);
    sink.begin();
    try {
      p.push(input);
      p.finish();
      sink.finish();
    } finally {
      sink.abort();
    }
  },
};
