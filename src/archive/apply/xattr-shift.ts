/**
 * Extended attribute values that hold IDs, shifted from one mapping to
 * another: POSIX ACLs (system.posix_acl_access/default: a 4-byte version 2
 * header, then 8-byte entries {u16 tag, u16 perm, u32 id}, where ACL_USER and
 * ACL_GROUP entries carry a uid/gid) and v3 file capabilities
 * (security.capability, 24 bytes, the rootid at offset 20). Pure.
 */
import { OvError } from "../../errors.ts";

const ACL_VERSION = 2;
const ACL_USER = 0x02;
const ACL_GROUP = 0x08;
const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_REVISION_3 = 0x03000000;
const VFS_CAP_V3_SIZE = 24;

export type IdShift = (id: number, kind: "UID" | "GID") => number;

/** Names whose values carry IDs. */
export function isIdXattr(name: string): boolean {
  return name === "system.posix_acl_access" || name === "system.posix_acl_default" || name === "security.capability";
}

/**
 * The value with its IDs shifted; other attributes come back unchanged.
 * @throws {OvError} corrupt on an ACL of the wrong size or version; whatever `shift` throws.
 */
export function shiftXattr(name: string, value: Uint8Array, shift: IdShift, what: string): Uint8Array {
  if (name === "security.capability") return shiftCapability(value, shift);
  if (name === "system.posix_acl_access" || name === "system.posix_acl_default") return shiftAcl(value, shift, `${what} ${name}`);
  return value;
}

function shiftAcl(value: Uint8Array, shift: IdShift, what: string): Uint8Array {
  if (value.length < 4 || (value.length - 4) % 8 !== 0) throw new OvError("corrupt", `${what}: ${value.length} bytes is not an ACL (4 + 8n)`);
  const out = new Uint8Array(value);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (v.getUint32(0, true) !== ACL_VERSION) throw new OvError("corrupt", `${what}: ACL version ${v.getUint32(0, true)}, expected ${ACL_VERSION}`);
  for (let off = 4; off < out.length; off += 8) {
    const tag = v.getUint16(off, true);
    if (tag === ACL_USER) v.setUint32(off + 4, shift(v.getUint32(off + 4, true), "UID"), true);
    else if (tag === ACL_GROUP) v.setUint32(off + 4, shift(v.getUint32(off + 4, true), "GID"), true);
  }
  return out;
}

function shiftCapability(value: Uint8Array, shift: IdShift): Uint8Array {
  if (value.length !== VFS_CAP_V3_SIZE) return value;
  const out = new Uint8Array(value);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if ((v.getUint32(0, true) & VFS_CAP_REVISION_MASK) >>> 0 !== VFS_CAP_REVISION_3) return value;
  v.setUint32(20, shift(v.getUint32(20, true), "UID"), true);
  return out;
}
