/**
 * End-to-end demo of dist/ovlayer in a temporary store: a few layers with
 * files, a whiteout, the stack mounted and listed, then a 300-layer chain
 * (over the page-size limit of mount(2) data) mounted in-process, and
 * everything unmounted and removed. Run as root: `npm run demo`.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const bin = resolve(import.meta.dir, "../dist/ovlayer");
const dir = mkdtempSync(join(tmpdir(), "ovlayer-demo-"));
const graph = join(dir, "root");
const runRoot = join(dir, "run");
const conf = join(dir, "storage.conf");
writeFileSync(conf, '[storage]\ndriver = "overlay"\n');

function ov(...args: string[]): string {
  const p = Bun.spawnSync([bin, "--graph", graph, "--run", runRoot, ...args], { env: { ...process.env, CONTAINERS_STORAGE_CONF: conf } });
  if (p.exitCode !== 0) throw new Error(`ovlayer ${args.join(" ")} failed (${p.exitCode}): ${p.stderr.toString()}`);
  return p.stdout.toString().trim();
}
const say = (s: string) => console.log(`\n== ${s}`);
const layerDiff = (id: string) => join(graph, "overlay", id, "diff");

try {
  if (process.getuid?.() !== 0) throw new Error("the demo mounts overlays: run it as root");
  say(`${ov("--version")} — store in ${dir}`);
  const base = ov("create-layer", "-n", "base").split("\n")[0]!;
  mkdirSync(join(layerDiff(base), "etc"));
  writeFileSync(join(layerDiff(base), "etc/os-release"), "NAME=demo\n");
  writeFileSync(join(layerDiff(base), "old.txt"), "removed by the next layer\n");
  const app = ov("create-layer", "-n", "app", "base").split("\n")[0]!;
  writeFileSync(join(layerDiff(app), "app.txt"), "hello from the app layer\n");
  Bun.spawnSync(["mknod", join(layerDiff(app), "old.txt"), "c", "0", "0"]); // an overlay whiteout
  const top = ov("create-layer", "-n", "container", "app").split("\n")[0]!;
  console.log(ov("layers", "--tree"));
  say(`files written for layer ${top.slice(0, 12)}: lower (legacy l/ links) and lower-layers (IDs)`);
  console.log(`lower:        ${readFileSync(join(graph, "overlay", top, "lower"), "utf8")}`);
  console.log(`lower-layers: ${readFileSync(join(graph, "overlay", top, "lower-layers"), "utf8").replace(/([0-9a-f]{12})[0-9a-f]{52}/g, "$1…")}`);

  say("mount the stack and look inside");
  const merged = ov("mount", "container");
  console.log(merged);
  console.log(readdirSync(merged, { recursive: true }).sort().join("\n"));
  console.log(`app.txt: ${readFileSync(join(merged, "app.txt"), "utf8").trim()}  (old.txt is hidden by the whiteout)`);
  writeFileSync(join(merged, "written.txt"), "lands in the top layer's diff\n");
  console.log(`a write through the mount lands in ${layerDiff(top)}: ${readdirSync(layerDiff(top)).join(", ")}`);
  console.log(ov("unmount", "container"));

  say("a 300-layer chain: its mount(2) data would be far over one page, so ovlayer mounts it with the mount API (or fds)");
  let parent = top;
  const t0 = performance.now();
  for (let i = 0; i < 300; i++) {
    parent = ov("create-layer", parent).split("\n")[0]!;
    writeFileSync(join(layerDiff(parent), `f${i}`), `${i}\n`);
  }
  console.log(`created 300 layers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const p = Bun.spawnSync([bin, "--graph", graph, "--run", runRoot, "--debug", "mount", parent], { env: { ...process.env, CONTAINERS_STORAGE_CONF: conf } });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  const deep = p.stdout.toString().trim();
  console.log(p.stderr.toString().split("\n").find((l) => l.includes("strategy"))?.replace(/[0-9a-f]{64}/, (m) => m.slice(0, 12) + "…"));
  console.log(`${readdirSync(deep).length} entries visible at ${deep}`);
  console.log(ov("unmount", parent));
  say("status");
  console.log(ov("status"));
} finally {
  // unmount anything left below the demo dir, deepest first, then remove it
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(dir));
  for (const m of mounts.sort((a, b) => b.length - a.length)) Bun.spawnSync(["umount", "-l", m]);
  rmSync(dir, { recursive: true, force: true });
  console.log(`\nremoved ${dir}`);
}
