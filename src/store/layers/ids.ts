/**
 * Layer IDs, names and short link IDs: validation and generation. Pure.
 *
 * An ID becomes a directory name under R/overlay, so anything that could
 * escape or collide with the driver's own entries is refused before a path is
 * built from it.
 */
import { OvError, utf8Length } from "../../errors.ts";
import { quoteArg } from "../../quote.ts";

/** Entries of R/overlay that are not layers: the overlay driver's own (README.md, "Verbs"). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "l",
  "staging",
  "tempdirs",
  "backingFsBlockDev",
  ".has-mount-program",
]);

/** The longest layer ID: it is a directory name, and NAME_MAX is 255 bytes. */
export const MAX_ID_BYTES = 255;

/** The rules every identifier the user gives (ID or name) must follow. */
function invalidBasicReason(value: string): string | null {
  if (value === "") return "it is empty";
  if (value.includes("\0")) return "it contains a NUL byte";
  if (value.includes("/")) return "it contains '/'";
  if (value === "." || value === "..") return `it is '${value}'`;
  return null;
}

/** The reason `value` is not a valid layer ID, or null when it is fine. */
export function invalidIdReason(value: string): string | null {
  const basic = invalidBasicReason(value);
  if (basic) return basic;
  if (/[\x00-\x1f\x7f]/.test(value)) return "it contains a control character (a newline?)";
  if (value.includes(":")) return "it contains ':' (the lower file separator)";
  if (value.includes(",")) return "it contains ',' (the mount option separator)";
  // A directory name: the kernel's limit is 255 bytes (NAME_MAX), not 255 UTF-16 units.
  if (value.length > MAX_ID_BYTES / 3 && utf8Length(value) > MAX_ID_BYTES) return `it is ${utf8Length(value)} bytes long in UTF-8, the limit is ${MAX_ID_BYTES}`;
  if (RESERVED_NAMES.has(value)) return `'${value}' is reserved by the overlay driver`;
  return null;
}

/**
 * @throws {OvError} usage error naming the value and why it is refused.
 * @example validateId("3f2a...") // ok
 */
export function validateId(value: string, what = "layer ID"): string {
  const why = invalidIdReason(value);
  if (why) throw new OvError("usage", `Invalid ${what} ${quoteArg(value)}: ${why}`);
  return value;
}

/**
 * Names never become paths, but they are looked up like IDs, so they follow
 * the same basic rules (no '/', '.', '..', empty string or NUL).
 */
export function validateName(value: string): string {
  const why = invalidBasicReason(value);
  if (why) throw new OvError("usage", `Invalid layer name ${quoteArg(value)}: ${why}`);
  return value;
}

/**
 * Image and container names are references such as "localhost/app:1.0":
 * they never become paths, so only an empty name and NUL are refused.
 */
export function validateRecordName(value: string, what: "image" | "container"): string {
  if (value === "" || value.includes("\0")) {
    throw new OvError("usage", `Invalid ${what} name ${JSON.stringify(value)}: ${value === "" ? "it is empty" : "it contains a NUL byte"}`);
  }
  return value;
}

/** Web Crypto, not node:crypto: importing that costs ~2.5 ms of start-up (bench/README.md). */
function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Whether `value` has the form of an ID ovlayer or containers-storage generates: 64 lowercase hex digits. */
export function isGeneratedId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

/** A fresh 64-hex-char ID, like stringid.GenerateRandomID upstream. */
export function generateId(): string {
  for (;;) {
    const id = Buffer.from(randomBytes(32)).toString("hex");
    // Upstream avoids all-digit IDs: they could be confused with short numbers.
    if (!/^[0-9]+$/.test(id.slice(0, 12))) return id;
  }
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LINK_ID_LENGTH = 26;
const LINK_ID_RE = /^[A-Z2-7]{26}$/;

/**
 * A short `l/` link name made from the first 26 bytes of `bytes`: 26
 * characters of base32 (A-Z2-7), 5 bits of each byte.
 */
export function linkIdFromBytes(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < LINK_ID_LENGTH; i++) out += B32[bytes[i]! & 31];
  return out;
}

/** A fresh random short `l/` link name. */
export function generateLinkId(): string {
  return linkIdFromBytes(randomBytes(LINK_ID_LENGTH));
}

/**
 * Why `name` cannot be an `l/` link name, or null. Upstream copies the name
 * verbatim into children's `lower` files (joined by ':') and appends it to
 * R/overlay/l/, so a ':', a '/', a dot name or a blank would change what
 * every child reads.
 */
export function invalidLinkNameReason(name: string): string | null {
  if (name === "") return "it is empty";
  if (name === "." || name === "..") return `it is '${name}'`;
  if (name.includes("/")) return "it contains '/'";
  if (name.includes(":")) return "it contains ':' (the lower file separator)";
  if (/[\s\0]/.test(name)) return "it contains a blank or control character";
  return null;
}

export function isLinkId(value: string): boolean {
  return LINK_ID_RE.test(value);
}
