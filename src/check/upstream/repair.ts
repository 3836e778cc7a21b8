/**
 * Upstream's `check -r`: removes what the report (upstream/judge.ts) says
 * is damaged, in upstream's order: containers (only with `-f`), then
 * images (with the layers only they used), then the remaining layers, a
 * layer before its parent; a layer the driver holds but layers.json does
 * not is removed at driver level (its directory, link, tar-split and data
 * directory), after the known ones and in the driver's listing order.
 * Each removal takes its own store locks (store/lifecycle/delete.ts, store/lifecycle/images.ts,
 * store/lifecycle/containers.ts). Owns no file.
 */
import { OvError } from "../../errors.ts";
import { deleteContainer } from "../../store/lifecycle/containers.ts";
import { deleteLayer, type DeleteHooks } from "../../store/lifecycle/delete.ts";
import { deleteImage } from "../../store/lifecycle/images.ts";
import { removeLayer } from "../../store/layers/layout.ts";
import type { StorePaths } from "../../store/paths.ts";
import type { UpstreamReport } from "./judge.ts";

/** The order in which repair removes the damaged layers (pure): known layers deepest first, then unaccounted ones in driver order. */
export function layerRemovalOrder(r: UpstreamReport): string[] {
  const depth = (id: string): number => {
    let d = 0;
    const seen = new Set<string>();
    for (let p = r.parents.get(id) ?? ""; p !== "" && !seen.has(p); p = r.parents.get(p) ?? "") {
      seen.add(p);
      d++;
    }
    return d;
  };
  const ids = [...r.layers.keys()];
  const known = ids.filter((id) => !r.unaccounted.has(id)).sort((a, b) => depth(b) - depth(a));
  const unknown = ids.filter((id) => r.unaccounted.has(id)).sort((a, b) => (r.driverOrder.get(a) ?? 0) - (r.driverOrder.get(b) ?? 0));
  return [...known, ...unknown];
}

const gone = (e: unknown): boolean => e instanceof OvError && e.kind === "not-found";

/** Removes the damaged items; returns the errors of removals that failed (upstream's "deleting ... : ..."). */
export async function repairUpstream(paths: StorePaths, r: UpstreamReport, removeContainers: boolean, hooks: DeleteHooks): Promise<string[]> {
  const errs: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown> | void): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      if (!gone(e)) errs.push(`deleting ${what}: ${(e as Error).message}`);
    }
  };
  if (removeContainers) for (const id of r.containers.keys()) await attempt(`container ${id}`, () => deleteContainer(paths, id, hooks));
  const removed = new Set<string>();
  for (const id of r.images.keys()) {
    await attempt(`image ${id}`, async () => {
      for (const l of await deleteImage(paths, id, true, hooks)) removed.add(l);
    });
  }
  for (const id of layerRemovalOrder(r)) {
    if (removed.has(id)) continue;
    if (r.unaccounted.has(id)) await attempt(`storage layer ${id}`, () => removeLayer(paths, id));
    // With upstream's DeleteLayer checks: a layer a container still uses stays (and is reported).
    else await attempt(`layer ${id}`, () => deleteLayer(paths, id, "unmounting", hooks));
  }
  return errs;
}
