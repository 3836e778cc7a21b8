/**
 * Fixtures for the content tests: a directory holding every kind of entry a
 * layer carries, GNU tar archives of it, and small tar builders.
 */
import { chmodSync, closeSync, linkSync, lchownSync, mkdirSync, openSync, symlinkSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { lsetxattr, lutimens, makedev, mknodat, AT_FDCWD } from "../../src/sys/libc.ts";
import { hasCommand } from "../helpers/store.ts";

/** cap_setuid+ep as setcap writes it (VFS_CAP_REVISION_2, effective, CAP_SETUID = bit 7). */
export const CAP_SETUID_EP = Uint8Array.from([0x01, 0, 0, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

export const LONG_NAME = "long-" + "d".repeat(120) + "/" + "n".repeat(130) + "-" + "e".repeat(90);
export const BIG_UID = 3000000;

function sh(cmd: string[]): void {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString()}`);
}

const T = (s: number, ns = 0): bigint => BigInt(s) * 1_000_000_000n + BigInt(ns);

/**
 * Fills `dir` with every entry kind: files (empty, sparse, setuid, setgid,
 * mode 0, long name, non-ASCII name), directories (sticky, read-only, owned by
 * uid 3000000, set-group-ID with a root-owned file inside), symlinks (short, long, dangling), a hardlink, char and block
 * devices, a fifo, a file with cap_setuid, binary user xattrs, and
 * sub-second mtimes. Needs root (chown, mknod, security.capability).
 */
export function makeEveryKindTree(dir: string): void {
  const p = (r: string) => join(dir, r);
  for (const d of ["etc", "bin", "tmp", "home/user", "dev", "run", "data", "ro", "ünïcödé"]) mkdirSync(p(d), { recursive: true });
  mkdirSync(p(LONG_NAME.split("/")[0]!));
  writeFileSync(p("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(p("etc/empty"), "");
  writeFileSync(p(LONG_NAME), "a file with a long name\n");
  writeFileSync(p("ünïcödé/日本.txt"), "unicode\n");
  writeFileSync(p("bin/busybox"), Buffer.alloc(200000, 0x5a));
  writeFileSync(p("bin/su"), "setuid\n");
  chmodSync(p("bin/su"), 0o4755);
  linkSync(p("bin/su"), p("bin/su-hardlink"));
  writeFileSync(p("bin/sgid"), "setgid\n");
  chmodSync(p("bin/sgid"), 0o2755);
  writeFileSync(p("bin/zero-mode"), "nobody may read\n");
  chmodSync(p("bin/zero-mode"), 0o000);
  writeFileSync(p("bin/ping"), "capable\n");
  if (hasCommand("setcap")) sh(["setcap", "cap_setuid+ep", p("bin/ping")]);
  else lsetxattr(p("bin/ping"), "security.capability", CAP_SETUID_EP);
  symlinkSync("busybox", p("bin/sh"));
  symlinkSync("t".repeat(200), p("bin/long-target"));
  symlinkSync("/nonexistent/dangling", p("bin/dangling"));
  chmodSync(p("tmp"), 0o1777);
  writeFileSync(p("home/user/notes"), "owned by a big uid\n");
  lchownSync(p("home/user/notes"), BIG_UID, BIG_UID + 1);
  lchownSync(p("home/user"), BIG_UID, BIG_UID);
  chmodSync(p("home/user"), 0o700);
  mknodat(AT_FDCWD, p("dev/null"), 0o020666, makedev(1, 3));
  mknodat(AT_FDCWD, p("dev/big"), 0o020600, makedev(254, 300000));
  mknodat(AT_FDCWD, p("dev/sda"), 0o060660, makedev(8, 0));
  mknodat(AT_FDCWD, p("run/fifo"), 0o010644, 0n);
  chmodSync(p("dev/null"), 0o666);
  chmodSync(p("dev/sda"), 0o660);
  writeFileSync(p("data/xattrs"), "xattrs\n");
  lsetxattr(p("data/xattrs"), "user.binary", Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x3d]));
  lsetxattr(p("data/xattrs"), "user.text", Buffer.from("hello"));
  lsetxattr(p("data"), "user.dir", Buffer.from("on a directory"));
  // 8 MiB with data at 1 MiB and at the end: stored sparse by `tar --sparse`.
  const fd = openSync(p("data/sparse"), "w");
  writeSync(fd, Buffer.alloc(8192, 0x41), 0, 8192, 1 << 20);
  writeSync(fd, Buffer.alloc(100, 0x42), 0, 100, (8 << 20) - 100);
  closeSync(fd);
  // A set-group-ID directory: new files in it take its group unless chowned back.
  mkdirSync(p("shared/sub"), { recursive: true });
  lchownSync(p("shared"), 0, 1234);
  chmodSync(p("shared"), 0o2775);
  writeFileSync(p("shared/root-file"), "owned by root:root\n");
  lchownSync(p("shared/root-file"), 0, 0);
  writeFileSync(p("shared/group-file"), "owned by root:1234\n");
  lchownSync(p("shared/group-file"), 0, 1234);
  writeFileSync(p("ro/inside"), "in a read-only directory\n");
  chmodSync(p("ro"), 0o555);
  // Times last: nanoseconds on files, whole seconds on some, directories after their content.
  lutimens(p("etc/passwd"), T(1600000000, 123456789), T(1600000000, 123456789));
  lutimens(p("bin/busybox"), T(1500000000), T(1500000000));
  lutimens(p("bin/sh"), T(1500000001, 5), T(1500000001, 5));
  lutimens(p("home/user/notes"), T(1700000000, 999999999), T(1700000000, 999999999));
  for (const d of ["etc", "bin", "data", "home/user", "ro", "dev", "shared/sub", "shared"]) lutimens(p(d), T(1650000000, 250000000), T(1650000000, 250000000));
  utimesSync(p("tmp"), 1640000000, 1640000000);
}

/** GNU tar of `dir` in pax format with every xattr, sparse files kept sparse. */
export function gnuTar(dir: string, out: string): void {
  sh(["tar", "--xattrs", "--xattrs-include=*", "--format=pax", "--sparse", "-C", dir, "-cf", out, "."]);
}

/** Extracts with GNU tar the way a root filesystem is extracted: numeric ids, every xattr, exact modes. */
export function gnuUntar(archive: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  sh(["tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "--same-permissions", "--same-owner", "-C", dir, "-xf", archive]);
}

export { sh };
