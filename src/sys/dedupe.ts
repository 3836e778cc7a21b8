/**
 * FIDEDUPERANGE (ioctl_fideduperange(2)): asks the filesystem to share the
 * extents of a range of one file with another when, and only when, their
 * bytes are equal (the kernel compares them under its locks). Btrfs and XFS
 * support it; ext4 answers EOPNOTSUPP (or EINVAL).
 *
 *   struct file_dedupe_range      { u64 src_offset, src_length; u16 dest_count, reserved1; u32 reserved2; info[] }  24 bytes
 *   struct file_dedupe_range_info { s64 dest_fd; u64 dest_offset, bytes_deduped; s32 status; u32 reserved; }        32 bytes
 */
import { SysError, syscall } from "./libc.ts";

const FIDEDUPERANGE = 0xc0189436; // _IOWR(0x94, 54, struct file_dedupe_range)
const SYS_IOCTL = process.arch === "arm64" ? 29 : 16;
const FILE_DEDUPE_RANGE_DIFFERS = 1;

export interface DedupeOutcome {
  /** Bytes now shared (0 when the contents differ). */
  bytes: number;
  differs: boolean;
}

/**
 * One dedupe of `length` bytes at `offset` of both files.
 * @throws {SysError} from the ioctl, or with the per-destination status errno.
 */
export function dedupeRange(srcFd: number, dstFd: number, offset: number, length: number): DedupeOutcome {
  const b = new Uint8Array(56);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(offset), true);
  v.setBigUint64(8, BigInt(length), true);
  v.setUint16(16, 1, true);
  v.setBigInt64(24, BigInt(dstFd), true);
  v.setBigUint64(32, BigInt(offset), true);
  syscall("ioctl(FIDEDUPERANGE)", SYS_IOCTL, srcFd, FIDEDUPERANGE, b);
  const status = v.getInt32(48, true);
  if (status < 0) throw new SysError("ioctl(FIDEDUPERANGE)", -status);
  return { bytes: Number(v.getBigUint64(40, true)), differs: status === FILE_DEDUPE_RANGE_DIFFERS };
}
