/**
 * Binary xattr values for the ID-map tests: a POSIX ACL
 * (system.posix_acl_access: version 2, then {tag, perm, id} entries) and a
 * v3 security.capability with its rootid.
 */

/** An ACL xattr value: version 2, then {tag, perm, id} entries (little-endian). */
export function acl(entries: [number, number, number][]): Uint8Array {
  const b = new Uint8Array(4 + 8 * entries.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, 2, true);
  entries.forEach(([tag, perm, id], i) => {
    v.setUint16(4 + 8 * i, tag, true);
    v.setUint16(6 + 8 * i, perm, true);
    v.setUint32(8 + 8 * i, id, true);
  });
  return b;
}

/** A v3 security.capability (CAP_NET_BIND_SERVICE) whose rootid is `rootid`. */
export function capV3(rootid: number): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x03000001, true);
  v.setUint32(4, 1 << 13, true); // CAP_NET_BIND_SERVICE
  v.setUint32(20, rootid, true);
  return b;
}
