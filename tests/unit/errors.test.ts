/**
 * The one errno policy (errors.ts sysError): each errno's kind, message and
 * hint, for root and for others; a failed undo never replaces the error; and
 * the one formatter of message lines (log.ts).
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_CODES, OvError, ROOT_HINT, errnoKind, rollback, sysError } from "../../src/errors.ts";
import { formatError } from "../../src/cli/report.ts";
import { formatLine } from "../../src/log.ts";
import { SysError } from "../../src/sys/libc.ts";
import { invalidIdReason } from "../../src/store/layers/ids.ts";

/** A Node-style fs error, as node:fs throws them. */
function fsErr(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

const P = "/var/lib/containers/storage/overlay-layers/layers.json";

describe("sysError(): the errno policy", () => {
  test.each([
    ["ENOSPC", "sys", `no space left on the device holding ${P} (ENOSPC)`, "free some space"],
    ["EDQUOT", "sys", `the disk quota on the filesystem holding ${P} is used up (EDQUOT)`, "larger quota"],
    ["EROFS", "permission", `the store at ${P} is on a read-only filesystem (EROFS)`, "remount that filesystem read-write"],
    ["EMFILE", "sys", "too many open files: this process reached its limit of open file descriptors (EMFILE)", "ulimit -n"],
    ["ENFILE", "sys", "too many open files in the whole system (ENFILE)", "fs.file-max"],
  ] as const)("%s is %s with a message and a hint a user can act on", (code, kind, text, hint) => {
    for (const root of [true, false]) {
      const e = sysError(`Cannot write ${P}`, fsErr(code, "write", P), { root });
      expect(e.kind).toBe(kind);
      expect(e.message).toBe(`Cannot write ${P}: ${text}`);
      expect(e.hint).toContain(hint);
      expect(e.hint).not.toContain(ROOT_HINT);
    }
  });

  test("ENAMETOOLONG names the path's length, its longest name's, and both limits, in bytes", () => {
    const name = "é".repeat(200); // 200 UTF-16 units, 400 bytes
    const path = `/s/overlay/${name}`;
    const e = sysError("Cannot create layer x", fsErr("ENAMETOOLONG", "mkdir", path));
    expect(e.kind).toBe("sys");
    expect(e.message).toBe(`Cannot create layer x: the path ${path} is too long (ENAMETOOLONG): 411 bytes (the limit is 4095), its longest name 400 bytes (the limit is 255)`);
    expect(e.hint).toContain("shorter path");
  });

  test("ENAMETOOLONG from a real mkdir(2)", () => {
    const dir = mkdtempSync(join(tmpdir(), "ovl-errno-"));
    try {
      let err: unknown;
      try {
        mkdirSync(join(dir, "x".repeat(300)));
      } catch (e) {
        err = sysError("Cannot create it", e);
      }
      expect((err as OvError).message).toContain("its longest name 300 bytes (the limit is 255)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("EPERM and EACCES: non-root is told to run as root, root is told what else refuses root", () => {
    for (const code of ["EPERM", "EACCES"]) {
      const user = sysError("Cannot mount layer x", fsErr(code, "mount", "/m"), { root: false });
      expect(user.kind).toBe("permission");
      expect(user.hint).toBe(ROOT_HINT);
      const root = sysError("Cannot mount layer x", fsErr(code, "mount", "/m"), { root: true });
      expect(root.kind).toBe("permission");
      expect(root.hint).not.toContain("run as root");
      expect(root.hint).toStartWith("root was refused");
    }
    expect(sysError("x", fsErr("EPERM", "unlink", "/f"), { root: true }).hint).toContain("immutable");
    expect(sysError("x", fsErr("EACCES", "open", "/f"), { root: true }).hint).toContain("SELinux");
  });

  test("a libc SysError goes through the same policy", () => {
    const e = sysError("Cannot open lock file /s/layers.lock", new SysError("open", 30, "/s/layers.lock"), { path: "/s/layers.lock" });
    expect(e.kind).toBe("permission");
    expect(e.message).toBe("Cannot open lock file /s/layers.lock: the store at /s/layers.lock is on a read-only filesystem (EROFS)");
  });

  test("other codes keep the call and the code; kinds map to their exit codes", () => {
    const e = sysError("Cannot read f", fsErr("EIO", "read", "/f"));
    expect(e.message).toBe("Cannot read f: read: EIO");
    expect(e.kind).toBe("sys");
    expect(e.hint).toBeUndefined();
    expect(errnoKind("ENOENT")).toBe("not-found");
    expect(errnoKind("EBUSY")).toBe("busy");
    expect(errnoKind(undefined)).toBe("sys");
    expect(EXIT_CODES[errnoKind("EROFS")]).toBe(7);
    expect(EXIT_CODES[errnoKind("ENOSPC")]).toBe(9);
  });

  test("an OvError passes through unchanged", () => {
    const o = new OvError("corrupt", "bad");
    expect(sysError("x", o)).toBe(o);
  });
});

describe("rollback()", () => {
  test("a failed undo is added to the original error, which is the one thrown", () => {
    const original = sysError("Cannot create layer x in /s/overlay/x", fsErr("ENOSPC", "mkdir", "/s/overlay/x"));
    let thrown: unknown;
    try {
      rollback(
        original,
        () => {
          throw sysError("Cannot remove /s/overlay/x", fsErr("EROFS", "rm", "/s/overlay/x"));
        },
        () => {},
      );
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(original);
    expect(original.also).toEqual(["undoing it failed too: Cannot remove /s/overlay/x: the store at /s/overlay/x is on a read-only filesystem (EROFS)"]);
    const { text, code } = formatError(original);
    expect(code).toBe(9);
    expect(text.split("\n")[0]).toBe("ovlayer: Cannot create layer x in /s/overlay/x: no space left on the device holding /s/overlay/x (ENOSPC)");
    expect(text.split("\n")[1]).toStartWith("ovlayer: undoing it failed too: ");
  });

  test("every undo step runs even when one fails", () => {
    const ran: number[] = [];
    expect(() =>
      rollback(
        new OvError("sys", "x"),
        () => {
          ran.push(1);
          throw new Error("no");
        },
        () => ran.push(2),
      ),
    ).toThrow("x");
    expect(ran).toEqual([1, 2]);
  });
});

describe("ID length in UTF-8 bytes", () => {
  test("a 400-byte ID of 200 characters is refused, a 255-byte one is not", () => {
    expect(invalidIdReason("é".repeat(200))).toBe("it is 400 bytes long in UTF-8, the limit is 255");
    expect(invalidIdReason("é".repeat(127) + "a")).toBeNull(); // 255 bytes
    expect(invalidIdReason("é".repeat(128))).toBe("it is 256 bytes long in UTF-8, the limit is 255");
    expect(invalidIdReason("😀".repeat(64))).toBe("it is 256 bytes long in UTF-8, the limit is 255"); // 128 UTF-16 units
  });
});

describe("formatLine(): every message line reads 'ovlayer: ...'", () => {
  test("each kind, each line", () => {
    expect(formatLine("info", "layer x: skipping sock: it is a socket")).toBe("ovlayer: layer x: skipping sock: it is a socket\n");
    expect(formatLine("warn", "w")).toBe("ovlayer: warning: w\n");
    expect(formatLine("debug", "d")).toBe("ovlayer: debug: d\n");
    expect(formatLine("error", "a\nb")).toBe("ovlayer: a\novlayer: b\n");
  });

  test("consola's lines reach stderr through it, debug only with --debug, stdout untouched", () => {
    const script = `
      import { log, setDebug, flushLogs } from ${JSON.stringify(join(import.meta.dir, "../../src/log.ts"))};
      setDebug(process.argv[2] === "1");
      log.info("layer x: skipping sock: it is a socket");
      log.warn("layer x: xattr y not set");
      log.debug("chose the api strategy");
      log.error("it broke");
      await flushLogs();
    `;
    const dir = mkdtempSync(join(tmpdir(), "ovl-log-"));
    try {
      const f = join(dir, "log.ts");
      Bun.write(f, script);
      for (const debug of ["0", "1"]) {
        const p = Bun.spawnSync([process.execPath, f, debug], { stdout: "pipe", stderr: "pipe" });
        expect(p.stdout.toString()).toBe("");
        const lines = [
          "ovlayer: layer x: skipping sock: it is a socket",
          "ovlayer: warning: layer x: xattr y not set",
          ...(debug === "1" ? ["ovlayer: debug: chose the api strategy"] : []),
          "ovlayer: it broke",
        ];
        expect(p.stderr.toString()).toBe(lines.join("\n") + "\n");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
