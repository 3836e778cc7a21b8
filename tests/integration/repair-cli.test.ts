/**
 * check / repair as commands: locks, reads that write nothing, JSON output,
 * what repair cannot fix, and mount counts rebuilt from mountinfo.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LockFile } from "../../src/store/files/lockfile.ts";
import { readMountinfo } from "../../src/mount/mountinfo.ts";
import { canMount, firstLine, hasCommand, hasContainersStorage, OVLAYER, run, tempStore, type TempStore } from "../helpers/store.ts";
import { buildStore, checkPairs, listing } from "./repair-scenarios.ts";

const runnable = canMount() && hasContainersStorage();

describe.skipIf(!runnable)("repair and check as commands", () => {
  let s: TempStore | null = null;
  afterEach(() => {
    s?.cleanup();
    s = null;
  });

  test("check creates no lock file and no run root where there is none", () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "ovlayer");
    rmSync(join(s.graph, "overlay-layers", "layers.lock"));
    rmSync(s.runRoot, { recursive: true, force: true });
    rmSync(join(s.graph, "overlay", "l", readFileSync(join(s.graph, "overlay", ids.a, "link"), "utf8")));
    const before = listing(s);
    expect(checkPairs(s).code).toBe(1);
    expect(s.ov(["repair", "--dry-run"]).code).toBe(0);
    expect(listing(s)).toEqual(before);
    expect(existsSync(join(s.graph, "overlay-layers", "layers.lock"))).toBe(false);
    expect(existsSync(s.runRoot)).toBe(false);
  });

  test("repair waits for layers.lock held by another process, and check waits for a writer", async () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "cs");
    rmSync(join(s.graph, "overlay", ids.b, "link"));
    const lock = new LockFile(join(s.graph, "overlay-layers", "layers.lock"));
    lock.lock("write");
    const env = { ...process.env, CONTAINERS_STORAGE_CONF: join(s.dir, "storage.conf"), STORAGE_OPTS: "" };
    const spawn = (verb: string) => Bun.spawn([OVLAYER, "--graph", s!.graph, "--run", s!.runRoot, verb], { env, stdout: "pipe", stderr: "pipe" });
    const repair = spawn("repair");
    const check = spawn("check");
    try {
      await Bun.sleep(700);
      expect(repair.exitCode).toBeNull();
      expect(check.exitCode).toBeNull();
      expect(existsSync(join(s.graph, "overlay", ids.b, "link"))).toBe(false);
    } finally {
      lock.unlock();
    }
    expect(await repair.exited).toBe(0);
    await check.exited;
    expect(readFileSync(join(s.graph, "overlay", ids.b, "link"), "utf8")).toMatch(/^[A-Z2-7]{26}$/);
    expect(checkPairs(s).code).toBe(0);
  });

  test("what repair cannot fix is reported on stderr with exit 1, and the rest is still fixed", () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "cs");
    rmSync(join(s.graph, "overlay", ids.d), { recursive: true });
    rmSync(join(s.graph, "overlay", ids.c, "link"));
    const r = s.ov(["repair"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`write-file ${join(s.graph, "overlay", ids.c, "link")}`);
    expect(r.stderr).toContain(`ovlayer: repair: cannot fix: entry-without-dir: ${join(s.graph, "overlay", ids.d)}: layer ${ids.d} has a record`);
    // d's l/ link is dangling now: removed; d's record stays (repair never drops a complete layer).
    expect(r.stdout).toContain("remove-symlink");
    expect(s.csOk(["layers"])).toContain(ids.d);
    expect(checkPairs(s).pairs).toEqual([["entry-without-dir", ids.d]]);
    const again = s.ov(["repair", "--json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ nothingToDo: true, actions: [], remaining: [{ code: "entry-without-dir", layer: ids.d }] });
  });

  test.skipIf(!hasCommand("chattr"))("an action that fails is reported with its error kind's exit code, and its problem stays", () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "cs");
    const dir = join(s.graph, "overlay", ids.b);
    rmSync(join(dir, "link"));
    rmSync(join(s.graph, "overlay", ids.c, "link"));
    expect(run(["chattr", "+i", dir]).code).toBe(0); // nothing can be created in b's directory
    let r;
    try {
      r = s.ov(["repair"]);
    } finally {
      run(["chattr", "-i", dir]);
    }
    expect(r.code).toBe(7); // permission
    expect(r.stderr).toContain(`ovlayer: repair: failed: write-file ${join(dir, "link")}`);
    // Root was refused by the immutable attribute: the hint says so, and does not tell root to run as root.
    expect(r.stderr).toContain("hint: root was refused: the file may be immutable or append-only (see `lsattr`, `chattr -i`)");
    expect(r.stderr).not.toContain("run as root");
    expect(r.stderr).toContain(`ovlayer: repair: cannot fix: link-file-missing: ${join(dir, "link")}`);
    expect(r.stderr).toContain("ovlayer: repair: 1 of 2 actions done, 1 failed"); // c's link file is still written
    expect(checkPairs(s).pairs).toEqual([["link-file-missing", ids.b]]);
    expect(s.ov(["repair"]).code).toBe(0);
    expect(checkPairs(s).code).toBe(0);
  });

  test("repair --json lists each action with its file and whether it was done", () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "ovlayer");
    writeFileSync(join(s.graph, "overlay", ids.d, "lower"), "");
    const dry = JSON.parse(s.ov(["repair", "--dry-run", "--json"]).stdout);
    expect(dry).toMatchObject({ dryRun: true, nothingToDo: false, failed: [], remaining: [] });
    expect(dry.actions).toEqual([
      expect.objectContaining({ action: "write-file", layer: ids.d, file: join(s.graph, "overlay", ids.d, "lower"), done: false }),
    ]);
    const real = JSON.parse(s.ov(["repair", "--json"]).stdout);
    expect(real.actions).toEqual([expect.objectContaining({ action: "write-file", file: join(s.graph, "overlay", ids.d, "lower"), done: true })]);
    expect(readFileSync(join(s.graph, "overlay", ids.d, "lower"), "utf8")).toBe(readFileSync(join(s.graph, "overlay", ids.c, "lower"), "utf8"));
  });

  test("an unparseable mountpoints.json is rebuilt from mountinfo; the mounted layer keeps working", () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "ovlayer");
    const merged = firstLine(s.ovOk(["mount", ids.c]));
    const mp = join(s.runRoot, "overlay-layers", "mountpoints.json");
    writeFileSync(mp, '[{"id":');
    expect(checkPairs(s).pairs).toEqual([["mountpoints-json-corrupt", ""]]);
    const r = s.ov(["repair"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`rebuild-mountpoints ${mp} (1 mounted layers)`);
    expect(JSON.parse(readFileSync(mp, "utf8"))).toEqual([{ id: ids.c, path: merged, count: 1 }]);
    expect(readFileSync(join(merged, "c.txt"), "utf8")).toBe("layer c\n");
    s.ovOk(["unmount", ids.c]);
    expect(readMountinfo().some((m) => m.mountPoint === merged)).toBe(false);
    expect(checkPairs(s).code).toBe(0);
  });

  test("a layer mounted behind the tools' back is counted, so unmount can undo it", () => {
    s = tempStore("ovl-repair-cli-");
    const { ids } = buildStore(s, "ovlayer");
    const merged = firstLine(s.ovOk(["mount", ids.b]));
    writeFileSync(join(s.runRoot, "overlay-layers", "mountpoints.json"), "[]");
    expect(checkPairs(s).pairs).toEqual([["mount-uncounted", ids.b]]);
    expect(s.ov(["repair"]).code).toBe(0);
    expect(s.ovOk(["unmount", ids.b])).toBe(`${ids.b} mountpoint unmounted`);
    expect(readMountinfo().some((m) => m.mountPoint === merged)).toBe(false);
  });
});
