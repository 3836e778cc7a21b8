/**
 * How images and containers are printed, as containers-storage prints them:
 * `images`/`images-by-digest`/`containers` lists, `image`/`container`
 * detail blocks, and what `create-image`/`create-container` print.
 */
import { isFromReadOnlyStore } from "../../store/store-set.ts";
import type { ContainerRecord } from "../../store/records/containers-json.ts";
import { imageDigests, type ImageRecord } from "../../store/records/images-json.ts";
import { out } from "../output.ts";

/** The ID, then each name on a tab-indented line (create-image, create-container). */
export function printCreated(rec: { id: string; names?: string[] }): void {
  out(rec.id);
  for (const n of rec.names ?? []) out(`\t${n}`);
}

/** One entry of `images` (IDs only with `quiet`). */
export function printImageEntry(img: ImageRecord, quiet: boolean): void {
  out(img.id);
  if (quiet) return;
  for (const n of img.names ?? []) out(`\tname: ${n}`);
  for (const d of imageDigests(img)) out(`\tdigest: ${d}`);
  for (const n of img["big-data-names"] ?? []) out(`\tdata: ${n}`);
}

/** `image ID`: one block; `size` is the number or the reason it is unknown. */
export function printImageDetail(img: ImageRecord, size: number | string): void {
  out(`ID: ${img.id}`);
  for (const n of img.names ?? []) out(`Name: ${n}`);
  out(`Top Layer: ${img.layer ?? ""}`);
  for (const l of img["mapped-layers"] ?? []) out(`Top Layer: ${l}`);
  for (const d of imageDigests(img)) out(`Digest: ${d}`);
  for (const n of img["big-data-names"] ?? []) out(`Data: ${n}`);
  out(typeof size === "number" ? `Size: ${size}` : `Size unknown: ${size}`);
  // An image of a read-only additional store (store-set.ts).
  if (isFromReadOnlyStore(img)) out("Read Only: true");
}

export function printContainerEntry(c: ContainerRecord): void {
  out(c.id);
  for (const n of c.names ?? []) out(`\tname: ${n}`);
  for (const n of c["big-data-names"] ?? []) out(`\tdata: ${n}`);
}

/** `container ID`: one block. */
export function printContainerDetail(c: ContainerRecord, image: ImageRecord | undefined, size: number | string): void {
  out(`ID: ${c.id}`);
  for (const n of c.names ?? []) out(`Name: ${n}`);
  out(`Image: ${c.image}`);
  for (const n of image?.names ?? []) out(`Image name: ${n}`);
  out(typeof size === "number" ? `Size: ${size}` : `Size unknown: ${size}`);
  out(`Layer: ${c.layer}`);
  for (const n of c["big-data-names"] ?? []) out(`Data: ${n}`);
}
