/**
 * stdout carries data only. Lines are gathered and written once at the end
 * (touching process.stdout costs ~8 ms at start-up; Bun.stdout does not).
 */
import { goJson } from "../store/records/go-json.ts";
import { writeStd } from "./stdio.ts";

let buffer = "";

export function out(line: string): void {
  buffer += line + "\n";
}

export async function flushOut(): Promise<void> {
  if (buffer) {
    const b = buffer;
    buffer = "";
    await writeStd(1, b);
  }
}

export async function writeErr(text: string): Promise<void> {
  await writeStd(2, text);
}

/** JSON as containers-storage prints it: compact, with Go's HTML escaping (store/records/go-json.ts). */
export function toJson(v: unknown): string {
  return goJson(v);
}

/** A map as Go's encoder writes one: keys in sorted (byte) order. */
export function goMap<V>(m: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}
