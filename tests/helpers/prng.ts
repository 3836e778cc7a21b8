/**
 * mulberry32: a small, fast, seeded pseudo-random generator, so that a
 * generated store, a fuzz run or a kill schedule can be repeated from its
 * seed. Shared by the tests, the fuzz runner and the benchmark's tarball.
 * @returns a function giving numbers in [0, 1).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
