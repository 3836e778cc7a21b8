/**
 * The peer tools that share an overlay store with ovlayer (buildah, podman,
 * skopeo), run against a temp store with configuration of their own, so a
 * test never reads or writes the machine's /etc/containers, its image store,
 * /run/libpod, /run/containers/networks, $HOME or podman's global shm lock.
 * Then what tests need to look at a store as those old tools do: sample
 * images, file trees through mounts, and the legacy-link checks.
 *
 * Per store, everything lives in `<store.dir>/peers/`:
 *   storage.conf      graphroot/runroot = the temp store (podman refuses a file without runroot)
 *   containers.conf   cgroupfs, file events, file locks, tmp dir inside the temp dir; the CNI
 *                     network backend (netavark's run dir is /run/containers/networks for root,
 *                     whatever the config) with its config dir inside the temp dir
 *   policy.json       accept anything (buildah from/commit and skopeo read a policy)
 *   registries.conf   no search registries and short names disabled: only full names are used
 *   tmp/ home/ net/   TMPDIR, HOME and XDG dirs, network config dir
 *
 * One thing cannot be moved on these versions: buildah commit and skopeo copy,
 * run as root, keep a blob-info cache in /var/lib/containers/cache (no flag or
 * variable changes it). It caches digests only and never changes a result here.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isMountPoint, readMountinfo } from "../../src/mount/mountinfo.ts";
import { hasCommand, inCI, orThrow, run, unmountBelow, type RunResult, type TempStore } from "./store.ts";

export const PEER_TOOLS = ["containers-storage", "buildah", "podman", "skopeo"] as const;

/**
 * Whether containers-storage, buildah, podman and skopeo are installed. In CI
 * (CI=true) they must be: a missing one is a failure, never a skip.
 */
export function hasPeers(): boolean {
  const missing = PEER_TOOLS.filter((t) => !hasCommand(t));
  if (missing.length && inCI) throw new Error(`CI=true but ${missing.join(", ")} not installed (.ci/run must install them)`);
  return missing.length === 0;
}

function dpkgVersion(pkg: string): string {
  const r = run(["dpkg-query", "-W", "-f", "${Version}", pkg]);
  return r.code === 0 ? r.stdout.trim() : "(not a Debian package)";
}

/**
 * What each peer says its version is, and the Debian package version.
 * `containers-storage version` prints nothing in Debian's 1.43 build, so the
 * package version is the only number it has.
 */
export function peerVersions(): Record<string, { says: string; package: string }> {
  const says = (argv: string[]) => {
    const r = run(argv);
    return (r.stdout.trim() || r.stderr.trim() || `(prints nothing, exit ${r.code})`).split("\n")[0]!;
  };
  return {
    "containers-storage": { says: says(["containers-storage", "version"]), package: dpkgVersion("containers-storage") },
    podman: { says: says(["podman", "--version"]), package: dpkgVersion("podman") },
    buildah: { says: says(["buildah", "--version"]), package: dpkgVersion("buildah") },
    skopeo: { says: says(["skopeo", "--version"]), package: dpkgVersion("skopeo") },
  };
}

export interface Peers {
  store: TempStore;
  /** The environment every peer runs with. */
  env: Record<string, string>;
  /** policy.json to pass to `buildah --signature-policy` and `skopeo --policy`. */
  policy: string;
  buildah(args: string[]): RunResult;
  /** Runs buildah; throws with its stderr unless it exits 0; returns trimmed stdout. */
  buildahOk(args: string[]): string;
  podman(args: string[]): RunResult;
  podmanOk(args: string[]): string;
  skopeo(args: string[]): RunResult;
  skopeoOk(args: string[]): string;
  /** `containers-storage:[overlay@R+RR]NAME`: the store as skopeo names it. */
  storageRef(image: string): string;
  /**
   * skopeo copy of `image` to `oci:DIR:TAG`, layers left uncompressed, so each
   * layer blob is exactly the tar the store reassembles (from tar-split and diff).
   */
  copyToOci(image: string, dir: string, tag?: string): void;
  /** Like copyToOci(), but returns skopeo's result instead of throwing. */
  tryCopyToOci(image: string, dir: string, tag?: string): RunResult;
  /**
   * Builds image `name` (fully qualified) with buildah: `from` (an image or
   * "scratch"), one `copy` per entry, `commit`. Returns the image ID.
   * Every `copy` becomes part of one new layer.
   */
  build(name: string, from: string, files: { src: string; dest: string }[]): string;
  /** Removes buildah's working containers and podman's containers and mounts. */
  cleanup(): void;
}

function writeConfigs(store: TempStore): { env: Record<string, string>; policy: string } {
  const dir = join(store.dir, "peers");
  for (const d of ["tmp", "home", "net", "home/.config", "home/.local/share", "run"]) mkdirSync(join(dir, d), { recursive: true });
  const storageConf = join(dir, "storage.conf");
  writeFileSync(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = "${store.graph}"\nrunroot = "${store.runRoot}"\n`);
  const containersConf = join(dir, "containers.conf");
  writeFileSync(
    containersConf,
    [
      "[engine]",
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, "tmp", "events.log")}"`,
      `tmp_dir = "${join(dir, "tmp")}"`,
      'lock_type = "file"',
      "[network]",
      'network_backend = "cni"',
      `network_config_dir = "${join(dir, "net")}"`,
      "",
    ].join("\n"),
  );
  const policy = join(dir, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  const registries = join(dir, "registries.conf");
  writeFileSync(registries, "unqualified-search-registries = []\nshort-name-mode = \"disabled\"\n");
  const env = {
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_CONF: containersConf,
    CONTAINERS_REGISTRIES_CONF: registries,
    STORAGE_DRIVER: "overlay",
    STORAGE_OPTS: "",
    TMPDIR: join(dir, "tmp"),
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home/.config"),
    XDG_DATA_HOME: join(dir, "home/.local/share"),
    XDG_RUNTIME_DIR: join(dir, "run"),
  };
  return { env, policy };
}

/** Peer runners for a temp store made by tempStore(). */
export function peers(store: TempStore): Peers {
  const { env, policy } = writeConfigs(store);
  // The rest (cgroup manager, events, tmp and network dirs) comes from containers.conf.
  const storeFlags = ["--root", store.graph, "--runroot", store.runRoot, "--storage-driver", "overlay"];
  const buildah = (args: string[]) => run(["buildah", ...storeFlags, ...args], { env });
  const podman = (args: string[]) => run(["podman", ...storeFlags, ...args], { env });
  const skopeo = (args: string[]) => run(["skopeo", "--policy", policy, ...args], { env });
  const buildahOk = orThrow(buildah, "buildah");
  const storageRef = (image: string) => `containers-storage:[overlay@${store.graph}+${store.runRoot}]${image}`;
  const tryCopyToOci = (image: string, ociDir: string, tag = "t") => {
    mkdirSync(dirname(ociDir), { recursive: true });
    return skopeo(["copy", "--quiet", "--dest-oci-accept-uncompressed-layers", storageRef(image), `oci:${ociDir}:${tag}`]);
  };
  return {
    store,
    env,
    policy,
    buildah,
    buildahOk,
    podman,
    podmanOk: orThrow(podman, "podman"),
    skopeo,
    skopeoOk: orThrow(skopeo, "skopeo"),
    storageRef,
    copyToOci(image, ociDir, tag = "t") {
      const r = tryCopyToOci(image, ociDir, tag);
      if (r.code !== 0) throw new Error(`skopeo copy of ${image} to ${ociDir} exited ${r.code}: ${r.stderr}`);
    },
    tryCopyToOci,
    build(name, from, files) {
      const ctr = buildahOk(["from", "--signature-policy", policy, "--pull=never", "--quiet", from]);
      try {
        for (const f of files) buildahOk(["copy", "--quiet", ctr, f.src, f.dest]);
        return buildahOk(["commit", "--quiet", "--signature-policy", policy, ctr, name]);
      } finally {
        buildah(["rm", ctr]);
      }
    },
    cleanup() {
      // Best effort, in the order that releases mounts first; store.cleanup() then
      // unmounts whatever is left below the temp dir.
      buildah(["rm", "--all"]);
      podman(["umount", "--all", "--force"]);
      podman(["image", "umount", "--all", "--force"]);
      podman(["rm", "--all", "--force"]);
    },
  };
}

/** An OCI layout written by copyToOci: the manifest and every blob's bytes. */
export interface OciCopy {
  manifestDigest: string;
  manifest: { config: { digest: string }; layers: { digest: string; mediaType: string; size: number }[] };
  /** Digest ("sha256:...") -> bytes, for the config and every layer. */
  blobs: Map<string, Uint8Array>;
}

/** Reads what skopeo wrote to an OCI layout directory (one manifest). */
export function readOciCopy(ociDir: string): OciCopy {
  const index = JSON.parse(readFileSync(join(ociDir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  if (index.manifests.length !== 1) throw new Error(`${ociDir}: expected one manifest, found ${index.manifests.length}`);
  const blob = (digest: string) => new Uint8Array(readFileSync(join(ociDir, "blobs", ...digest.split(":"))));
  const manifest = JSON.parse(new TextDecoder().decode(blob(index.manifests[0]!.digest))) as OciCopy["manifest"];
  const blobs = new Map<string, Uint8Array>();
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) blobs.set(d, blob(d));
  return { manifestDigest: index.manifests[0]!.digest, manifest, blobs };
}

// ---------------------------------------------------------------------------
// Sample images, built by buildah: several layers, files in each, a branch.

/** Files of an image or a mount, as `treeOf` describes them. */
export type Tree = Record<string, string>;

export interface SampleImage {
  name: string;
  id: string;
  /** Top layer ID (images.json "layer"). */
  top: string;
  /** Every file the image shows, as treeOf() prints them. */
  tree: Tree;
}

/**
 * Builds four images in the peers' store, with files in every layer and
 * /bin/busybox (a real 2 MB static binary) in one:
 *
 *   localhost/ovl-base:1   scratch + /a.txt, /etc/motd           (1 layer)
 *   localhost/ovl-app:1    base + /bin/busybox                    (2 layers)
 *   localhost/ovl-app:2    app:1 + /dir/b.txt, /dir/sub/c.txt, a new /a.txt  (3 layers)
 *   localhost/ovl-other:1  base + /b.txt                          (2 layers, a branch on base)
 */
export function buildSampleImages(p: Peers, workDir: string): SampleImage[] {
  const src = join(workDir, "sample-src");
  mkdirSync(join(src, "dir", "sub"), { recursive: true });
  mkdirSync(join(src, "v2"), { recursive: true });
  const put = (rel: string, text: string) => writeFileSync(join(src, rel), text);
  put("a.txt", "a from the base layer\n");
  put("motd", "motd from the base layer\n");
  put("dir/b.txt", "b from app:2\n");
  put("dir/sub/c.txt", "c from app:2\n");
  put("v2/a.txt", "a replaced in app:2\n");
  put("b.txt", "b from other:1\n");
  const busybox = fileSig(readFileSync("/bin/busybox"));
  const base: Tree = { "a.txt": "a from the base layer\n", "etc/motd": "motd from the base layer\n" };
  const app1: Tree = { ...base, "bin/busybox": busybox };
  const app2: Tree = { ...app1, "a.txt": "a replaced in app:2\n", "dir/b.txt": "b from app:2\n", "dir/sub/c.txt": "c from app:2\n" };
  const other: Tree = { ...base, "b.txt": "b from other:1\n" };
  const specs: { name: string; from: string; files: { src: string; dest: string }[]; tree: Tree }[] = [
    { name: "localhost/ovl-base:1", from: "scratch", files: [{ src: join(src, "a.txt"), dest: "/a.txt" }, { src: join(src, "motd"), dest: "/etc/motd" }], tree: base },
    { name: "localhost/ovl-app:1", from: "localhost/ovl-base:1", files: [{ src: "/bin/busybox", dest: "/bin/busybox" }], tree: app1 },
    {
      name: "localhost/ovl-app:2",
      from: "localhost/ovl-app:1",
      files: [{ src: join(src, "dir"), dest: "/dir" }, { src: join(src, "v2", "a.txt"), dest: "/a.txt" }],
      tree: app2,
    },
    { name: "localhost/ovl-other:1", from: "localhost/ovl-base:1", files: [{ src: join(src, "b.txt"), dest: "/b.txt" }], tree: other },
  ];
  return specs.map((spec) => {
    const id = p.build(spec.name, spec.from, spec.files);
    return { name: spec.name, id, top: imageTopLayer(p.store, id), tree: spec.tree };
  });
}

/** The top layer of image `id`, from images.json. */
export function imageTopLayer(store: TempStore, imageId: string): string {
  const images = JSON.parse(readFileSync(join(store.graph, "overlay-images", "images.json"), "utf8")) as { id: string; layer?: string }[];
  const img = images.find((i) => i.id === imageId);
  if (!img?.layer) throw new Error(`image ${imageId} has no top layer in images.json`);
  return img.layer;
}

// ---------------------------------------------------------------------------
// Files: what a mount shows, and writing content into a layer.

/** How treeOf() shows a file: its text when short, else its size and sha256. */
export function fileSig(content: Uint8Array | string): string {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (bytes.length <= 256 && !bytes.includes(0)) return bytes.toString("utf8");
  return `${bytes.length} bytes sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Every regular file and symlink below `root` (relative path -> fileSig, or
 * "-> target" for a symlink). Directories are left out; whiteouts never show
 * in a merged overlay view, so a deleted file is simply absent.
 */
export function treeOf(root: string): Tree {
  const out: Tree = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) walk(r);
      else if (st.isSymbolicLink()) out[r] = `-> ${readlinkSync(join(root, r))}`;
      else if (st.isFile()) out[r] = fileSig(readFileSync(join(root, r)));
      else out[r] = `(special file, mode ${st.mode.toString(8)})`;
    }
  };
  walk("");
  return out;
}

/** Writes files straight into a layer's content, R/overlay/<ID>/diff (what a layer's content is). */
export function writeLayerFiles(store: TempStore, id: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const f = join(store.graph, "overlay", id, "diff", rel);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, text);
  }
}

/** Whether `path` is a mount point now (/proc/self/mountinfo). */
export function mounted(path: string): boolean {
  return isMountPoint(path);
}

/**
 * For afterEach, so that nothing a test mounted survives it even when it
 * failed, and the next test starts with no mount count: every layer with a
 * count is force-unmounted (`ovlayer unmount --force`, which also drops the
 * count), then whatever is still mounted below R/overlay/ is unmounted. The
 * overlay home's own bind mount stays.
 */
export function unmountLayers(store: TempStore | undefined): void {
  if (!store) return;
  const counts = join(store.runRoot, "overlay-layers", "mountpoints.json");
  const entries = existsSync(counts) ? (JSON.parse(readFileSync(counts, "utf8") || "[]") as { id: string }[]) : [];
  for (const e of entries) store.ov(["unmount", "--force", e.id]);
  const home = join(store.graph, "overlay") + "/";
  for (const m of readMountinfo()) if (m.mountPoint.startsWith(home)) unmountBelow(m.mountPoint);
}

// ---------------------------------------------------------------------------
// What old readers need. Podman 4, buildah, skopeo and containers-storage 1.43
// read only `lower` and follow the R/overlay/l/<LID> symlinks; a layer is
// readable by them only if it has a `link` file naming a valid l/ link and,
// when it has a parent, a `lower` file whose links resolve to its whole chain.

export interface LayerRec {
  id: string;
  parent?: string;
  names?: string[];
  flags?: Record<string, unknown>;
  [key: string]: unknown;
}

/** layers.json as it is on disk (read whole; writers replace it atomically). */
export function readLayerRecords(store: TempStore): LayerRec[] {
  const f = join(store.graph, "overlay-layers", "layers.json");
  if (!existsSync(f)) return [];
  const text = readFileSync(f, "utf8");
  return text.trim() === "" ? [] : (JSON.parse(text) as LayerRec[]);
}

/** The lower layers of `id` by layers.json's parent fields, uppermost first. */
export function parentChain(records: readonly LayerRec[], id: string): string[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  let cur = byId.get(id);
  if (!cur) throw new Error(`layer ${id} is not in layers.json`);
  const out: string[] = [];
  while (cur.parent) {
    if (out.length > 1000) throw new Error(`layer ${id}: parent loop in layers.json`);
    out.push(cur.parent);
    cur = byId.get(cur.parent);
    if (!cur) throw new Error(`layer ${id}: ancestor ${out[out.length - 1]} is not in layers.json`);
  }
  return out;
}

/** ovlayer's marker of a store whose legacy links were dropped on purpose (`migrate --drop-legacy-links`). */
export function isSymlinkFree(store: TempStore): boolean {
  return existsSync(join(store.graph, "overlay", ".ovlayer-symlink-free"));
}

function readOrNull(f: string): string | null {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return null;
  }
}

function readlinkOrNull(f: string): string | null {
  try {
    return readlinkSync(f);
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

const LID = /^[A-Z2-7]{26}$/;
const LINK_TARGET = /^\.\.\/([0-9a-f]{64})\/diff$/;

/** Compares two chains and names the first difference (chains can be 128 long). */
function chainDiff(got: readonly string[], want: readonly string[]): string | null {
  if (got.join(":") === want.join(":")) return null;
  const i = got.findIndex((g, k) => g !== want[k]);
  const at = i < 0 ? Math.min(got.length, want.length) : i;
  return `${got.length} entries instead of ${want.length}, first difference at entry ${at + 1}: ${got[at] ?? "(none)"} instead of ${want[at] ?? "(none)"}`;
}

/**
 * What an old reader would trip over in layer `id`: no `link` file, no valid
 * l/<LID> -> ../<ID>/diff, no `lower` (non-base), a `lower` entry that is not
 * an l/ link or does not resolve, a chain that is not layers.json's, no `empty`
 * dir on a base layer (old tools mount it as the lowerdir). Empty when the
 * store is symlink-free.
 */
export function legacyProblems(store: TempStore, id: string, records: readonly LayerRec[] = readLayerRecords(store)): string[] {
  if (isSymlinkFree(store)) return [];
  const home = join(store.graph, "overlay");
  const dir = join(home, id);
  const problems: string[] = [];
  for (const sub of ["diff", "work"]) if (!isDir(join(dir, sub))) problems.push(`${id}: no ${sub} directory`);
  const lid = readOrNull(join(dir, "link"));
  if (lid === null) problems.push(`${id}: no link file`);
  else if (!LID.test(lid)) problems.push(`${id}: link file holds ${JSON.stringify(lid)}, not 26 base32 characters without newline`);
  else {
    const target = readlinkOrNull(join(home, "l", lid));
    if (target !== `../${id}/diff`) problems.push(`${id}: l/${lid} ${target === null ? "is missing or not a symlink" : `points to ${target}`}, expected ../${id}/diff`);
  }
  const want = parentChain(records, id);
  const lower = readOrNull(join(dir, "lower"));
  if (want.length === 0) {
    if (lower !== null) problems.push(`${id}: base layer has a lower file`);
    if (!isDir(join(dir, "empty"))) problems.push(`${id}: base layer has no empty directory`);
  } else if (lower === null) problems.push(`${id}: no lower file (its parent is ${want[0]})`);
  else {
    const got = lower.split(":").map((e) => {
      if (!/^l\/[A-Z2-7]{26}$/.test(e)) return `(${JSON.stringify(e)} is not an l/<LID> entry)`;
      const t = readlinkOrNull(join(home, e));
      const m = t === null ? null : LINK_TARGET.exec(t);
      return m ? m[1]! : `(${e} -> ${t ?? "nothing"})`;
    });
    const d = chainDiff(got, want);
    if (d) problems.push(`${id}: lower, read as old tools read it, does not give layers.json's chain: ${d}`);
  }
  return problems;
}

/**
 * Everything wrong with a store as a whole: records without a layer dir,
 * layer dirs without a record, `lower-layers` that disagrees with layers.json,
 * dangling or foreign l/ links, and legacyProblems() of every layer.
 */
export function storeProblems(store: TempStore): string[] {
  const records = readLayerRecords(store);
  const home = join(store.graph, "overlay");
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const r of records) {
    if (ids.has(r.id)) problems.push(`${r.id}: listed twice in layers.json`);
    ids.add(r.id);
    if (r.flags?.incomplete) problems.push(`${r.id}: still flagged incomplete`);
    if (!isDir(join(home, r.id, "diff"))) {
      problems.push(`${r.id}: in layers.json but ${join(home, r.id, "diff")} does not exist`);
      continue;
    }
    const ll = readOrNull(join(home, r.id, "lower-layers"));
    if (ll !== null) {
      const d = chainDiff(ll.split(":"), parentChain(records, r.id));
      if (d) problems.push(`${r.id}: lower-layers disagrees with layers.json: ${d}`);
    }
    problems.push(...legacyProblems(store, r.id, records));
  }
  for (const name of existsSync(home) ? readdirSync(home) : []) {
    if (/^[0-9a-f]{64}$/.test(name) && !ids.has(name)) problems.push(`${name}: layer directory without a layers.json entry`);
  }
  const linkDir = join(home, "l");
  for (const lid of existsSync(linkDir) ? readdirSync(linkDir) : []) {
    const t = readlinkOrNull(join(linkDir, lid));
    const m = t === null ? null : LINK_TARGET.exec(t);
    if (!m) problems.push(`l/${lid}: not a symlink to ../<ID>/diff (${t ?? "not a symlink"})`);
    else if (!ids.has(m[1]!) || !isDir(join(home, m[1]!, "diff"))) problems.push(`l/${lid}: dangling, points to ${t}`);
    else if (readOrNull(join(home, m[1]!, "link")) !== lid) problems.push(`l/${lid}: points to layer ${m[1]}, whose link file names another link`);
  }
  return problems;
}

/** An sha256 digest string (`sha256:<hex>`) of bytes or text. */
export const sha256 = (b: Uint8Array | string) => "sha256:" + new Bun.CryptoHasher("sha256").update(b).digest("hex");

export interface PulledImage {
  id: string;
  layer: string;
  /** The layer's tarball, its manifest and config as written. */
  tar: Uint8Array;
  config: string;
  manifest: string;
  manifestDigest: string;
}

/**
 * An image registered in `s` with ovlayer as a pull by podman would register
 * it: one layer holding `/hello.txt` with `text`, an OCI manifest and config
 * as big data (`manifest-<digest>`, `manifest`, the config digest), the
 * config digest as ID and `name` as its name.
 */
export function registerPulledImage(s: TempStore, name: string, text: string): PulledImage {
  const src = join(s.dir, "layer-src");
  mkdirSync(src);
  writeFileSync(join(src, "hello.txt"), text);
  const tarFile = join(s.dir, "layer.tar");
  if (run(["tar", "-C", src, "-cf", tarFile, "hello.txt"]).code !== 0) throw new Error(`tar of ${src} failed`);
  const tar = readFileSync(tarFile);
  const layer = s.ovOk(["import-layer", "-f", tarFile]).split("\n")[0]!.trim();
  const config = JSON.stringify({
    architecture: process.arch === "arm64" ? "arm64" : "amd64",
    os: "linux",
    config: { Cmd: ["/hello.txt"] },
    rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    history: [{ created_by: "ovlayer interop test" }],
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256(tar), size: tar.length }],
  });
  const manifestDigest = sha256(manifest);
  const id = sha256(config).slice("sha256:".length);
  writeFileSync(join(s.dir, "config.json"), config);
  writeFileSync(join(s.dir, "manifest.json"), manifest);
  s.ovOk(["create-image", "--id", id, "--digest", manifestDigest, "-n", name, layer]);
  s.ovOk(["set-image-data", "-f", join(s.dir, "manifest.json"), id, `manifest-${manifestDigest}`]);
  s.ovOk(["set-image-data", "-f", join(s.dir, "manifest.json"), id, "manifest"]);
  s.ovOk(["set-image-data", "-f", join(s.dir, "config.json"), id, sha256(config)]);
  return { id, layer, tar, config, manifest, manifestDigest };
}
