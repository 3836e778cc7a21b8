import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyStorageOpts, resolveStoreOptions } from "../../src/config/options.ts";
import { loadStorageConf, parseStorageConf } from "../../src/config/storage-conf.ts";
import { OvError } from "../../src/errors.ts";

const REAL_CONF = `
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
[storage.options]
additionalimagestores = [
]
pull_options = {enable_partial_images = "false", use_hard_links = "false", ostree_repos=""}
[storage.options.overlay]
mountopt = "nodev"
[storage.options.thinpool]
`;

describe("storage.conf", () => {
  test("reads Debian's shipped file", () => {
    const c = parseStorageConf(REAL_CONF, "/usr/share/containers/storage.conf");
    expect(c.driver).toBe("overlay");
    expect(c.graphRoot).toBe("/var/lib/containers/storage");
    expect(c.runRoot).toBe("/run/containers/storage");
    expect(c.overlayOptions).toEqual(["overlay.mountopt=nodev"]);
  });
  test("skip_mount_home as string or boolean", () => {
    expect(parseStorageConf('[storage.options.overlay]\nskip_mount_home = "true"\n', "f").overlayOptions).toEqual(["overlay.skip_mount_home=true"]);
    expect(parseStorageConf("[storage.options.overlay]\nskip_mount_home = false\n", "f").overlayOptions).toEqual(["overlay.skip_mount_home=false"]);
  });
  test("a malformed file is an error naming the file, not a fallback", () => {
    expect(() => parseStorageConf("[storage\ndriver=", "/etc/containers/storage.conf")).toThrow("/etc/containers/storage.conf");
    expect(() => parseStorageConf('[storage]\ngraphroot = 3\n', "/x.conf")).toThrow("/x.conf: storage.graphroot must be a string");
  });
  test("$CONTAINERS_STORAGE_CONF wins, and must exist", () => {
    const d = mkdtempSync(join(tmpdir(), "ovl-conf-"));
    try {
      const f = join(d, "s.conf");
      writeFileSync(f, '[storage]\ngraphroot = "/g"\n');
      expect(loadStorageConf({ CONTAINERS_STORAGE_CONF: f }).graphRoot).toBe("/g");
      expect(() => loadStorageConf({ CONTAINERS_STORAGE_CONF: join(d, "missing") })).toThrow("does not exist");
    } finally {
      rmSync(d, { recursive: true });
    }
  });
});

describe("store options", () => {
  const conf = parseStorageConf(REAL_CONF, "f");
  test("flags override the file", () => {
    const o = resolveStoreOptions(conf, {}, { graph: "/g", run: "/r", storageOpts: [] });
    expect([o.graphRoot, o.runRoot]).toEqual(["/g", "/r"]);
    expect(o.overlay.mountOptions).toEqual(["nodev"]);
  });
  test("--storage-opt adds to the configured options, later keys win", () => {
    const o = resolveStoreOptions(conf, {}, { storageOpts: ["overlay.mount_strategy=fd", "overlay.mountopt=nodev,noatime"] });
    expect(o.overlay.mountStrategy).toBe("fd");
    expect(o.overlay.mountOptions).toEqual(["nodev", "noatime"]);
  });
  test("$STORAGE_OPTS replaces the configured options", () => {
    const o = resolveStoreOptions(conf, { STORAGE_OPTS: "overlay.skip_mount_home=true" }, { storageOpts: [] });
    expect(o.overlay.mountOptions).toEqual([]);
    expect(o.overlay.skipMountHome).toBe(true);
  });
  test("only the overlay driver", () => {
    expect(() => resolveStoreOptions(conf, {}, { storageDriver: "vfs", storageOpts: [] })).toThrow('"vfs" is not supported');
    expect(() => resolveStoreOptions(conf, { STORAGE_DRIVER: "btrfs" }, { storageOpts: [] })).toThrow(OvError);
  });
  test("unknown and malformed options are usage errors", () => {
    expect(() => applyStorageOpts({ mountOptions: [], skipMountHome: false, imageStores: [] }, ["overlay.bogus=1"])).toThrow("unknown option bogus");
    expect(() => applyStorageOpts({ mountOptions: [], skipMountHome: false, imageStores: [] }, ["novalue"])).toThrow("not KEY=VALUE");
    expect(() => applyStorageOpts({ mountOptions: [], skipMountHome: false, imageStores: [] }, ["overlay.mount_strategy=fast"])).toThrow("direct, fd, api or auto");
  });
  test("relative roots are made absolute from the current directory", () => {
    const o = resolveStoreOptions(conf, {}, { graph: "rel/root", run: "./run/../rr", storageOpts: [] }, "/work/x");
    expect(o.graphRoot).toBe("/work/x/rel/root");
    expect(o.runRoot).toBe("/work/x/rr");
  });
  test("an empty root is refused", () => {
    expect(() => resolveStoreOptions(conf, {}, { graph: "", storageOpts: [] })).toThrow("must not be empty");
  });
});
