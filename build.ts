/**
 * Builds ovlayer: one self-contained executable (bun build --compile).
 *
 *   bun build.ts              dist/ovlayer, for this machine (npm run build)
 *   bun build.ts --release    dist/ovlayer-linux-x64, dist/ovlayer-linux-arm64
 *                             and the man page dist/ovlayer.1 (npm run
 *                             release; Bun fetches the other architecture's
 *                             runtime from the npm registry)
 *
 * --bytecode needs --format=esm (a CommonJS bundle with consola inside dies at
 * start); the binary must not read .env or bunfig.toml from the directory it
 * runs in. --splitting keeps each verb's code in chunks of the embedded bundle
 * that load only when the verb runs; without it every call loads all of it,
 * with every built-in module any verb imports (node:fs, bun:ffi...): about
 * 3 ms more for `--version` (bench/README.md). After building, a binary for
 * this machine is run once: a build that exits 0 but cannot start is a failed
 * build. A binary for the other architecture is smoke-run under
 * qemu-aarch64-static / qemu-x86_64-static when that is installed.
 */
import { $ } from "bun";
import { existsSync, mkdirSync } from "node:fs";
import { arch } from "node:os";

const ENTRIES = ["src/main.ts", "src/archive/apply/digest-worker.ts"];
const FLAGS = ["--compile", "--splitting", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];

/** Runs `cmd --version` and fails the build unless it prints ovlayer's version line. */
async function smoke(cmd: string[], what: string): Promise<void> {
  const r = await $`${cmd} --version`.quiet().nothrow();
  if (r.exitCode !== 0 || !r.stdout.toString().startsWith("ovlayer version ")) {
    console.error(`build: ${what} does not start:\n${r.stderr.toString()}`);
    process.exit(1);
  }
  console.error(`build: ${what} ok (${r.stdout.toString().trim()})`);
}

async function build(out: string, target?: string): Promise<void> {
  await $`bun build ${ENTRIES} ${FLAGS} ${target ? ["--target", target] : []} --outfile ${out}`;
}

mkdirSync("dist", { recursive: true });
if (process.argv.includes("--release")) {
  const native = arch() === "arm64" ? "arm64" : "x64";
  const qemu: Record<string, string[]> = {
    arm64: ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"],
    x64: ["qemu-x86_64-static", "-L", "/usr/x86_64-linux-gnu"],
  };
  for (const a of ["x64", "arm64"] as const) {
    const out = `dist/ovlayer-linux-${a}`;
    await build(out, `bun-linux-${a}`);
    if (a === native) await smoke([`./${out}`], out);
    else if (existsSync(`/usr/bin/${qemu[a]![0]}`)) await smoke([...qemu[a]!, `./${out}`], `${out} (under ${qemu[a]![0]})`);
    else console.error(`build: ${out} written (not run: no ${qemu[a]![0]} here)`);
  }
  await $`bun scripts/manpage.ts dist/ovlayer.1`;
} else {
  const target = process.env.OVLAYER_TARGET; // e.g. bun-linux-arm64 for one cross build
  const out = "dist/ovlayer";
  await build(out, target);
  if (!target) await smoke([`./${out}`], out);
}
