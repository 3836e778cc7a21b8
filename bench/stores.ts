/**
 * The benchmark's stores, all under one temp dir, and how each tool is
 * called on them. Stores are built in-process with ovlayer's own createLayer
 * (one call per layer, the same files a `create-layer` process writes), so a
 * 500-layer chain takes a second or two instead of 500 processes. Both tools
 * are then timed on the very same store.
 *
 * Run roots live on a tmpfs, as /run does on a real system (both tools fsync
 * mountpoints.json there; on tmpfs that is free, as in production).
 *
 * Both tools get the same storage.conf through $CONTAINERS_STORAGE_CONF (the
 * machine's /usr/share/containers/storage.conf never applies) and the same
 * --graph/--run/--storage-driver flags; $STORAGE_DRIVER and $STORAGE_OPTS are
 * removed from their environment.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mount } from "../src/sys/libc.ts";
import { join } from "node:path";
import { createLayer } from "../src/store/lifecycle/create.ts";
import { StorePaths } from "../src/store/paths.ts";

export interface Tools {
  ovlayer: string;
  containersStorage: string;
  /** The bare Bun-compiled hello world. */
  hello: string;
  /** The C kernel floor for mounts, or null when no C compiler was found. */
  mountFloor: string | null;
}

export interface BenchContext {
  /** The temp dir everything lives in; removed at the end. */
  dir: string;
  /** A tmpfs below `dir` for the stores' run roots (see mountRunDir). */
  runDir: string;
  /** Environment of every child process. */
  env: Record<string, string | undefined>;
  tools: Tools;
}

/** Mounts a tmpfs at `dir`/run for the run roots; the cleanup unmounts it with the rest. */
export function mountRunDir(dir: string): string {
  const runDir = join(dir, "run");
  mkdirSync(runDir);
  mount("tmpfs", runDir, "tmpfs", 0, "mode=0700");
  return runDir;
}

/** The storage.conf both tools read: overlay, nodev (as Debian's default file), roots inside the temp dir. */
export function writeStorageConf(dir: string): string {
  const file = join(dir, "storage.conf");
  writeFileSync(
    file,
    [
      "[storage]",
      'driver = "overlay"',
      `graphroot = "${join(dir, "default-graph")}"`,
      `runroot = "${join(dir, "default-run")}"`,
      "",
      "[storage.options.overlay]",
      'mountopt = "nodev"',
      "",
    ].join("\n"),
  );
  return file;
}

export function childEnv(conf: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, CONTAINERS_STORAGE_CONF: conf };
  delete env.STORAGE_DRIVER;
  delete env.STORAGE_OPTS;
  return env;
}

export interface Store {
  name: string;
  graph: string;
  runRoot: string;
  paths: StorePaths;
  /** Every layer, in creation order. */
  ids: string[];
  /** The layers of each chain, base first. */
  chains: string[][];
}

/** The global flags that point a tool at `store`. */
export function storeFlags(store: Store): string[] {
  return ["--graph", store.graph, "--run", store.runRoot, "--storage-driver", "overlay"];
}

/**
 * Builds a store of `chains` chains of `length` layers each (layer i of a
 * chain is the child of layer i-1).
 */
export async function buildStore(ctx: BenchContext, name: string, chains: number, length: number): Promise<Store> {
  const graph = join(ctx.dir, "stores", name);
  const runRoot = join(ctx.runDir, name);
  mkdirSync(graph, { recursive: true });
  mkdirSync(runRoot, { recursive: true });
  const paths = new StorePaths(graph, runRoot);
  const store: Store = { name, graph, runRoot, paths, ids: [], chains: [] };
  for (let c = 0; c < chains; c++) {
    const chain: string[] = [];
    let parent: string | undefined;
    for (let i = 0; i < length; i++) {
      const rec = await createLayer(paths, parent ? { parent } : {});
      chain.push(rec.id);
      store.ids.push(rec.id);
      parent = rec.id;
    }
    store.chains.push(chain);
  }
  return store;
}

/** The lower layers of `id` as diff dirs, uppermost first (from its lower-layers file). */
export function lowerDiffs(store: Store, id: string): string[] {
  let text: string;
  try {
    text = readFileSync(store.paths.lowerLayersFile(id), "utf8");
  } catch {
    return [];
  }
  return text.split(":").map((l) => store.paths.diff(l));
}
