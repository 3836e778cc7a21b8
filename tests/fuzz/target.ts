/**
 * What a fuzz target is: a name, small valid seed inputs built in code, and
 * a function that feeds one input to the code under test. The runner
 * (run.ts) mutates the seeds; a case passes when `run` returns or throws an
 * OvError. A target that writes files gets `dir` (empty, its own) and must
 * write nowhere else.
 */
export interface FuzzTarget {
  name: string;
  /** Valid inputs to start from (a few, small). */
  seeds(): Uint8Array[];
  /** Feeds one input. `dir` is an empty directory the case may write in. */
  run(input: Uint8Array, dir: string): void | Promise<void>;
  /** Repairs what would stop nearly every mutant at the door (tar checksums); `coin` is a random integer. */
  fixup?(input: Uint8Array, coin: number): Uint8Array;
  /** Block size of the format: moved ranges keep to it (512 for tar, mutate.ts). */
  unit?: number;
  /** True when `run` writes into `dir` (the runner then checks nothing else changed). */
  writes?: boolean;
}
