/**
 * OCI (AUFS-style) whiteouts in archives and overlay whiteouts on disk. Pure.
 *
 *   archive                      layer diff directory (overlayfs upper dir)
 *   DIR/.wh.NAME                 DIR/NAME: character device 0:0
 *   DIR/.wh..wh..opq             DIR carries the xattr trusted.overlay.opaque = "y"
 *                                (user.overlay.opaque when mounted with userxattr)
 *
 * See the kernel's Documentation/filesystems/overlayfs.rst ("whiteouts and
 * opaque directories") and the OCI image spec's layer.md.
 */

export const WHITEOUT_PREFIX = ".wh.";
/** Names starting with this are AUFS metadata, not whiteouts. */
export const WHITEOUT_META_PREFIX = ".wh..wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

export const TRUSTED_OPAQUE = "trusted.overlay.opaque";
export const USER_OPAQUE = "user.overlay.opaque";

export type NameClass =
  | { kind: "normal" }
  /** Hides `target` (a sibling name) of lower layers. */
  | { kind: "whiteout"; target: string }
  /** Hides all lower content of the directory. */
  | { kind: "opaque" }
  /** Other AUFS metadata (.wh..wh.plnk, ...): meaningless for overlay. */
  | { kind: "meta" };

const NORMAL: NameClass = { kind: "normal" };
const OPAQUE: NameClass = { kind: "opaque" };
const META: NameClass = { kind: "meta" };

/**
 * Classifies the last component of an archive name.
 * @example classifyBase(".wh.passwd") // { kind: "whiteout", target: "passwd" }
 */
export function classifyBase(base: string): NameClass {
  if (!base.startsWith(WHITEOUT_PREFIX)) return NORMAL;
  if (base === OPAQUE_MARKER) return OPAQUE;
  if (base.startsWith(WHITEOUT_META_PREFIX)) return META;
  const target = base.slice(WHITEOUT_PREFIX.length);
  // ".wh." alone, ".wh..": nothing a whiteout can name.
  if (target === "" || target === "." || target === "..") return META;
  return { kind: "whiteout", target };
}

/** The archive name of the whiteout for `base`. */
export function whiteoutName(base: string): string {
  return WHITEOUT_PREFIX + base;
}

/** The opaque xattr this store writes: user.* when its mounts use `userxattr`. */
export function opaqueXattrFor(mountOptions: readonly string[]): string {
  return mountOptions.includes("userxattr") ? USER_OPAQUE : TRUSTED_OPAQUE;
}

/** True for an opaque xattr value ("y"). */
export function isOpaqueValue(v: Uint8Array | null): boolean {
  return v !== null && v.length === 1 && v[0] === 0x79;
}

/**
 * Overlay's private xattrs (redirect, metacopy, origin, opaque...). Taken
 * from an archive they would make the kernel follow paths the archive chose,
 * so apply drops them (an opaque flag is honoured through the marker only).
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}
