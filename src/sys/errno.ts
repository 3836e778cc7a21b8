/** Linux errno numbers (the same on x86_64 and arm64) and their names. */
export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, EBADF: 9,
  EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOSPC: 28,
  EROFS: 30, EMLINK: 31, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EOVERFLOW: 75, EOPNOTSUPP: 95, ESTALE: 116,
} as const;

const names = new Map<number, string>(Object.entries(E).map(([k, v]) => [v, k]));

/** "ENOENT" for 2; "errno 123" for numbers not in the table. */
export function errnoName(n: number): string {
  return names.get(n) ?? `errno ${n}`;
}
