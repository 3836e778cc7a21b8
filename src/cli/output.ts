/**
 * stdout carries data only. Lines are gathered and written once at the end
 * (touching process.stdout costs ~8 ms at start-up; Bun.stdout does not).
 */
let buffer = "";

export function out(line: string): void {
  buffer += line + "\n";
}

/** Writes text with no newline added. */
export function outRaw(text: string): void {
  buffer += text;
}

export async function flushOut(): Promise<void> {
  if (buffer) {
    const b = buffer;
    buffer = "";
    await Bun.write(Bun.stdout, b);
  }
}

export async function writeErr(text: string): Promise<void> {
  await Bun.write(Bun.stderr, text);
}

/** JSON as containers-storage prints it: compact, with Go's HTML escaping. */
export function toJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
