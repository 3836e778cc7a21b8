import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import { applyPlan, directByFd } from "../../src/mount/strategies.ts";
import { MOUNT_ATTR, MS, mountAttrs, parseMountOptions, splitOption, superblockFlagNames, wantsReadOnly } from "../../src/mount/mount-options.ts";
import { parseMountinfo, unescapeMountField } from "../../src/mount/mountinfo.ts";
import { chooseStrategies, checkDepth, escapeOverlayPath, fdData, planMount, type MountRequest } from "../../src/mount/plan.ts";
import { planHome } from "../../src/mount/propagation.ts";
import type { MountSys } from "../../src/mount/syscalls.ts";
import { SysError } from "../../src/sys/libc.ts";

const H = "/var/lib/containers/storage/overlay";
const id = (n: number) => n.toString(16).padStart(64, "0");
function req(lowers: number, extra: Partial<MountRequest> = {}): MountRequest {
  return {
    layerId: id(9999),
    diff: `${H}/${id(9999)}/diff`,
    work: `${H}/${id(9999)}/work`,
    merged: `${H}/${id(9999)}/merged`,
    empty: `${H}/${id(9999)}/empty`,
    lowers: Array.from({ length: lowers }, (_, i) => `${H}/${id(i)}/diff`),
    readOnly: false,
    options: [],
    ...extra,
  };
}
const kernel = { pageSize: 4096, api: true, proc: true };

describe("planMount()", () => {
  test("read-write: lowers, upper and work, as upstream formats them", () => {
    const p = planMount(req(2, { options: ["nodev", "metacopy=on"] }));
    expect(p.directData).toBe(`lowerdir=${H}/${id(0)}/diff:${H}/${id(1)}/diff,upperdir=${H}/${id(9999)}/diff,workdir=${H}/${id(9999)}/work,metacopy=on`);
    expect(p.flags).toBe(MS.NODEV);
  });
  test("a base layer mounts its empty dir as the lower", () => {
    expect(planMount(req(0)).lowerdirs).toEqual([`${H}/${id(9999)}/empty`]);
  });
  test("read-only: the layer's diff on top of its lowers, no upper or work", () => {
    const p = planMount(req(2, { readOnly: true }));
    expect(p.lowerdirs[0]).toBe(`${H}/${id(9999)}/diff`);
    expect(p.upperdir).toBeUndefined();
    expect(p.directData).not.toContain("upperdir");
  });
  test("a label becomes context=\"...\"", () => {
    expect(planMount(req(1, { label: "system_u:object_r:container_file_t:s0" })).directData).toEndWith(',context="system_u:object_r:container_file_t:s0"');
  });
  test("special characters in paths are escaped", () => {
    expect(escapeOverlayPath("/a:b,c\\d")).toBe("/a\\:b\\,c\\\\d");
  });
});

describe("depth limit", () => {
  test("500 lowers are allowed, 501 refused before any syscall with count and limit", () => {
    expect(() => checkDepth("L", 500, false)).not.toThrow();
    let e: unknown;
    try {
      planMount(req(501));
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(OvError);
    expect((e as Error).message).toContain("max depth exceeded");
    expect((e as Error).message).toContain(id(9999));
    expect((e as Error).message).toContain("501 lower layers, the limit is 500");
  });
  test("read-only counts the layer's own diff, and says so", () => {
    expect(() => planMount(req(499, { readOnly: true }))).not.toThrow();
    expect(() => planMount(req(500, { readOnly: true }))).toThrow("a read-only mount stacks the layer's own diff on its 500 lower layers, 501 in all");
  });
});

describe("chooseStrategies()", () => {
  test("default: api first, direct when it fits, then fd", () => {
    expect(chooseStrategies(planMount(req(2)), kernel)).toEqual(["api", "direct", "fd"]);
    expect(chooseStrategies(planMount(req(200)), kernel)).toEqual(["api", "fd"]);
    expect(chooseStrategies(planMount(req(200)), { ...kernel, api: false })).toEqual(["fd"]);
  });
  test("the page size is read, not assumed: 64 KiB pages fit far more", () => {
    expect(chooseStrategies(planMount(req(200)), { ...kernel, pageSize: 65536, api: false })).toEqual(["direct", "fd"]);
  });
  test("data of exactly page size does not fit (the kernel keeps page size minus one)", () => {
    const p = planMount(req(3));
    expect(chooseStrategies(p, { ...kernel, pageSize: p.directLength, api: false })).toEqual(["fd"]);
    expect(chooseStrategies(p, { ...kernel, pageSize: p.directLength + 1, api: false })).toEqual(["direct", "fd"]);
  });
  test("a forced strategy that cannot work is refused with the numbers", () => {
    expect(() => chooseStrategies(planMount(req(100)), kernel, "direct")).toThrow(/mount data is \d+ bytes, it must be under the page size of 4096 bytes \(100 lower dirs\)/);
    expect(() => chooseStrategies(planMount(req(2)), { ...kernel, api: false }, "api")).toThrow("no fsopen()");
    expect(chooseStrategies(planMount(req(500)), kernel, "fd")).toEqual(["fd"]);
  });
  test("fd data of 500 lowers fits in a page", () => {
    const fds = Array.from({ length: 500 }, (_, i) => 600 + i);
    expect(Buffer.byteLength(fdData(fds, 1100, 1101, []))).toBeLessThan(4096);
  });
});

describe("mount options", () => {
  test("flags and data are split as mount(8) does", () => {
    expect(parseMountOptions(["nodev", "ro", "metacopy=on", "noatime"])).toEqual({ flags: MS.NODEV | MS.RDONLY | MS.NOATIME, data: ["metacopy=on"] });
    expect(parseMountOptions(["ro", "rw"]).flags).toBe(0);
    expect(wantsReadOnly(["nodev", "ro"])).toBe(true);
  });
  test("mapped to the new API", () => {
    expect(mountAttrs(MS.NODEV | MS.NOSUID | MS.NOATIME)).toBe(MOUNT_ATTR.NODEV | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOATIME);
    expect(superblockFlagNames(MS.RDONLY | MS.SYNCHRONOUS)).toEqual(["ro", "sync"]);
    expect(splitOption('context="a:b:c"')).toEqual(["context", "a:b:c"]);
    expect(splitOption("userxattr")).toEqual(["userxattr", null]);
  });
});

describe("mountinfo", () => {
  test("parses fields and unescapes octal", () => {
    const line = "45 42 0:39 / /tmp/my\\040dir/merged rw,relatime shared:5 - overlay overlay rw,lowerdir=/a";
    const [e] = parseMountinfo(line + "\n");
    expect(e!.mountPoint).toBe("/tmp/my dir/merged");
    expect(e!.fsType).toBe("overlay");
    expect(e!.optional).toEqual(["shared:5"]);
    expect(e!.superOptions).toBe("rw,lowerdir=/a");
    expect(unescapeMountField("a\\134b")).toBe("a\\b");
  });
  test("the overlay home is bound and made private only when needed", () => {
    expect(planHome("/s/overlay", [])).toBe("bind+private");
    expect(planHome("/s/overlay", [{ mountPoint: "/s/overlay/x/merged", optional: [] }])).toBe("rbind+private");
    expect(planHome("/s/overlay", [{ mountPoint: "/s/overlay", optional: ["shared:1"] }])).toBe("private");
    expect(planHome("/s/overlay", [{ mountPoint: "/s/overlay", optional: [] }])).toBe("none");
  });
});

/** A fake kernel that records calls, hands out fds, and fails where told. */
function recorder(fail: Partial<Record<keyof MountSys, string>> = {}) {
  const open = new Set<number>();
  const calls: string[] = [];
  let next = 10;
  let cwd = "/start";
  const cwdOf = new Map<number, string>();
  const maybeFail = (name: keyof MountSys) => {
    if (fail[name]) throw new SysError(name, { ENOSYS: 38, EINVAL: 22, EPERM: 1, ENOENT: 2 }[fail[name]!] ?? 5);
  };
  const fd = (path: string) => {
    const n = next++;
    open.add(n);
    cwdOf.set(n, path === "." ? cwd : path);
    return n;
  };
  const sys: MountSys = {
    openDir: (p) => (maybeFail("openDir"), fd(p)),
    close: (n) => {
      if (!open.delete(n)) throw new Error(`double close ${n}`);
    },
    mount: (_s, t, _f, _fl, data) => (calls.push(`mount ${t} cwd=${cwd} ${data}`), maybeFail("mount")),
    umount2: (t) => void calls.push(`umount ${t}`),
    chdir: (p) => (maybeFail("chdir"), (cwd = p)),
    fchdir: (n) => void (cwd = cwdOf.get(n)!),
    fsopen: () => (maybeFail("fsopen"), fd("fs")),
    fsconfigFlag: (_f, k) => void calls.push(`flag ${k}`),
    fsconfigString: (_f, k, v) => (calls.push(`string ${k}=${v}`), maybeFail("fsconfigString")),
    fsconfigFd: (_f, k, n) => (calls.push(n >= 100 ? `fd ${k} ${n}` : `fd ${k}`), maybeFail("fsconfigFd")),
    fsconfigCreate: () => (calls.push("create"), maybeFail("fsconfigCreate")),
    fsmount: () => (maybeFail("fsmount"), fd("mnt")),
    moveMount: (_m, t) => (calls.push(`move ${t}`), maybeFail("moveMount")),
    moveMountFd: (_m, fd) => (calls.push(`move fd ${fd}`), maybeFail("moveMount")),
    fsMessages: () => (fail.fsMessages ? [fail.fsMessages] : []),
  };
  return { sys, open, calls, cwd: () => cwd };
}

describe("applyPlan()", () => {
  test("fd strategy mounts from /proc/self/fd, then restores the cwd and closes every fd", () => {
    const r = recorder();
    const res = applyPlan(planMount(req(3)), ["fd"], r.sys, 4096);
    expect(res.strategy).toBe("fd");
    expect(r.calls[0]).toMatch(/^mount .*merged cwd=\/proc\/self\/fd lowerdir=\d+:\d+:\d+,upperdir=\d+,workdir=\d+$/);
    expect(r.cwd()).toBe("/start");
    expect(r.open.size).toBe(0);
  });
  test("a failed fd mount still restores the cwd and closes every fd", () => {
    const r = recorder({ mount: "EINVAL" });
    expect(() => applyPlan(planMount(req(3)), ["fd"], r.sys, 4096)).toThrow(/using the fd strategy: mount.*EINVAL/);
    expect(r.cwd()).toBe("/start");
    expect(r.open.size).toBe(0);
  });
  test("api strategy: one lowerdir+ per layer by fd, create, fsmount, move_mount; fds closed", () => {
    const r = recorder();
    const res = applyPlan(planMount(req(3, { options: ["nodev", "metacopy=on"] })), ["api"], r.sys, 4096);
    expect(res.strategy).toBe("api");
    expect(r.calls.filter((c) => c === "fd lowerdir+")).toHaveLength(3);
    expect(r.calls).toContain("fd upperdir");
    expect(r.calls).toContain("string metacopy=on");
    expect(r.calls.slice(-2)).toEqual(["create", `move ${H}/${id(9999)}/merged`]);
    expect(r.open.size).toBe(0);
  });
  test("dirs opened beneath the graph root: their fds go to the kernel, the mount onto merged's fd; the caller keeps them", () => {
    const plan = planMount(req(3));
    const given = new Map([...plan.lowerdirs, plan.upperdir!, plan.workdir!].map((p, i) => [p, 100 + i] as const));
    const dirs = { fdOf: (p: string) => given.get(p), mergedFd: 99 };
    const api = recorder();
    applyPlan(plan, ["api"], api.sys, 4096, dirs);
    expect(api.calls.filter((c) => c.startsWith("fd "))).toEqual(["fd lowerdir+ 100", "fd lowerdir+ 101", "fd lowerdir+ 102", "fd upperdir 103", "fd workdir 104"]);
    expect(api.calls.at(-1)).toBe("move fd 99");
    expect(api.open.size).toBe(0); // only fsopen's and fsmount's fds were its own, and are closed
    const fd = recorder();
    applyPlan(plan, ["fd"], fd.sys, 4096, dirs);
    expect(fd.calls[0]).toBe("mount /proc/self/fd/99 cwd=/proc/self/fd lowerdir=100:101:102,upperdir=103,workdir=104");
    expect(fd.open.size).toBe(0);
  });
  test("direct strategy with dirs opened beneath the graph root: every dir and the target by /proc/self/fd/N, so a swapped dir cannot redirect it", () => {
    const plan = planMount(req(3));
    const given = new Map([...plan.lowerdirs, plan.upperdir!, plan.workdir!].map((p, i) => [p, 100 + i] as const));
    const r = recorder();
    const res = applyPlan(plan, ["direct"], r.sys, 4096, { fdOf: (p: string) => given.get(p), mergedFd: 99 });
    const data = "lowerdir=/proc/self/fd/100:/proc/self/fd/101:/proc/self/fd/102,upperdir=/proc/self/fd/103,workdir=/proc/self/fd/104";
    expect(r.calls).toEqual([`mount /proc/self/fd/99 cwd=/start ${data}`]);
    expect(res.dataLength).toBe(data.length);
  });
  test("direct strategy names the paths when a dir has no fd or the fd names do not fit in the page", () => {
    const plan = planMount(req(3));
    const some = new Map([[plan.lowerdirs[0]!, 100]]);
    const partial = recorder();
    applyPlan(plan, ["direct"], partial.sys, 4096, { fdOf: (p: string) => some.get(p), mergedFd: 99 });
    expect(partial.calls).toEqual([`mount ${plan.req.merged} cwd=/start ${plan.directData}`]);
    const all = new Map([...plan.lowerdirs, plan.upperdir!, plan.workdir!].map((p, i) => [p, 100 + i] as const));
    expect(directByFd(plan, 60, { fdOf: (p: string) => all.get(p), mergedFd: 99 })).toEqual({ target: plan.req.merged, data: plan.directData });
  });
  test("api falls back to paths when the kernel takes no fds", () => {
    const r = recorder({ fsconfigFd: "EINVAL" });
    applyPlan(planMount(req(2)), ["api"], r.sys, 4096);
    expect(r.calls.filter((c) => c.startsWith("string lowerdir+="))).toHaveLength(2);
    expect(r.open.size).toBe(0);
  });
  test("no mount API (ENOSYS) falls back to the next strategy", () => {
    const r = recorder({ fsopen: "ENOSYS" });
    const res = applyPlan(planMount(req(2)), ["api", "direct"], r.sys, 4096);
    expect(res.strategy).toBe("direct");
    expect(res.fellBack[0]).toContain("ENOSYS");
  });
  test("EPERM is not a reason to fall back: it is reported with the root hint", () => {
    const r = recorder({ fsopen: "EPERM" });
    let e: unknown;
    try {
      applyPlan(planMount(req(2)), ["api", "direct"], r.sys, 4096);
    } catch (x) {
      e = x;
    }
    expect((e as OvError).kind).toBe("permission");
    expect((e as OvError).hint).toContain("root");
    expect((e as Error).message).toContain(id(9999));
    expect((e as Error).message).toContain("api strategy");
    expect(r.calls.some((c) => c.startsWith("mount"))).toBe(false);
  });
  test("the kernel's message from the fs context is in the error", () => {
    const r = recorder({ fsconfigCreate: "EINVAL", fsMessages: "e overlay: failed to resolve 'x': -2" });
    expect(() => applyPlan(planMount(req(1)), ["api"], r.sys, 4096)).toThrow("kernel: e overlay: failed to resolve 'x': -2");
    expect(r.open.size).toBe(0);
  });
});
