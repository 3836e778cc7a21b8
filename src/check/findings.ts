/**
 * `check`: every problem of a store, as data. Pure: a snapshot in, findings
 * out, each naming the layer, the file and what is wrong with it (entry,
 * count, limit), with a stable code that scripts and repair-plan.ts use.
 *
 * What counts as a problem depends on the store's link mode (store/layers/mode.ts):
 * a legacy-compatible store needs `link`, `l/<LID>` and `lower` for every
 * layer (old tools read only those); a symlink-free store needs
 * `lower-layers` instead, and its legacy leftovers are judged only where a
 * reader would use them. A missing `lower-layers` is never a problem in a
 * legacy-compatible store: layers made by containers-storage 1.43 have none
 * (`migrate` adds them).
 */
import { invalidIdReason } from "../store/layers/ids.ts";
import { isIncomplete } from "../store/records/layers-json.ts";
import type { LayerDir, StoreSnapshot } from "./snapshot.ts";
import {
  buildView,
  diskResolver,
  entryOf,
  evalLower,
  evalLowerLayers,
  firstDifference,
  jsonChain,
  plural,
  resolvedIds,
  type ChainEval,
  type StoreView,
} from "./view.ts";

export const FINDING_CODES = [
  "unreadable",
  "layers-json-corrupt",
  "mountpoints-json-corrupt",
  "incomplete",
  "entry-without-dir",
  "dir-without-entry",
  "parent-missing",
  "diff-missing",
  "work-missing",
  "empty-missing",
  "link-file-missing",
  "link-file-invalid",
  "link-missing",
  "link-wrong-target",
  "link-shared",
  "link-not-symlink",
  "link-outside",
  "link-dangling",
  "link-unclaimed",
  "lower-layers-empty",
  "lower-layers-malformed",
  "lower-layers-too-deep",
  "lower-layers-missing-layer",
  "lower-layers-missing",
  "lower-empty",
  "lower-malformed",
  "lower-too-deep",
  "lower-link-missing",
  "lower-link-bad",
  "lower-missing-layer",
  "lower-missing",
  "lower-mismatch",
  "parent-mismatch",
  "chain-mismatch",
  "mount-count-stale",
  "mount-uncounted",
  "dir-symlink",
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  code: FindingCode;
  /** The layer concerned, when there is one. */
  layer?: string;
  /** The file or directory that is wrong (absolute path). */
  file: string;
  /** What is wrong, naming entries, counts and limits. */
  problem: string;
}

type Add = (code: FindingCode, file: string, problem: string, layer?: string) => void;

/**
 * Judges a snapshot.
 * @example checkStore(takeSnapshot(paths)).length === 0 // a healthy store
 */
export function checkStore(snap: StoreSnapshot): Finding[] {
  const view = buildView(snap);
  const out: Finding[] = [];
  const add: Add = (code, file, problem, layer) => out.push(layer === undefined ? { code, file, problem } : { code, layer, file, problem });
  for (const u of snap.unreadable) add("unreadable", u.path, `cannot be read: ${u.error}`);
  for (const l of snap.symlinkedDirs) {
    add("dir-symlink", l.path, `is a symlink to ${JSON.stringify(l.target)} where the store keeps a directory; nothing is followed out of the store, so mount and every writer refuse it`, l.layer);
  }
  checkJsonFiles(view, add);
  checkRecords(view, add);
  for (const id of [...snap.layers.keys()].sort()) {
    const rec = view.byId.get(id);
    if (rec && isIncomplete(rec)) continue; // reported once as incomplete; its files are partial by nature
    checkLayerDir(view, snap.layers.get(id)!, add);
  }
  checkSharedNames(view, add);
  checkLinkDir(view, add);
  checkMounts(view, add);
  return out;
}

function checkJsonFiles(view: StoreView, add: Add): void {
  const { snap } = view;
  const lj = snap.layersJson;
  if (lj.kind === "error") add("unreadable", snap.paths.layersJson, `cannot be read: ${lj.error}`);
  if (lj.kind === "corrupt") {
    const s = view.salvage!;
    add(
      "layers-json-corrupt",
      snap.paths.layersJson,
      `${lj.error}; ${plural(s.records.length, "record")} before the damage ${s.records.length === 1 ? "is" : "are"} intact (${s.usedBytes} of ${s.totalBytes} bytes)`,
    );
  }
  const mp = snap.mountpoints;
  if (mp.kind === "error") add("unreadable", snap.paths.mountpointsJson, `cannot be read: ${mp.error}`);
  if (mp.kind === "corrupt") add("mountpoints-json-corrupt", snap.paths.mountpointsJson, `${mp.error}; no mount count can be trusted`);
}

function checkRecords(view: StoreView, add: Add): void {
  const { snap } = view;
  const p = snap.paths;
  view.records.forEach((r, i) => {
    const bad = invalidIdReason(r.id);
    if (bad) add("layers-json-corrupt", p.layersJson, `record ${i + 1} of ${view.records.length} has the ID ${JSON.stringify(r.id)}, which is not a layer ID: ${bad}`);
  });
  for (const r of view.records) {
    if (invalidIdReason(r.id)) continue;
    const hasDir = snap.layers.has(r.id);
    if (isIncomplete(r)) {
      add(
        "incomplete",
        p.layersJson,
        `layer ${r.id} is flagged incomplete (a create or delete was interrupted); ` +
          (hasDir ? `its directory ${p.layer(r.id)} is still there` : "it has no directory left"),
        r.id,
      );
      continue;
    }
    if (!hasDir) add("entry-without-dir", p.layer(r.id), `layer ${r.id} has a record in ${p.layersJson} but no directory`, r.id);
    if (r.parent && !view.byId.has(r.parent) && !snap.layers.has(r.parent)) {
      add("parent-missing", p.layersJson, `layer ${r.id} names parent ${r.parent}, which has neither a record nor a directory`, r.id);
    }
  }
  for (const id of [...snap.layers.keys()].sort()) {
    if (!view.byId.has(id)) add("dir-without-entry", p.layer(id), `the directory of layer ${id} has no record in ${p.layersJson}`, id);
  }
}

type ChainFile = "lower" | "lower-layers";

/** Reports what is wrong with one lower file, grouping unresolved entries by cause. */
function reportChain(c: ChainEval, which: ChainFile, file: string, id: string, view: StoreView, add: Add): void {
  if (c.state === "unreadable") add("unreadable", file, `cannot be read: ${c.error}`, id);
  if (c.state === "invalid") add(`${which}-${c.kind}`, file, c.problem, id);
  if (c.state !== "parsed" || c.unresolved.length === 0) return;
  const total = c.entries.length;
  for (const kind of ["link-missing", "link-bad", "missing-layer"] as const) {
    const bad = c.unresolved.filter((u) => u.kind === kind);
    if (!bad.length) continue;
    const code = which === "lower-layers" ? "lower-layers-missing-layer" : (`lower-${kind}` as const);
    const shown = bad.slice(0, 3).map((u) => {
      let why = u.why;
      const owner = u.kind === "link-missing" ? view.linkOwners.get(u.raw.slice(2))?.[0] : undefined;
      if (owner) why += ` (layer ${owner}'s link file names it)`;
      return `${entryOf(u.index, total)} ${JSON.stringify(u.raw)}: ${why}`;
    });
    const more = bad.length > shown.length ? ` and ${bad.length - shown.length} more` : "";
    add(code, file, `${bad.length} of ${total} ${total === 1 ? "entry" : "entries"} ${bad.length === 1 ? "does" : "do"} not resolve: ${shown.join("; ")}${more}`, id);
  }
}

function checkLayerDir(view: StoreView, layer: LayerDir, add: Add): void {
  const { snap } = view;
  const p = snap.paths;
  const id = layer.id;
  const rec = view.byId.get(id);
  if (!layer.subdirs.has("diff")) add("diff-missing", p.diff(id), `layer ${id} has no diff directory: its content is gone`, id);
  if (!layer.subdirs.has("work")) add("work-missing", p.work(id), `layer ${id} has no work directory, which a read-write mount needs`, id);

  const ll = evalLowerLayers(snap, layer);
  const lo = evalLower(snap, layer, diskResolver(view));
  reportChain(ll, "lower-layers", p.lowerLayersFile(id), id, view, add);
  reportChain(lo, "lower", p.lowerFile(id), id, view, add);
  const llIds = resolvedIds(ll);
  const loIds = resolvedIds(lo);
  if (llIds && loIds) {
    const k = firstDifference(llIds, loIds);
    if (k >= 0) {
      add(
        "lower-mismatch",
        p.lowerFile(id),
        `it names a different chain than lower-layers: at entry ${k + 1}, lower has ${loIds[k] ?? "nothing"} and lower-layers ${llIds[k] ?? "nothing"} ` +
          `(${loIds.length} and ${llIds.length} entries)`,
        id,
      );
    }
  }
  const noChainFiles = ll.state === "absent" && lo.state === "absent";
  // Without a record (reported above) a layer with no chain file may be a child that lost both: not called a base.
  if (noChainFiles && rec && !rec.parent && !layer.subdirs.has("empty")) {
    add("empty-missing", p.empty(id), `base layer ${id} has no empty directory, its lowerdir when mounted read-write`, id);
  }
  if (rec?.parent) {
    if (snap.mode === "legacy-compatible" && lo.state === "absent") {
      add("lower-missing", p.lowerFile(id), `layers.json names parent ${rec.parent}, but layer ${id} has no lower file, the only chain file old tools read`, id);
    }
    if (snap.mode === "symlink-free" && ll.state === "absent") {
      add("lower-layers-missing", p.lowerLayersFile(id), `layers.json names parent ${rec.parent}, but layer ${id} has no lower-layers file, which a symlink-free store needs`, id);
    }
  }
  if (rec && !noChainFiles) {
    // The chain readers use: lower-layers when it exists, else lower.
    const readerFile = ll.state !== "absent" ? p.lowerLayersFile(id) : p.lowerFile(id);
    const reader = ll.state !== "absent" ? llIds : loIds;
    if (reader && reader.length > 0) {
      if (!rec.parent) {
        add("parent-mismatch", readerFile, `it names ${reader.length} lower layers (first ${reader[0]}), but layers.json gives layer ${id} no parent`, id);
      } else if (reader[0] !== rec.parent) {
        add("parent-mismatch", readerFile, `${entryOf(0, reader.length)} is layer ${reader[0]}, but layers.json names parent ${rec.parent}`, id);
      } else {
        const js = jsonChain(view.byId, id);
        const k = js ? firstDifference(reader, js) : -1;
        if (js && k >= 0) {
          add(
            "chain-mismatch",
            readerFile,
            `${entryOf(k, reader.length)} is ${reader[k] ? `layer ${reader[k]}` : "missing"}, but layers.json's parent chain (${js.length} layers) has ${js[k] ? `layer ${js[k]}` : "nothing"} there`,
            id,
          );
        }
      }
    }
  }
  checkLinkFile(view, layer, add);
}

function checkLinkFile(view: StoreView, layer: LayerDir, add: Add): void {
  const { snap } = view;
  const p = snap.paths;
  const id = layer.id;
  const legacy = snap.mode === "legacy-compatible";
  if (layer.link.kind === "error") {
    add("unreadable", p.linkFile(id), `cannot be read: ${layer.link.error}`, id);
    return;
  }
  const lf = view.linkFiles.get(id);
  if (!lf) {
    if (legacy) {
      const names = view.pointing.get(id) ?? [];
      add(
        "link-file-missing",
        p.linkFile(id),
        `layer ${id} has no link file, which names its l/ symlink for old tools` + (names.length ? ` (${names.map((n) => `l/${n}`).join(", ")} point${names.length > 1 ? "" : "s"} at its diff)` : ""),
        id,
      );
    }
    return;
  }
  if (lf.problem) add("link-file-invalid", p.linkFile(id), lf.problem, id);
  if (!lf.lid) return;
  const entry = snap.links.get(lf.lid);
  const link = p.linkPath(lf.lid);
  if (!entry) {
    // A symlink-free store needs no l/ link; a lower file naming it is reported on its own.
    if (legacy) add("link-missing", link, `layer ${id}'s link file names l/${lf.lid}, which does not exist`, id);
  } else if (entry.target === null) {
    add("link-wrong-target", link, `layer ${id}'s link file names l/${lf.lid}, which is not a symlink`, id);
  } else if (view.linkTargets.get(lf.lid) !== id) {
    add("link-wrong-target", link, `layer ${id}'s link file names l/${lf.lid}, which points to ${JSON.stringify(entry.target)} instead of ../${id}/diff`, id);
  }
}

function checkSharedNames(view: StoreView, add: Add): void {
  for (const [lid, ids] of view.linkOwners) {
    if (ids.length < 2) continue;
    const target = view.snap.links.get(lid)?.target;
    add(
      "link-shared",
      view.snap.paths.linkPath(lid),
      `${ids.length} layers name l/${lid} in their link files: ${ids.join(", ")}` + (target ? ` (it points to ${JSON.stringify(target)})` : " (it does not exist)"),
      ids[0],
    );
  }
}

function checkLinkDir(view: StoreView, add: Add): void {
  const { snap } = view;
  for (const name of [...snap.links.keys()].sort()) {
    const e = snap.links.get(name)!;
    const link = snap.paths.linkPath(name);
    if (e.target === null) {
      add("link-not-symlink", link, `l/${name} is not a symlink; only symlinks to ../<ID>/diff belong in ${snap.paths.linkDir}`);
      continue;
    }
    const id = view.linkTargets.get(name);
    if (!id) {
      add("link-outside", link, `l/${name} points to ${JSON.stringify(e.target)}, outside the store's layers (expected ../<ID>/diff)`);
    } else if (!snap.layers.has(id)) {
      add("link-dangling", link, `l/${name} points to ../${id}/diff, but layer ${id} has no directory`, id);
    } else if (!view.linkOwners.has(name) && !view.referencedLinks.has(name)) {
      add("link-unclaimed", link, `l/${name} points at layer ${id}, but no link file names it and no lower file uses it`, id);
    }
  }
}

function checkMounts(view: StoreView, add: Add): void {
  const { snap } = view;
  const p = snap.paths;
  if (snap.mountpoints.kind !== "ok" && snap.mountpoints.kind !== "missing") return;
  const records = snap.mountpoints.kind === "ok" ? snap.mountpoints.value : [];
  const counted = new Set<string>();
  for (const m of records) {
    if (m.count <= 0) continue;
    counted.add(m.id);
    if (!snap.mounted.has(p.merged(m.id))) {
      add("mount-count-stale", p.mountpointsJson, `layer ${m.id} has mount count ${m.count}, but ${p.merged(m.id)} is not mounted (per /proc/self/mountinfo)`, m.id);
    }
  }
  for (const id of [...snap.layers.keys()].sort()) {
    if (!counted.has(id) && snap.mounted.has(p.merged(id))) {
      add("mount-uncounted", p.mountpointsJson, `${p.merged(id)} is mounted, but ${p.mountpointsJson} has no mount count for layer ${id}`, id);
    }
  }
}

/** One line per finding: code, file, problem. */
export function formatFinding(f: Finding): string {
  return `${f.code}: ${f.file}: ${f.problem}`;
}
