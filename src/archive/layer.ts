/**
 * What the verbs use of archive/: the one module src/cli/ imports from it.
 *
 * - import a tarball into a layer, or apply a diff to one: openTarball,
 *   applyToLayer (layer-apply.ts);
 * - choose what a `diff`, `changes` or `diffsize` compares: resolveDiffTarget
 *   (layer-target.ts);
 * - that target's changes, their size, and its tarball: targetChanges,
 *   targetDiffSize, targetTarball (layer-changes.ts), written out by
 *   writeTarball in the compression the layer records (compressionFromCode);
 * - a change list as containers-storage prints it: ChangeKind, goQuote.
 *
 * The folders below hold the parts, none of which touches store/: tar/ (the
 * tar codec), tarsplit/, compress/, apply/ (a tarball onto a directory) and
 * export/ (a directory, or a stack of them, as changes or a tarball).
 *
 * Importing this module costs a verb only the modules it uses: package.json
 * says `"sideEffects": false`, so the bundler leaves out what a verb's imports
 * do not reach (without it, `changes` loaded the import code too: ~50 KB more
 * source, ~2 ms more CPU per call).
 */
export { applyToLayer, openTarball, type TarballInput } from "./layer-apply.ts";
export { resolveDiffTarget, type DiffTarget } from "./layer-target.ts";
export { targetChanges, targetDiffSize, targetTarball } from "./layer-changes.ts";
export { writeTarball } from "./export/diff-output.ts";
export { compressionFromCode, type CompressionName } from "./compress/detect.ts";
export { ChangeKind, type Change } from "./export/changes.ts";
export { goQuote } from "./export/go-quote.ts";
export { hostTarball } from "./export/host-tarball.ts";
export { spoolTarball } from "./spool.ts";
export { importTarball } from "./apply/import.ts";
export { IdMapper } from "./apply/idmap.ts";
export { opaqueXattrFor } from "./apply/whiteout.ts";
