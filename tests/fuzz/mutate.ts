/**
 * Seeded mutations of byte strings: bit flips, interesting bytes, truncations,
 * splices from other seeds, duplicated and deleted ranges, and huge decimal
 * or octal lengths written over digits. Deterministic for a seed (Rng).
 */

import { prng } from "../helpers/prng.ts";

/** A small deterministic PRNG (mulberry32, tests/helpers/prng.ts) with helpers for mutations. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x20, 0x0a, 0x3d, 0x2f, 0x2e, 0x30, 0x37, 0x39, 0x3a, 0xc3, 0xef];
const HUGE = ["99999999999999999999", "18446744073709551615", "9007199254740993", "77777777777", "1048577", "2147483648", "0", "-1", "4097"];

function replaceDigits(b: Uint8Array, rng: Rng): Uint8Array {
  // Find a run of digits and replace it by a huge number (a length, a size, a count).
  const starts: number[] = [];
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x30 && b[i]! <= 0x39 && (i === 0 || b[i - 1]! < 0x30 || b[i - 1]! > 0x39)) starts.push(i);
  if (starts.length === 0) return b;
  const at = rng.pick(starts);
  let end = at;
  while (end < b.length && b[end]! >= 0x30 && b[end]! <= 0x39) end++;
  const num = Buffer.from(rng.pick(HUGE));
  // Same length when it fits (octal header fields keep their place), else spliced in.
  if (rng.int(2) === 0 && num.length <= end - at) {
    const out = b.slice();
    out.fill(0x30, at, end);
    out.set(num, end - num.length);
    return out;
  }
  return concat(b.subarray(0, at), num, b.subarray(end));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/**
 * One to four mutations of `input`; `pool` gives material to splice in.
 * @param unit when > 1, ranges that move bytes (splice, repeat, delete) start and end on multiples of it in
 *   three cases of four (512 for tar: whole blocks move and the headers after them stay headers).
 */
export function mutate(input: Uint8Array, pool: readonly Uint8Array[], rng: Rng, unit = 1): Uint8Array {
  let b: Uint8Array = input.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const n = b.length;
    const u = unit > 1 && rng.int(4) !== 0 ? unit : 1;
    const al = (x: number) => x - (x % u);
    switch (rng.int(8)) {
      case 0: // bit flip
        if (n) b[rng.int(n)]! ^= 1 << rng.int(8);
        break;
      case 1: // interesting byte
        if (n) b[rng.int(n)] = rng.pick(INTERESTING);
        break;
      case 2: // truncate
        b = b.subarray(0, rng.int(n + 1)).slice();
        break;
      case 3: {
        // splice a range of another input in
        const other = rng.pick(pool);
        const from = al(rng.int(other.length + 1));
        const len = al(rng.int(Math.min(2048, other.length - from) + 1));
        const at = al(rng.int(n + 1));
        b = concat(b.subarray(0, at), other.subarray(from, from + len), b.subarray(at));
        break;
      }
      case 4: {
        // duplicate a range (repeated records, repeated headers)
        const from = al(rng.int(n + 1));
        const len = al(rng.int(Math.min(4096, n - from) + 1));
        const times = 1 + rng.int(8);
        const piece = b.subarray(from, from + len);
        b = concat(b.subarray(0, from + len), ...Array.from({ length: times }, () => piece), b.subarray(from + len));
        break;
      }
      case 5: {
        // delete a range
        const from = al(rng.int(n + 1));
        const len = al(rng.int(Math.min(1024, n - from) + 1));
        b = concat(b.subarray(0, from), b.subarray(from + len));
        break;
      }
      case 6:
        b = replaceDigits(b, rng);
        break;
      case 7: {
        // overwrite a range with one byte value
        const from = rng.int(n + 1);
        const len = rng.int(Math.min(rng.int(4) === 0 ? 600 : 24, n - from) + 1);
        b.fill(rng.pick(INTERESTING), from, from + len);
        break;
      }
    }
  }
  return b;
}
