/**
 * Where the digests of an import are computed: on a worker thread when the
 * binary has digest-worker.ts (then hashing and tar-split use the second
 * core), otherwise inline on the main thread. Both give the same result.
 *
 * The worker reads the bytes from a ring of shared 1 MiB slots. The main
 * thread reads uncompressed input straight into a slot (`acquire` then
 * `filled`), or copies chunks in (`tar`, `compressed`). A slot is reused
 * only after the worker handed it back, so at most RING_SLOTS MiB are in
 * flight: the main thread waits beyond that, whatever the speed difference.
 */
import { availableParallelism, loadavg } from "node:os";
import { OvError, type ErrorKind } from "../../errors.ts";
import { log } from "../../log.ts";
import { StreamDigests, type DigestOptions, type DigestResult } from "./digests.ts";
import type { FromWorker, ToWorker } from "./digest-worker.ts";
import type { TarSink } from "../tar/reader.ts";

export const SLOT_SIZE = 1 << 20;
const RING_SLOTS = 24;
/** How long the worker may take to start before import goes on without it. */
const START_TIMEOUT_MS = 2000;

export interface DigestChannel {
  /** A buffer to read the next uncompressed bytes into (give it back with `filled`). */
  acquire(): Uint8Array | Promise<Uint8Array>;
  /** The first `n` bytes of a buffer from `acquire` are the next tar bytes (0: give it back unused). */
  filled(buf: Uint8Array, n: number): void;
  /** Compressed bytes as read (copied). */
  compressed(chunk: Uint8Array): void | Promise<void>;
  /** Uncompressed tar bytes (copied). */
  tar(chunk: Uint8Array): void | Promise<void>;
  drop(reason: string): void;
  finish(): Promise<DigestResult>;
  /** Stops and removes the tar-split file. */
  abort(): Promise<void>;
  readonly threaded: boolean;
  /**
   * Inline only: the caller's parser must send its entries here (the channel
   * then only hashes the bytes, so the stream is parsed once).
   */
  readonly sink: TarSink | null;
}

class InlineChannel implements DigestChannel {
  readonly threaded = false;
  readonly sink: TarSink;
  private readonly d: StreamDigests;
  private readonly buf = Buffer.allocUnsafe(SLOT_SIZE);
  constructor(opts: DigestOptions) {
    this.d = new StreamDigests({ ...opts, parse: false });
    this.sink = this.d.sink;
  }
  acquire(): Uint8Array {
    return this.buf;
  }
  filled(buf: Uint8Array, n: number): void {
    if (n > 0) this.d.tar(buf.subarray(0, n));
  }
  compressed(chunk: Uint8Array): void {
    this.d.compressed(chunk);
  }
  tar(chunk: Uint8Array): void {
    this.d.tar(chunk);
  }
  drop(reason: string): void {
    this.d.drop(reason);
  }
  async finish(): Promise<DigestResult> {
    return this.d.finish();
  }
  async abort(): Promise<void> {
    this.d.abort();
  }
}

class WorkerChannel implements DigestChannel {
  readonly threaded = true;
  readonly sink = null;
  private readonly ring: SharedArrayBuffer[] = [];
  private readonly views: Uint8Array[] = [];
  private readonly slotOf = new Map<Uint8Array, number>();
  private readonly free: number[] = [];
  private waiters: ((i: number) => void)[] = [];
  private error: OvError | null = null;
  private done: ((r: DigestResult | null) => void) | null = null;
  private doneErr: ((e: unknown) => void) | null = null;

  constructor(
    private readonly w: Worker,
    opts: DigestOptions,
  ) {
    for (let i = 0; i < RING_SLOTS; i++) {
      const sab = new SharedArrayBuffer(SLOT_SIZE);
      this.ring.push(sab);
      const v = new Uint8Array(sab);
      this.views.push(v);
      this.slotOf.set(v, i);
      this.free.push(i);
    }
    w.onmessage = (ev: MessageEvent<FromWorker>) => this.onMessage(ev.data);
    w.onerror = (ev) => this.onMessage({ t: "error", kind: "internal", message: `digest worker: ${ev.message}` });
    this.send({ t: "init", opts, ring: this.ring });
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case "ack": {
        const waiter = this.waiters.shift();
        if (waiter) waiter(m.i);
        else this.free.push(m.i);
        return;
      }
      case "done":
        this.done?.(m.result);
        return;
      case "error":
        this.error = new OvError(m.kind as ErrorKind, m.message, m.hint ? { hint: m.hint } : {});
        this.doneErr?.(this.error);
        return;
    }
  }

  private send(msg: ToWorker): void {
    this.w.postMessage(msg);
  }

  private slot(): number | Promise<number> {
    if (this.error) throw this.error;
    const i = this.free.pop();
    if (i !== undefined) return i;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  acquire(): Uint8Array | Promise<Uint8Array> {
    const s = this.slot();
    return typeof s === "number" ? this.views[s]! : s.then((i) => this.views[i]!);
  }

  filled(buf: Uint8Array, n: number): void {
    const i = this.slotOf.get(buf);
    if (i === undefined) throw new OvError("internal", "digest channel: filled() with a buffer that is not a slot");
    if (n === 0) this.free.push(i);
    else this.send({ t: "u", i, n });
  }

  /** Copies `chunk` into slots, waiting for free ones when needed. */
  private async copyIn(t: "c" | "u", chunk: Uint8Array): Promise<void> {
    for (let p = 0; p < chunk.length; p += SLOT_SIZE) {
      const part = chunk.subarray(p, p + SLOT_SIZE);
      const s = this.slot();
      const i = typeof s === "number" ? s : await s;
      this.views[i]!.set(part);
      this.send({ t, i, n: part.length });
    }
  }

  private copy(t: "c" | "u", chunk: Uint8Array): void | Promise<void> {
    // The common case, a free slot and a chunk that fits, stays synchronous.
    if (chunk.length <= SLOT_SIZE && this.free.length && !this.error) {
      const i = this.free.pop()!;
      this.views[i]!.set(chunk);
      this.send({ t, i, n: chunk.length });
      return;
    }
    return this.copyIn(t, chunk);
  }

  compressed(chunk: Uint8Array): void | Promise<void> {
    return this.copy("c", chunk);
  }
  tar(chunk: Uint8Array): void | Promise<void> {
    return this.copy("u", chunk);
  }
  drop(reason: string): void {
    this.send({ t: "drop", reason });
  }
  finish(): Promise<DigestResult> {
    return new Promise<DigestResult>((resolve, reject) => {
      if (this.error) return reject(this.error);
      this.done = (r) => (r ? resolve(r) : reject(new OvError("internal", "digest worker gave no result")));
      this.doneErr = reject;
      this.send({ t: "end" });
    }).finally(() => this.stop());
  }
  async abort(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.done = () => resolve();
      this.doneErr = () => resolve();
      this.send({ t: "abort" });
    });
    this.stop();
  }
  private stop(): void {
    // The process exits soon: let the thread go without waiting for its teardown.
    this.w.unref();
  }
}

/**
 * The worker's module. From the sources it sits next to this file; in a
 * compiled binary every module is bundled into the main entry at
 * /$bunfs/root/<binary>, and the worker entrypoint keeps its path relative to
 * src/ (the build lists src/main.ts and src/archive/apply/digest-worker.ts).
 */
function workerUrl(): string {
  const compiled = import.meta.url.includes("/$bunfs/");
  return new URL(compiled ? "./archive/apply/digest-worker.ts" : "./digest-worker.ts", import.meta.url).href;
}

function startWorker(): Promise<Worker | null> {
  return new Promise((resolve) => {
    let w: Worker;
    try {
      w = new Worker(workerUrl());
    } catch (e) {
      log.debug(`digest worker not available: ${(e as Error).message}`);
      return resolve(null);
    }
    const timer = setTimeout(() => {
      log.debug("digest worker did not start in time");
      w.terminate();
      resolve(null);
    }, START_TIMEOUT_MS);
    w.onmessage = (ev: MessageEvent<FromWorker>) => {
      if (ev.data.t === "ready") {
        clearTimeout(timer);
        resolve(w);
      }
    };
    w.onerror = (ev) => {
      clearTimeout(timer);
      log.debug(`digest worker not available: ${ev.message}`);
      w.terminate();
      resolve(null);
    };
  });
}

/**
 * Whether a second thread pays: it costs ~30% more CPU in total (a second
 * parser, a second JIT warm-up), which is a gain only when a core is free.
 * Measured on 2 cores, 340 MB / 32k files on tmpfs: 0.85 s instead of 1.2 s
 * when the other core is free; 1.6-1.8 s instead of 1.3-1.5 s when another
 * process keeps it busy.
 * OVLAYER_DIGESTS=worker or =inline overrides the choice (tests, benchmarks).
 */
export function wantWorker(env: Record<string, string | undefined>, cpus: number, load1: number): boolean {
  if (env.OVLAYER_DIGESTS === "inline") return false;
  if (env.OVLAYER_DIGESTS === "worker") return true;
  return cpus >= 2 && load1 < cpus - 1;
}

/** Starts the digests of one import, on a worker thread when it pays and the binary has one. */
export async function openDigests(opts: DigestOptions): Promise<DigestChannel> {
  if (wantWorker(process.env, availableParallelism(), loadavg()[0] ?? 0)) {
    const w = await startWorker();
    if (w) return new WorkerChannel(w, opts);
  }
  return new InlineChannel(opts);
}
