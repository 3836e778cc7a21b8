/**
 * Worker thread entry: runs StreamDigests (hashes, id sets, tar-split) on
 * the bytes the import's main thread shares with it, so that hashing and
 * tar-split take the second core while the main thread writes files.
 *
 * Bytes arrive in a ring of shared 1 MiB slots (no copy for data the main
 * thread reads straight into a slot); each slot is handed back once digested.
 * A compiled binary only contains this file when the build lists it as an
 * entrypoint; without it, import does the same work inline.
 */
import { OvError } from "../../errors.ts";
import { StreamDigests, type DigestOptions, type DigestResult } from "./digests.ts";

declare const self: Worker;

export type ToWorker =
  | { t: "init"; opts: DigestOptions; ring: SharedArrayBuffer[] }
  /** Slot `i` holds `n` bytes: compressed input ("c") or uncompressed tar ("u"). */
  | { t: "c" | "u"; i: number; n: number }
  | { t: "drop"; reason: string }
  | { t: "end" }
  | { t: "abort" };

export type FromWorker =
  | { t: "ready" }
  /** Slot `i` may be reused. */
  | { t: "ack"; i: number }
  | { t: "done"; result: DigestResult | null }
  | { t: "error"; kind: string; message: string; hint?: string };

let digests: StreamDigests | null = null;
let ring: SharedArrayBuffer[] = [];
let failed = false;

function post(m: FromWorker): void {
  self.postMessage(m);
}

function fail(e: unknown): void {
  failed = true;
  post(
    e instanceof OvError
      ? { t: "error", kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }
      : { t: "error", kind: "internal", message: e instanceof Error ? e.message : String(e) },
  );
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.t) {
    case "init":
      try {
        ring = m.ring;
        digests = new StreamDigests(m.opts);
      } catch (e) {
        fail(e);
      }
      return;
    case "c":
    case "u":
      try {
        if (!failed) {
          const view = new Uint8Array(ring[m.i]!, 0, m.n);
          if (m.t === "c") digests!.compressed(view);
          else digests!.tar(view);
        }
      } catch (e) {
        fail(e);
      }
      post({ t: "ack", i: m.i });
      return;
    case "drop":
      digests?.drop(m.reason);
      return;
    case "end":
      try {
        if (!failed) post({ t: "done", result: digests!.finish() });
      } catch (e) {
        fail(e);
      }
      return;
    case "abort":
      try {
        digests?.abort();
      } finally {
        post({ t: "done", result: null });
      }
      return;
  }
};

post({ t: "ready" });
