/**
 * import-layer of the same tarball (bench/import-tarball.ts: tens of thousands
 * of files, a few hundred MB), uncompressed and gzip, by ovlayer and by
 * containers-storage, with GNU `tar -x` of the same file into an empty dir
 * as the floor. Each imported layer is deleted again (untimed), and every
 * trial ends with sync(1), so the writeback of one trial's 300 MB does not
 * land in the next one's time.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { measure, timeProcess, type Side, type Stats } from "../measure.ts";
import { buildStore, storeFlags, type Store } from "../stores.ts";
import { writeLayerTarball } from "../import-tarball.ts";
import { makeResult, maxRatio, progress, type Result, type RowEnv } from "./common.ts";

function sync(): void {
  Bun.spawnSync(["sync"]);
}

function importSide(env: RowEnv, name: string, bin: string, store: Store, file: string): Side {
  const flags = [bin, ...storeFlags(store)];
  return {
    name,
    trial() {
      const r = timeProcess([...flags, "import-layer", "--file", file], { env: env.ctx.env });
      const id = r.stdout.trim().split("\n")[0]!;
      if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`${name} import-layer printed ${JSON.stringify(r.stdout)}`);
      timeProcess([...flags, "delete-layer", id], { env: env.ctx.env });
      sync();
      return r;
    },
  };
}

function tarSide(env: RowEnv, file: string, gzip: boolean): Side {
  const dir = join(env.ctx.dir, "tar-x");
  return {
    name: "tar",
    trial() {
      mkdirSync(dir);
      const r = timeProcess(["tar", gzip ? "-xzf" : "-xf", file, "-C", dir], { env: env.ctx.env });
      rmSync(dir, { recursive: true, force: true });
      sync();
      return r;
    },
  };
}

/** Null when dist/ovlayer has import-layer, else why not. */
function importMissing(env: RowEnv): string | null {
  const p = Bun.spawnSync([env.ctx.tools.ovlayer, "import-layer", "--help"], { env: env.ctx.env as Record<string, string>, stdout: "pipe", stderr: "pipe" });
  return p.exitCode === 0 ? null : "n/a (verb missing)";
}

export async function importRows(env: RowEnv): Promise<Result[]> {
  const { ctx, plan } = env;
  const t0 = performance.now();
  const tar = join(ctx.dir, "layer.tar");
  const gzip = join(ctx.dir, "layer.tar.gz");
  const opts = { files: plan.tarball.files, totalBytes: plan.tarball.bytes };
  const st = await writeLayerTarball(tar, opts, "none");
  await writeLayerTarball(gzip, opts, "gzip");
  sync();
  const mb = (f: string) => `${(statSync(f).size / 1048576).toFixed(0)} MB`;
  const shape = `${st.files + st.dirs + st.symlinks + st.hardlinks} entries, ${mb(tar)}`;
  env.log(`generated the tarball (${shape}, gzip ${mb(gzip)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const missing = importMissing(env);
  if (missing) env.log(`dist/ovlayer has no import-layer verb: its import rows are ${missing}`);
  const store = await buildStore(ctx, "import", 0, 0);
  const results: Result[] = [];
  for (const [fmt, file] of [
    ["uncompressed", tar],
    ["gzip", gzip],
  ] as const) {
    const title = `import-layer, ${fmt} (${shape})`;
    env.log(title);
    const sides: Side[] = [importSide(env, "cs", ctx.tools.containersStorage, store, file), tarSide(env, file, fmt === "gzip")];
    if (!missing) sides.unshift(importSide(env, "ovlayer", ctx.tools.ovlayer, store, file));
    // No warm-up round: each trial takes seconds, the tarball is in the page cache and the binaries ran before.
    const s = await measure(sides, { runs: plan.importRuns, warmup: 0, onRound: progress(env, title) });
    const ov: Stats | null = s.get("ovlayer") ?? null;
    const note = missing ?? undefined;
    results.push(makeResult(`import-${fmt}-cs`, "import-layer", title, ov, "containers-storage", s.get("cs")!, maxRatio(1), note));
    results.push(makeResult(`import-${fmt}-tar`, "import-layer", title, ov, "GNU tar -x", s.get("tar")!, maxRatio(1.5), note));
  }
  return results;
}
