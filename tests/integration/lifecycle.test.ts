/**
 * The store's life cycle verbs on real stores: wipe, shutdown, stale temp
 * dirs recovered at store start, incomplete layers hidden, relative roots,
 * create-layer "" and the no-dash verb aliases.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMountPoint } from "../../src/mount/mountinfo.ts";
import { LockFile } from "../../src/store/files/lockfile.ts";
import { canMount, firstLine, hasContainersStorage, run, OVLAYER, tempStore, type TempStore } from "../helpers/store.ts";

const haveRoot = canMount();
const csAvailable = haveRoot && hasContainersStorage();

describe.skipIf(!haveRoot)("wipe, shutdown and store start", () => {
  let s: TempStore;
  beforeEach(() => {
    s = tempStore("ovl-life-");
  });
  afterEach(() => s.cleanup());
  const home = () => join(s.graph, "overlay");
  const records = () => JSON.parse(readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8")) as { id: string }[];

  test("wipe deletes every layer, unmounting mounted ones, and leftover layer dirs; the store stays usable", () => {
    const a = firstLine(s.ovOk(["create-layer"]));
    const b = firstLine(s.ovOk(["create-layer", a]));
    const c = firstLine(s.ovOk(["create-layer", "-n", "top", b]));
    s.ovOk(["mount", c]);
    s.ovOk(["mount", c]);
    s.ovOk(["set-layer-data", "-f", "/etc/hostname", a, "item"]);
    const stray = join(home(), "f".repeat(64));
    mkdirSync(join(stray, "diff"), { recursive: true });
    expect(isMountPoint(join(home(), c, "merged"))).toBe(true);
    s.ovOk(["wipe"]);
    expect(records()).toEqual([]);
    for (const id of [a, b, c]) expect(existsSync(join(home(), id))).toBe(false);
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(join(s.graph, "overlay-layers", a))).toBe(false);
    expect(readdirSync(join(home(), "l"))).toEqual([]);
    expect(JSON.parse(readFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "utf8"))).toEqual([]);
    expect(isMountPoint(join(home(), c, "merged"))).toBe(false);
    expect(s.ovOk(["layers"])).toBe("");
    const fresh = firstLine(s.ovOk(["create-layer", "-n", "top"]));
    if (csAvailable) expect(s.csOk(["layers"])).toBe(`${fresh}\n\tname: top`);
  });

  test("wipe removes containers, then images, then layers, leaving empty record files", () => {
    const base = firstLine(s.ovOk(["create-layer"]));
    const img = s.ovOk(["create-image", base]);
    const ctr = s.ovOk(["create-container", img]);
    s.ovOk(["mount", ctr]);
    s.ovOk(["wipe"]);
    expect(records()).toEqual([]);
    expect(JSON.parse(readFileSync(join(s.graph, "overlay-images", "images.json"), "utf8"))).toEqual([]);
    expect(JSON.parse(readFileSync(join(s.graph, "overlay-containers", "containers.json"), "utf8"))).toEqual([]);
    expect(s.ovOk(["images"])).toBe("");
    expect(s.ovOk(["containers"])).toBe("");
    expect(readdirSync(join(s.graph, "overlay")).filter((n) => n !== "l")).toEqual([]);
  });

  test("shutdown refuses with upstream's message and exit 1 while a layer is mounted; --force unmounts it and the home", () => {
    const a = firstLine(s.ovOk(["create-layer"]));
    s.ovOk(["mount", a]);
    expect(isMountPoint(home())).toBe(true);
    const r = s.ov(["shutdown"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("a layer is mounted: layer is in use by a container");
    expect(r.stderr).toContain(a);
    expect(isMountPoint(join(home(), a, "merged"))).toBe(true);
    s.ovOk(["shutdown", "--force"]);
    expect(isMountPoint(join(home(), a, "merged"))).toBe(false);
    expect(isMountPoint(home())).toBe(false);
    expect(s.ovOk(["mounted", a])).toBe("");
    // A second shutdown has nothing to do.
    s.ovOk(["shutdown"]);
  });

  test("create-layer makes the home a private bind mount, as containers-storage's store start does", () => {
    s.ovOk(["create-layer"]);
    expect(isMountPoint(home())).toBe(true);
    s.ovOk(["shutdown"]);
    expect(isMountPoint(home())).toBe(false);
    s.ovOk(["create-layer"], { env: { STORAGE_OPTS: "overlay.skip_mount_home=true" } });
    expect(isMountPoint(home())).toBe(false);
  });

  test("stale temp dirs are removed at store start, with what is mounted inside; a locked one is left alone", () => {
    s.ovOk(["create-layer"]);
    s.ovOk(["shutdown"]);
    const drv = join(home(), "tempdirs");
    const lay = join(s.graph, "overlay-layers", "tmp");
    const mnt = join(drv, "temp-dir-1", "0-x", "merged");
    mkdirSync(mnt, { recursive: true });
    writeFileSync(join(drv, "lock-1"), "");
    expect(run(["mount", "-t", "tmpfs", "tmpfs", mnt]).code).toBe(0);
    writeFileSync(join(mnt, "on-the-tmpfs"), "x");
    mkdirSync(join(lay, "temp-dir-2"), { recursive: true });
    mkdirSync(join(lay, "temp-dir-3"), { recursive: true });
    s.ov(["check"]);
    s.ov(["repair", "--dry-run"]);
    expect(readdirSync(lay).sort()).toEqual(["temp-dir-2", "temp-dir-3"]); // they promise to change nothing
    const held = new LockFile(join(lay, "lock-3"));
    expect(held.tryLock("write")).toBe(true);
    try {
      expect(s.ov(["layers"]).code).toBe(0);
    } finally {
      held.unlock();
    }
    expect(isMountPoint(mnt)).toBe(false);
    expect(readdirSync(drv)).toEqual([]);
    expect(readdirSync(lay).sort()).toEqual(["lock-3", "temp-dir-3"]);
    s.ovOk(["layers"]);
    expect(readdirSync(lay)).toEqual([]);
  });

  test("layers hides a layer flagged incomplete, and leaves it for repair", () => {
    const a = firstLine(s.ovOk(["create-layer"]));
    const file = join(s.graph, "overlay-layers", "layers.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"id":', '"flags":{"incomplete":true},"id":'));
    expect(s.ovOk(["layers"])).toBe("");
    expect(JSON.parse(s.ovOk(["layers", "--json"]))).toEqual([]);
    expect(records().map((x) => x.id)).toEqual([a]);
    s.ov(["repair"]);
    expect(records()).toEqual([]);
  });

  test("relative --graph and --run are taken from the current directory", () => {
    const r = run([OVLAYER, "--graph", "rel/root", "--run", "./rel/run", "create-layer"], { cwd: s.dir, env: s.env });
    expect(r.code).toBe(0);
    const id = firstLine(r.stdout);
    expect(existsSync(join(s.dir, "rel", "root", "overlay", id, "diff"))).toBe(true);
    expect(run([OVLAYER, "-g", "rel/root", "-R", "rel/run", "shutdown"], { cwd: s.dir, env: s.env }).code).toBe(0);
    expect(run([OVLAYER, "-g", "rel/root", "-R", "rel/run", "wipe"], { cwd: s.dir, env: s.env }).code).toBe(0);
  });

  test('create-layer "" makes a base layer; the no-dash aliases run their verbs', () => {
    const a = firstLine(s.ovOk(["create-layer", ""]));
    expect(JSON.parse(s.ovOk(["layer", "--json", a]))[0].parent).toBeUndefined();
    const b = firstLine(s.ovOk(["createlayer", a]));
    expect(s.ovOk(["layer", b])).toContain(`Parent: ${a}`);
    expect(s.ovOk(["diff-size", b])).toBe("0");
    s.ovOk(["deletelayer", b]);
    expect(s.ovOk(["layers"])).toBe(a);
    const help = run([OVLAYER, "--help"]).stdout;
    expect(help).toContain("(alias: createlayer)");
  });
});
