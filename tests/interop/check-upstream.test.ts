/**
 * Upstream's check findings on real stores: for each kind of damage, a store
 * whose records were made by containers-storage 1.43 and one made by ovlayer
 * is broken that way; `check` reports it in upstream's words and exits 1;
 * `check -r` (and `-f` for containers) removes what upstream removes; `check`
 * is clean afterwards; and podman 4.3 still lists what is left (an image
 * buildah built beside the damage, and any container kept).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasPeers, peers, unmountLayers, type Peers } from "../helpers/peers.ts";
import { canMount, firstLine, hasContainersStorage, run, tempStore, type RunResult, type TempStore } from "../helpers/store.ts";

type Maker = "cs" | "ov";

for (const maker of ["cs", "ov"] as const satisfies readonly Maker[]) {
  describe.skipIf(!canMount() || !hasContainersStorage() || !hasPeers())(`upstream's check findings, records made by ${maker === "cs" ? "containers-storage" : "ovlayer"}`, () => {
    let s: TempStore;
    let p: Peers;
    let bystander: string;
    let bystanderLayers: string[];
    const make = (args: string[]): string => {
      const r = maker === "cs" ? s.cs(args) : s.ov(args);
      if (r.code !== 0) throw new Error(`${maker} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return firstLine(r.stdout);
    };
    const check = (...args: string[]): RunResult => s.ov(["--debug=false", "check", ...args]);
    const layerIds = () => s.ovOk(["layers", "-q"]).split("\n").filter(Boolean).sort();
    const tarFile = (): string => {
      const dir = join(s.dir, "content");
      run(["mkdir", "-p", dir]);
      writeFileSync(join(dir, "datafile1"), "one\n".repeat(500));
      writeFileSync(join(dir, "datafile2"), "two\n".repeat(300));
      const tar = join(s.dir, "diff.tar");
      expect(run(["tar", "-C", dir, "-cf", tar, "datafile1", "datafile2"]).code).toBe(0);
      return tar;
    };
    const dataFile = (): string => {
      const f = join(s.dir, "datafile");
      writeFileSync(f, "some data\n".repeat(50));
      return f;
    };
    /** An image with content: its layer and ID. */
    const imageWithContent = (): { layer: string; image: string } => {
      const layer = make(["create-layer"]);
      make(["apply-diff", "-f", tarFile(), layer]);
      return { layer, image: make(["create-image", layer]) };
    };

    /** After a repair: check is clean, nothing but the bystander is left, podman lists it. */
    function expectOnlyBystander(): void {
      expect(check()).toMatchObject({ code: 0, stdout: "", stderr: "" });
      // Leftovers upstream does not remove by default (an image's layer freed by -f) are swept with -m 0.
      expect(check("-r", "-m", "0").code).toBe(0);
      expect(layerIds()).toEqual(bystanderLayers);
      expect(s.ovOk(["images", "-q"]).trim()).toBe(bystander);
      expect(p.podmanOk(["images", "-a", "--no-trunc", "--format", "{{.ID}}"]).split("\n")).toEqual([`sha256:${bystander}`]);
      expect(p.podmanOk(["ps", "-a", "--external", "--format", "{{.ID}}"])).toBe("");
    }

    beforeAll(() => {
      s = tempStore(`ovl-check-upstream-${maker}-`);
      p = peers(s);
      const src = join(s.dir, "bystander.txt");
      writeFileSync(src, "left alone\n");
      bystander = p.build("localhost/bystander:latest", "scratch", [{ src, dest: "/bystander.txt" }]);
      bystanderLayers = layerIds();
      expect(check()).toMatchObject({ code: 0, stdout: "" });
    }, 120_000);
    afterAll(() => {
      p?.cleanup();
      unmountLayers(s);
      s?.cleanup();
    });

    test("a layer only the driver holds: not accounted for; -r removes it at driver level", () => {
      const a = s.ovOk(["create-storage-layer"]).trim();
      const b = s.ovOk(["create-storage-layer", a]).trim();
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`layer ${a}: layer in lower level storage driver not accounted for`);
      expect(r.stdout).toContain(`layer ${b}: layer in lower level storage driver not accounted for`);
      expect(check("-r").code).toBe(0);
      expect(s.ovOk(["storage-layers"]).split("\n").filter(Boolean).sort()).toEqual(bystanderLayers);
      expectOnlyBystander();
    });

    test("unreferenced layers: reported only past --max; -r -m 0 removes them", () => {
      const a = make(["create-layer"]);
      const b = make(["create-layer", a]);
      expect(check()).toMatchObject({ code: 0, stdout: "" });
      const r = check("-m", "0");
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`layer ${b}: layer not referenced by any images or containers`);
      expect(check("-r", "-m", "0").code).toBe(0);
      expect(existsSync(join(s.graph, "overlay", a))).toBe(false);
      expectOnlyBystander();
    });

    test("a file of a layer changed: the diff no longer rebuilds; -q does not look; -r removes image and layer", () => {
      const { layer, image } = imageWithContent();
      writeFileSync(join(s.graph, "overlay", layer, "diff", "datafile1"), "changed\n");
      expect(check("-q")).toMatchObject({ code: 0, stdout: "" });
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`layer ${layer}: (file integrity checksum failed|layer content incorrect digest)`));
      expect(r.stdout).toContain(`image ${image}:`);
      const fix = check("-r");
      expect(fix.code).toBe(0);
      expect(fix.stdout).toContain(`layer ${layer}:`);
      expectOnlyBystander();
    });

    test("a file added to a layer: layer content modified", () => {
      const { layer } = imageWithContent();
      writeFileSync(join(s.graph, "overlay", layer, "diff", "datafile3"), "added\n");
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`layer ${layer}: +/datafile3, layer content modified`);
      expect(check("-r").code).toBe(0);
      expectOnlyBystander();
    });

    test("an image whose layer is gone: image layer is missing; -r removes the image", () => {
      const { layer, image } = imageWithContent();
      make(["delete", layer]);
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`image ${image}: layer ${layer}: image layer is missing`);
      expect(check("-r").code).toBe(0);
      expectOnlyBystander();
    });

    test("a container whose image is gone: image missing; -r keeps the container (exit 1), -r -f removes it", () => {
      const { image } = imageWithContent();
      const ctr = make(["create-container", image]);
      // containers-storage 1.43's delete refuses an image in use: its record is dropped with ovlayer's unchecked delete.
      s.ovOk(["delete", image]);
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`container ${ctr}:`);
      expect(r.stdout).toContain(`image ${image}: image missing`);
      expect(check("-r").code).toBe(1);
      // podman itself refuses to list a container whose image is gone ("image not known"): containers-storage does.
      expect(s.csOk(["containers"]).trim()).toBe(ctr);
      const f = check("-r", "-f");
      expect(f.code).toBe(0);
      expect(f.stdout).toContain(`image ${image}: image missing`);
      expectOnlyBystander();
    });

    test("a layer data item deleted: layer data item is missing; -r removes image and layer", () => {
      const { layer } = imageWithContent();
      make(["set-layer-data", "-f", dataFile(), layer, "datafile"]);
      expect(check().code).toBe(0);
      rmSync(join(s.graph, "overlay-layers", layer, "datafile"));
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`layer ${layer}: data item "datafile": layer data item is missing`);
      expect(check("-r").code).toBe(0);
      expectOnlyBystander();
    });

    test("image data deleted or changed in size: image data item is missing / has incorrect size; -r removes the image", () => {
      const a = imageWithContent();
      const b = imageWithContent();
      for (const i of [a.image, b.image]) make(["set-image-data", "-f", dataFile(), i, "datafile"]);
      expect(check().code).toBe(0);
      rmSync(join(s.graph, "overlay-images", a.image, "datafile"));
      appendFileSync(join(s.graph, "overlay-images", b.image, "datafile"), "\n");
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`image ${a.image}: data item "datafile": image data item is missing`);
      expect(r.stdout).toContain(`image ${b.image}: data item "datafile": image data item has incorrect size`);
      expect(check("-r").code).toBe(0);
      expectOnlyBystander();
    });

    test("container data deleted or changed in size: -r leaves the containers (exit 1), -r -f removes them", () => {
      const a = make(["create-container", ""]);
      const b = make(["create-container", ""]);
      for (const c of [a, b]) make(["set-container-data", "-f", dataFile(), c, "datafile"]);
      expect(check().code).toBe(0);
      rmSync(join(s.graph, "overlay-containers", a, "datafile"));
      appendFileSync(join(s.graph, "overlay-containers", b, "datafile"), "\n");
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`container ${a}: data item "datafile": container data item is missing`);
      expect(r.stdout).toContain(`container ${b}: data item "datafile": container data item has incorrect size`);
      expect(check("-r").code).toBe(1);
      expect(p.podmanOk(["ps", "-a", "--external", "--no-trunc", "--format", "{{.ID}}"]).split("\n").sort()).toEqual([a, b].sort());
      expect(check("-r", "-f").code).toBe(0);
      expectOnlyBystander();
    });
  });
}
