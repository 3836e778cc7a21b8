/**
 * What the benchmark needs before it starts: dist/ovlayer (rebuilt with
 * build.ts when any source is newer), a bare Bun-compiled hello world for the
 * start-up row, and the C kernel floor for the mount rows.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..");
export const OVLAYER = join(ROOT, "dist", "ovlayer");

/** The flags build.ts compiles with, so the hello world starts the way ovlayer does. */
const COMPILE_FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

function run(argv: string[], what: string, cwd = ROOT): void {
  const p = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${what} failed (${argv.join(" ")}):\n${p.stderr.toString()}${p.stdout.toString()}`);
}

/** Builds dist/ovlayer when it is missing or older than src/, package.json or build.ts. */
export function ensureOvlayer(log: (s: string) => void): void {
  const inputs = ["src", "package.json", "build.ts", "bun.lock"].map((p) => join(ROOT, p)).filter(existsSync);
  const newest = Math.max(...inputs.map(newestMtime));
  if (existsSync(OVLAYER) && statSync(OVLAYER).mtimeMs >= newest) {
    log("dist/ovlayer is up to date");
    return;
  }
  log("building dist/ovlayer (bun build.ts)");
  run([process.execPath, "build.ts"], "bun build.ts");
}

/** Compiles `await Bun.write(Bun.stdout, ...)` with build.ts's flags into `dir`. */
export function buildHello(dir: string): string {
  const src = join(dir, "hello");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "hello.ts"), 'await Bun.write(Bun.stdout, "hello world\\n");\n');
  const out = join(src, "hello");
  run([process.execPath, "build", join(src, "hello.ts"), ...COMPILE_FLAGS, "--outfile", out], "building the hello world", src);
  return out;
}

/**
 * Copies each binary into `dir`/bin and flushes the copies to disk, so that
 * every tool starts from the same page-cache state: a 110 MB Bun binary
 * starts up to ~1 ms faster or slower depending on how and when its pages
 * were cached (a fresh build, a copy, an old file), which is noise here.
 * @returns the copies' paths, in order.
 */
export function freshCopies(dir: string, binaries: readonly string[]): string[] {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const out = binaries.map((b, i) => {
    const copy = join(bin, `${i}-${basename(b)}`);
    copyFileSync(b, copy);
    return copy;
  });
  Bun.spawnSync(["sync"]);
  return out;
}

/** Compiles bench/mountfloor.c into `dir`; null (with the reason logged) when there is no C compiler. */
export function buildMountFloor(dir: string, log: (s: string) => void): string | null {
  const cc = Bun.which("cc") ?? Bun.which("gcc") ?? Bun.which("clang");
  if (!cc) {
    log("no C compiler (cc, gcc, clang): the kernel-floor rows are skipped");
    return null;
  }
  const out = join(dir, "mountfloor");
  try {
    run([cc, "-O2", "-o", out, join(ROOT, "bench", "mountfloor.c")], "compiling bench/mountfloor.c");
  } catch (e) {
    log(`${(e as Error).message}\nthe kernel-floor rows are skipped`);
    return null;
  }
  return out;
}
