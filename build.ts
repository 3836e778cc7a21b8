/**
 * Builds dist/ovlayer: one self-contained executable (bun build --compile).
 *
 * --bytecode needs --format=esm (a CommonJS bundle with consola inside dies at
 * start); the binary must not read .env or bunfig.toml from the directory it
 * runs in. --splitting keeps each verb's code in chunks of the embedded bundle
 * that load only when the verb runs; without it every call loads all of it,
 * with every built-in module any verb imports (node:fs, bun:ffi...): about
 * 3 ms more for `--version` (bench/README.md). After building, the binary is
 * run once: a build that exits 0 but cannot start is a failed build.
 */
import { $ } from "bun";
import { mkdirSync } from "node:fs";

const out = "dist/ovlayer";
mkdirSync("dist", { recursive: true });
const target = process.env.OVLAYER_TARGET; // e.g. bun-linux-arm64 for a cross build
await $`bun build src/main.ts src/archive/apply/digest-worker.ts --compile --splitting --minify --bytecode --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig ${target ? ["--target", target] : []} --outfile ${out}`;
if (!target) {
  const smoke = await $`./${out} --version`.quiet().nothrow();
  if (smoke.exitCode !== 0 || !smoke.stdout.toString().startsWith("ovlayer version ")) {
    console.error(`build: ${out} does not start:\n${smoke.stderr.toString()}`);
    process.exit(1);
  }
  console.error(`build: ${out} ok (${smoke.stdout.toString().trim()})`);
}
