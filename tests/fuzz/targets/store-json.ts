/**
 * The four store-file decoders (layers.json, mountpoints.json, images.json,
 * containers.json; one typed decoder behind them, store/records/decode.ts). Each
 * input is decoded by all four; what decodes is written back out and must
 * decode again to as many records (a round trip; mountpoints.json drops
 * zero counts by design), so the writers are fuzzed too.
 */
import { formatContainersJson, parseContainersJson } from "../../../src/store/records/containers-json.ts";
import { formatImagesJson, parseImagesJson } from "../../../src/store/records/images-json.ts";
import { formatLayersJson, parseLayersJson } from "../../../src/store/records/layers-json.ts";
import { formatMountpoints, parseMountpoints } from "../../../src/store/records/mountpoints.ts";
import type { FuzzTarget } from "../target.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const enc = (v: unknown) => Buffer.from(JSON.stringify(v), "utf8");

const CODECS: [string, (t: string, f: string) => unknown[], (r: never[]) => string][] = [
  ["layers.json", parseLayersJson, formatLayersJson as (r: never[]) => string],
  ["mountpoints.json", parseMountpoints, formatMountpoints as (r: never[]) => string],
  ["images.json", parseImagesJson, formatImagesJson as (r: never[]) => string],
  ["containers.json", parseContainersJson, formatContainersJson as (r: never[]) => string],
];

export const target: FuzzTarget = {
  name: "store-json",
  seeds: () => [
    enc([{ id: A, names: ["base"], created: "2026-01-01T00:00:00Z", "diff-size": 3, flags: { x: 1 } }, { id: B, parent: A, "uidmap": [{ container_id: 0, host_id: 100, size: 10 }] }]),
    enc([{ id: A, path: "/s/overlay/a/merged", count: 2 }]),
    enc([{ id: B, names: ["localhost/app:1"], layer: A, "big-data-names": ["manifest"], "big-data-sizes": { manifest: 10 }, "big-data-digests": { manifest: "sha256:00" }, created: "2026-01-01T00:00:00Z" }]),
    enc([{ id: B, names: ["ctr"], image: A, layer: A, metadata: "{}", created: "2026-01-01T00:00:00Z", flags: { MountLabel: "" } }]),
    enc([]),
  ],
  run(input) {
    const text = Buffer.from(input).toString("utf8");
    for (const [file, parse, format] of CODECS) {
      let records: unknown[];
      try {
        records = parse(text, `/fuzz/${file}`);
      } catch (e) {
        if ((e as Error).name === "OvError") continue;
        throw e;
      }
      const again = parse(format(records as never[]), `/fuzz/${file} (rewritten)`);
      // mountpoints.json keeps only positive counts with a path; the others keep every record.
      const lost = file === "mountpoints.json" ? again.length > records.length : again.length !== records.length;
      if (lost) throw new Error(`${file}: ${records.length} records decoded, ${again.length} after a round trip`);
    }
  },
};
