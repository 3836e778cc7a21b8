/**
 * SIGKILL at random points: create-layer, import-layer, delete, mount, repair
 * and migrate are each run once to completion (to time them) and then
 * started and killed at a random point of such a run (seeded: OVL_CRASH_SEED,
 * default below; OVL_CRASH_KILLS per verb, default 20). After
 * every kill: check, repair if check finds something, check clean; then
 * containers-storage 1.43 lists every layer ovlayer lists and mounts every
 * leaf (so every layer's chain); and no layer whose creation was reported
 * (exit 0) is lost.
 *
 * The store: a base chain of 5 layers that is never deleted, and up to 5
 * extra layers on random members of it (all leaves), which delete removes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMountPoint } from "../../src/mount/mountinfo.ts";
import { canMount, firstLine, hasContainersStorage, OVLAYER, tempStore, type TempStore } from "../helpers/store.ts";
import { prng as rng } from "../helpers/prng.ts";

const SEED = Number(process.env.OVL_CRASH_SEED ?? 20261201);
const KILLS = Number(process.env.OVL_CRASH_KILLS ?? 20);
const MAX_EXTRAS = 5;


type Verb = "create-layer" | "import-layer" | "delete" | "mount" | "repair" | "migrate";

describe.skipIf(!canMount() || !hasContainersStorage())("SIGKILL at random points", () => {
  let s: TempStore;
  let tarball: string;
  const chain: string[] = [];
  /** Layers whose creation exited 0 and that no delete was tried on: they must survive every kill. */
  const reported = new Set<string>();
  const random = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const stats = { finished: 0, killed: 0, repaired: 0 };

  const ids = (): string[] => s.ovOk(["layers", "-q"]).split("\n").filter(Boolean);
  const extras = (): string[] => ids().filter((id) => !chain.includes(id));
  const layerDir = (id: string) => join(s.graph, "overlay", id);

  beforeAll(() => {
    s = tempStore("ovl-crash-");
    let parent: string | undefined;
    for (let i = 0; i < 5; i++) {
      parent = firstLine(s.ovOk(["create-layer", ...(parent ? [parent] : [])]));
      chain.push(parent);
      reported.add(parent);
    }
    const src = join(s.dir, "src");
    mkdirSync(src);
    for (let i = 0; i < 100; i++) writeFileSync(join(src, `f${i}`), `file ${i}\n`.repeat(30));
    tarball = join(s.dir, "small.tar");
    Bun.spawnSync(["tar", "-C", src, "-cf", tarball, "."]);
    console.log(`crash test: seed ${SEED}, ${KILLS} kills per verb`);
  });
  afterAll(() => {
    console.log(`crash test: ${stats.killed} killed, ${stats.finished} finished before the kill, ${stats.repaired} needed repair`);
    s.cleanup();
  });

  /** Prepares the store so the verb has work to do; returns its arguments. */
  function argsFor(verb: Verb): string[] {
    switch (verb) {
      case "create-layer":
        return ["create-layer", pick(chain)];
      case "import-layer":
        return ["import-layer", "-f", tarball, pick(chain)];
      case "delete": {
        if (extras().length === 0) s.ovOk(["create-layer", pick(chain)]);
        const victim = pick(extras());
        reported.delete(victim);
        return ["delete", victim];
      }
      case "mount":
        return ["mount", pick(ids())];
      case "repair": {
        // Damage: an l/ symlink gone, which repair makes again.
        const id = pick(ids());
        const lid = readFileSync(join(layerDir(id), "link"), "utf8").trim();
        rmSync(join(s.graph, "overlay", "l", lid), { force: true });
        return ["repair"];
      }
      case "migrate": {
        // An older store: lower-layers files missing, which migrate writes.
        for (const id of ids()) if (random() < 0.5) rmSync(join(layerDir(id), "lower-layers"), { force: true });
        return ["migrate"];
      }
    }
  }

  /**
   * Runs the verb and kills it after `delay` ms (no kill when null); returns
   * how long it ran. Startup alone takes 100-250 ms on a loaded 2-core
   * machine, so the delays are drawn over a full run's duration (measured
   * first), not a fixed 0-40 ms that would only ever hit the startup.
   */
  async function runAndKill(verb: Verb, delay: number | null): Promise<{ ran: number; killed: boolean }> {
    const args = argsFor(verb);
    const t0 = performance.now();
    const p = Bun.spawn([OVLAYER, "--graph", s.graph, "--run", s.runRoot, ...args], { env: { ...process.env, ...s.env }, stdout: "pipe", stderr: "pipe" });
    if (delay !== null) {
      await Bun.sleep(delay);
      p.kill(9);
    }
    const code = await p.exited;
    const ran = performance.now() - t0;
    const out = await new Response(p.stdout).text();
    if (code === 0) {
      stats.finished++;
      if (verb === "create-layer" || verb === "import-layer") reported.add(firstLine(out));
    } else if (p.signalCode === "SIGKILL") {
      stats.killed++;
    } else {
      throw new Error(`${args.join(" ")} exited ${code}: ${await new Response(p.stderr).text()}`);
    }
    verify(`${args.join(" ")} (${delay === null ? "not killed" : `killed after ${delay.toFixed(1)} ms`}, seed ${SEED})`);
    return { ran, killed: code !== 0 };
  }

  function verify(what: string): void {
    const c = s.ov(["check", "--verbose"]);
    if (c.code !== 0) {
      stats.repaired++;
      s.ov(["repair"]);
      const again = s.ov(["check", "--verbose"]);
      expect({ what, code: again.code, stderr: again.stderr }).toEqual({ what, code: 0, stderr: expect.stringContaining("no problems") });
    }
    const listed = ids().sort();
    for (const id of reported) expect({ what, lost: id, listed: listed.includes(id) }).toEqual({ what, lost: id, listed: true });
    expect({ what, cs: s.csOk(["layers"]).split("\n").filter(Boolean).sort() }).toEqual({ what, cs: listed });
    // containers-storage mounts every leaf, so every layer of every chain is read through its files.
    const records = JSON.parse(readFileSync(join(s.graph, "overlay-layers", "layers.json"), "utf8")) as { id: string; parent?: string }[];
    const parents = new Set(records.map((r) => r.parent));
    const leaves = listed.filter((id) => !parents.has(id));
    s.csOk(["mount", ...leaves]);
    s.csOk(["unmount", ...leaves]);
    // A mount that finished (or was killed after mounting) is dropped as a user would.
    for (const id of listed) if (isMountPoint(join(layerDir(id), "merged"))) s.ovOk(["unmount", "--force", id]);
    // Keep the store small: delete extra layers beyond MAX_EXTRAS.
    for (const id of extras().slice(MAX_EXTRAS)) {
      s.ovOk(["delete", id]);
      reported.delete(id);
    }
  }

  for (const verb of ["create-layer", "import-layer", "delete", "mount", "repair", "migrate"] as const) {
    test(
      `${verb}, killed ${KILLS} times`,
      async () => {
        const full = (await runAndKill(verb, null)).ran;
        let kills = 0;
        for (let tries = 0; kills < KILLS && tries < 3 * KILLS; tries++) if ((await runAndKill(verb, random() * full)).killed) kills++;
        expect(kills).toBe(KILLS);
      },
      240_000,
    );
  }

  test("the kills hit running calls, and the store ends clean with the base chain whole", () => {
    expect(stats.killed).toBe(6 * KILLS);
    expect(s.ov(["check", "--verbose"]).code).toBe(0);
    for (const id of chain) expect(readdirSync(layerDir(id)).sort()).toEqual(expect.arrayContaining(["diff", "link", "work"]));
  });
});
