/**
 * Whether a path is a mount root, and how that mount propagates, without
 * reading /proc/self/mountinfo: statx(2) (STATX_ATTR_MOUNT_ROOT, Linux 5.8,
 * and STATX_MNT_ID_UNIQUE, 6.8) then statmount(2) (STATMOUNT_MNT_BASIC, 6.8),
 * through syscall(): no new dlopen'ed symbol. Two syscalls whatever the number
 * of mounts, where mountinfo is a line per mount to generate and parse.
 *
 *   struct statx:     stx_attributes u64 @8, stx_attributes_mask u64 @56, stx_mnt_id u64 @144 (256 bytes)
 *   struct mnt_id_req { u32 size; u32 spare; u64 mnt_id; u64 param; }  (version 0: 24 bytes)
 *   struct statmount: mask u64 @8, mnt_propagation u64 @72 (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE)
 */
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, cstr, syscall } from "./libc.ts";

const isArm = process.arch === "arm64";
const NR = { statx: isArm ? 291 : 332, statmount: 457 } as const;

const STATX_MNT_ID_UNIQUE = 0x4000;
const STATX_ATTR_MOUNT_ROOT = 0x2000n;
const STATMOUNT_MNT_BASIC = 0x2n;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;

export interface MountRootState {
  /** The path is the root of a mount (the topmost mount there). */
  mountRoot: boolean;
  /** That mount's propagation flags (MS_SHARED | MS_SLAVE | ...), when it is a mount root. */
  propagation?: number;
}

/**
 * The mount state of `path` (a final symlink is not followed), or null when
 * this kernel cannot tell (before 6.8: ENOSYS, EINVAL, or no mount-root or
 * unique-ID support in statx): the caller then reads mountinfo.
 * @throws {SysError} when statx fails otherwise (ENOENT, EACCES...).
 */
export function mountRootState(path: string): MountRootState | null {
  const stx = new BigUint64Array(32);
  const bytes = new Uint8Array(stx.buffer);
  try {
    syscall("statx", NR.statx, AT_FDCWD, cstr(path), AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, bytes);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOSYS" || code === "EINVAL") return null;
    throw e;
  }
  const mask = Number(stx[0]! & 0xffffffffn); // stx_mask: u32 @0
  if (!(stx[7]! & STATX_ATTR_MOUNT_ROOT) || !(mask & STATX_MNT_ID_UNIQUE)) return null;
  if (!(stx[1]! & STATX_ATTR_MOUNT_ROOT)) return { mountRoot: false };
  const req = new BigUint64Array([24n, stx[18]!, STATMOUNT_MNT_BASIC]); // size 24, spare 0; mnt_id; param
  const sm = new BigUint64Array(64);
  try {
    syscall("statmount", NR.statmount, new Uint8Array(req.buffer), new Uint8Array(sm.buffer), sm.byteLength, 0);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOSYS" || code === "EINVAL" || code === "EOPNOTSUPP") return null;
    throw e;
  }
  if (!(sm[1]! & STATMOUNT_MNT_BASIC)) return null;
  return { mountRoot: true, propagation: Number(sm[9]!) };
}
