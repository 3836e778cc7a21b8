/**
 * Failed writes to stdout and stderr (cli/stdio.ts): `> /dev/full` is one
 * line and exit 74, a closed pipe is quiet with 141, a closed or full stderr
 * never shows a stack or Bun's banner. Run through bash for the redirections.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OVLAYER, firstLine, tempStore, type TempStore } from "../helpers/store.ts";

let s: TempStore;
beforeAll(() => {
  s = tempStore("ovl-io-");
  s.ovOk(["create-layer", "-n", "base"]);
});
afterAll(() => s.cleanup());

/** Runs `ovlayer ARGS REDIRECTIONS` in bash; `pipe` is what stdout goes into ("" for none). */
function sh(args: string, redirect: string, pipe = ""): { code: number; stderr: string; stdout: string } {
  const base = `${OVLAYER} --graph ${s.graph} --run ${s.runRoot} --storage-driver overlay`;
  const script = pipe ? `${base} ${args} ${redirect} | ${pipe}; exit \${PIPESTATUS[0]}` : `${base} ${args} ${redirect}`;
  const p = Bun.spawnSync(["bash", "-c", script], { env: { ...process.env, ...s.env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stderr: p.stderr.toString(), stdout: p.stdout.toString() };
}

const noCrash = (stderr: string) => {
  expect(stderr).not.toContain("Bun v");
  expect(stderr).not.toContain("$bunfs");
  expect(stderr).not.toContain("    at ");
};

describe("stdout that cannot be written", () => {
  test.each([["layers"], ["layers --json"], ["version"], ["--version"], ["layer base"]])("%s > /dev/full: one line, exit 74", (args) => {
    const r = sh(args, "> /dev/full");
    expect(r.code).toBe(74);
    expect(r.stderr).toBe("ovlayer: write error on standard output: no space left on device (ENOSPC)\n");
  });

  test("diff streaming a tarball to /dev/full: one line, exit 74, and the store lock is released", () => {
    const r = sh("diff -u base", "> /dev/full");
    expect(r.code).toBe(74);
    expect(r.stderr).toBe("ovlayer: write error on standard output: no space left on device (ENOSPC)\n");
    expect(firstLine(s.ovOk(["create-layer", "base"]))).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([["layers"], ["layers --json"], ["version"], ["--version"], ["diff -u base"]])("%s into a pipe whose reader is gone: quiet, exit 141", (args) => {
    const base = `${OVLAYER} --graph ${s.graph} --run ${s.runRoot} --storage-driver overlay`;
    // The reader (true) has exited before the first write: the write gets EPIPE for certain.
    const p = Bun.spawnSync(["bash", "-c", `exec 3>&1; { sleep 0.3; ${base} ${args}; echo "rc=$?" >&3; } | true`], {
      env: { ...process.env, ...s.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(p.stdout.toString()).toBe("rc=141\n");
    expect(p.stderr.toString()).toBe("");
  });

  test("a large diff into a pipe closed half-way: quiet, exit 141", () => {
    const p = Bun.spawnSync(["bash", "-c", `exec 3>&1; { ${OVLAYER} --graph ${s.graph} --run ${s.runRoot} diff -u base; echo "rc=$?" >&3; } | head -c 100 >/dev/null`], {
      env: { ...process.env, ...s.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    // An empty layer's tarball is 1 KiB and may fit the pipe before head exits: then 0.
    expect(["rc=141\n", "rc=0\n"]).toContain(p.stdout.toString());
    noCrash(p.stderr.toString());
  });
});

describe("stderr that cannot be written", () => {
  test("a usage error with stderr on /dev/full: exit 74, nothing printed", () => {
    const r = sh("layers --bogus", "2>/dev/full");
    expect(r.code).toBe(74);
    expect(r.stdout).toBe("");
  });

  test("a usage error with stderr closed keeps its own code, no crash", () => {
    const r = sh("layers --bogus", "2>&-");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });

  test("a not-found error with stderr closed: its code; the store gets nothing on fd 2", () => {
    const before = s.ovOk(["layers"]);
    const r = sh("delete-layer nosuchlayer", "2>&-");
    expect(r.code).toBe(3);
    expect(s.ovOk(["layers"])).toBe(before);
  });

  test("both gone: the command's data write fails first, exit 74, no output at all", () => {
    const r = sh("layers", "> /dev/full 2>/dev/full");
    expect(r.code).toBe(74);
    noCrash(r.stderr);
  });
});

describe("get-layer-data to a stdout that cannot be written", () => {
  test("> /dev/full: one line, exit 74; into a gone reader: quiet, 141", () => {
    s.ovOk(["set-layer-data", "-f", "/etc/os-release", "base", "item"]);
    const r = sh("get-layer-data base item", "> /dev/full");
    expect(r.code).toBe(74);
    expect(r.stderr).toBe("ovlayer: write error on standard output: no space left on device (ENOSPC)\n");
    const base = `${OVLAYER} --graph ${s.graph} --run ${s.runRoot} --storage-driver overlay`;
    const p = Bun.spawnSync(["bash", "-c", `exec 3>&1; { sleep 0.3; ${base} get-layer-data base item; echo "rc=$?" >&3; } | true`], {
      env: { ...process.env, ...s.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(p.stdout.toString()).toBe("rc=141\n");
    expect(p.stderr.toString()).toBe("");
  });
});

describe("stdout that is slow to drain", () => {
  test("a non-blocking pipe filled past its 64 KiB by a reader that waits: every byte arrives in order, exit 0", () => {
    // A layer name longer than a pipe holds: `layers` prints one line of over 64 KiB.
    const name = "n".repeat(100_000);
    const id = firstLine(s.ovOk(["create-layer", "-n", name]));
    const expected = s.ov(["layers"]).stdout; // the same call into a blocking pipe
    expect(expected).toContain(name);
    // perl sets O_NONBLOCK on the pipe and execs ovlayer: its write(2) gets EAGAIN once the pipe is full.
    const wrapper = join(s.dir, "nonblock.pl");
    writeFileSync(wrapper, "use Fcntl;\nfcntl(STDOUT, F_SETFL, fcntl(STDOUT, F_GETFL, 0) | O_NONBLOCK) or die;\nexec { $ARGV[0] } @ARGV or die;\n");
    const argv = [OVLAYER, "--graph", s.graph, "--run", s.runRoot, "--storage-driver", "overlay", "layers"];
    const p = Bun.spawnSync(["bash", "-c", 'perl "$@" | { sleep 0.3; cat; }', "bash", wrapper, ...argv], { env: { ...process.env, ...s.env }, stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    const out = p.stdout.toString();
    expect(out.length).toBe(expected.length);
    expect(out === expected).toBe(true); // not toBe(expected): a 100 KB diff is unreadable
    s.ovOk(["delete-layer", id]);
  });
});
