/**
 * The store's link mode. A store is "legacy-compatible" (the default: every
 * new layer also gets `link`, an `l/` symlink and `lower`, so that podman 4,
 * buildah and skopeo, which read only `lower`, keep working) until
 * `ovlayer migrate --drop-legacy-links --yes` records that every user of the
 * store reads `lower-layers`; then it is "symlink-free" and no new layer gets
 * legacy links. The record is one marker file in R/overlay (a non-directory,
 * which every overlay driver version skips when listing layers).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { StorePaths } from "../paths.ts";

export const SYMLINK_FREE_MARKER = ".ovlayer-symlink-free";

export type LinkMode = "legacy-compatible" | "symlink-free";

export function markerPath(paths: StorePaths): string {
  return join(paths.home, SYMLINK_FREE_MARKER);
}

export function linkMode(paths: StorePaths): LinkMode {
  return existsSync(markerPath(paths)) ? "symlink-free" : "legacy-compatible";
}
