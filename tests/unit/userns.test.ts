/**
 * src/sys/userns.ts in a busy multithreaded Bun process: user-namespace fds
 * made by clone(sleep) while a Worker allocates and Bun.spawn children come
 * and go. Every fd is a new user namespace with the asked maps, no child is
 * left (not even a zombie), Bun's own children keep their exit codes (our
 * children send no SIGCHLD and are reaped by us alone), and the maps text is
 * what /proc/PID/uid_map wants.
 */
import { describe, expect, test } from "bun:test";
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTreeClone, procMapText, setIdmap, userNamespaceFd } from "../../src/sys/userns.ts";
import { close, umount2 } from "../../src/sys/libc.ts";
import { moveMountTo } from "../../src/sys/mount-api.ts";
import { homesUsed, throughView, throughViews } from "../../src/mount/idmap/lowers.ts";
import { DISABLE_ENV, staticAnswer } from "../../src/mount/idmap/support.ts";

const root = process.getuid?.() === 0;
const M = [{ container_id: 0, host_id: 100000, size: 65536 }];

/** PIDs whose parent is this process, with their state letter. */
function children(): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) === process.pid) out.push({ pid: Number(name), state: f[0]! });
    } catch {}
  }
  return out;
}

describe("maps text", () => {
  test("one 'inside outside count' line per range", () => {
    expect(procMapText([...M, { container_id: 65536, host_id: 5, size: 1 }])).toBe("0 100000 65536\n65536 5 1\n");
    expect(procMapText([])).toBe("");
  });
});

describe("paths through the idmapped view", () => {
  test("paths below the home move under the view; others stay", () => {
    expect(throughView("/s/overlay", "/s/overlay/L/mapped/0", "/s/overlay/A/diff")).toBe("/s/overlay/L/mapped/0/A/diff");
    expect(throughView("/s/overlay", "/s/overlay/L/mapped/0", "/s/overlay/A/diff1")).toBe("/s/overlay/L/mapped/0/A/diff1");
    expect(throughView("/s/overlay", "/s/overlay/L/mapped/0", "/elsewhere/x")).toBe("/elsewhere/x");
    expect(throughView("/s/overlay", "/s/overlay/L/mapped/0", "/s/overlay")).toBe("/s/overlay");
    expect(throughView("/s/overlay", "/s/overlay/L/mapped/0", "/s/overlay2/x")).toBe("/s/overlay2/x");
    // Several stores' homes: each has its own view, in the order given; a path below none stays.
    const homes = ["/s/overlay", "/img/overlay", "/ro/overlay"];
    expect(throughViews(homes, "/s/overlay/L/mapped", "/s/overlay/A/diff")).toBe("/s/overlay/L/mapped/0/A/diff");
    expect(throughViews(homes, "/s/overlay/L/mapped", "/ro/overlay/B/diff")).toBe("/s/overlay/L/mapped/2/B/diff");
    expect(throughViews(homes, "/s/overlay/L/mapped", "/other/overlay/B/diff")).toBe("/other/overlay/B/diff");
    expect(homesUsed(homes, ["/ro/overlay/B/diff", "/s/overlay/A/empty", "/ro/overlay/C/diff", "/x/y"])).toEqual([0, 2]);
  });
});

describe("which path without probing", () => {
  test("the switch, not root and mount_program each mean copy-and-shift; otherwise ask the cache or the probe", () => {
    expect(staticAnswer({ [DISABLE_ENV]: "yes" }, 0, undefined)).toMatchObject({ supported: false, source: "env" });
    expect(staticAnswer({ [DISABLE_ENV]: "no" }, 0, undefined)).toBeNull();
    expect(staticAnswer({}, 1000, undefined)).toMatchObject({ supported: false, source: "not-root" });
    expect(staticAnswer({}, 0, "/usr/bin/fuse-overlayfs")).toMatchObject({ supported: false, source: "mount-program" });
    expect(staticAnswer({}, 0, undefined)).toBeNull();
  });
});

describe.skipIf(!root)("user namespaces from a multithreaded process", () => {
  test("200 namespaces while a Worker allocates and spawned children exit: all mapped, none leaked", async () => {
    const worker = new Worker(URL.createObjectURL(new Blob([`let a=[];setInterval(()=>{for(let i=0;i<2000;i++)a.push({i,s:"x".repeat(50)});if(a.length>100000)a=[];},1);`], { type: "application/javascript" })));
    const own = readlinkSync("/proc/self/ns/user");
    try {
      const spawned: Promise<number>[] = [];
      for (let i = 0; i < 200; i++) {
        if (i % 20 === 0) spawned.push(Bun.spawn(["sh", "-c", `exit ${i / 20 + 1}`]).exited);
        const fd = userNamespaceFd(M, [{ container_id: 0, host_id: 200000 + i, size: 10 }]);
        try {
          const ns = readlinkSync(`/proc/self/fd/${fd}`);
          expect(ns).toMatch(/^user:\[\d+\]$/);
          expect(ns).not.toBe(own);
        } finally {
          close(fd);
        }
        if (i % 50 === 0) await Bun.sleep(1);
      }
      expect(await Promise.all(spawned)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      worker.terminate();
    }
    await Bun.sleep(50);
    expect(children().filter((c) => c.state === "Z" || c.state === "S")).toEqual([]);
  }, 60000);

  test("an idmapped mount made with the namespace shows files through exactly the asked maps", () => {
    const dir = mkdtempSync(join(tmpdir(), "ovl-userns-"));
    const src = join(dir, "src");
    const dst = join(dir, "dst");
    mkdirSync(src);
    mkdirSync(dst);
    writeFileSync(join(src, "zero"), "");
    writeFileSync(join(src, "five"), "");
    chownSync(join(src, "five"), 5, 5);
    writeFileSync(join(src, "unmapped"), "");
    chownSync(join(src, "unmapped"), 70000, 70000);
    const ns = userNamespaceFd(M, [{ container_id: 0, host_id: 300000, size: 5 }, { container_id: 5, host_id: 7, size: 1 }]);
    let tree = -1;
    try {
      tree = openTreeClone(src);
      setIdmap(tree, ns);
      moveMountTo(tree, dst);
      const own = (n: string) => `${statSync(join(dst, n)).uid}:${statSync(join(dst, n)).gid}`;
      expect(own("zero")).toBe("100000:300000");
      expect(own("five")).toBe("100005:7");
      expect(own("unmapped")).toBe("65534:65534"); // outside the maps: the overflow IDs
    } finally {
      if (tree >= 0) close(tree);
      close(ns);
      try {
        umount2(dst, 2);
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
