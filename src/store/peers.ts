/**
 * Read-only views of the image and container records other tools keep in the
 * same store (overlay-images/images.json, overlay-containers/containers.json):
 * which layers they use. Both files are replaced atomically by their writers,
 * so reading them without their locks never sees half a file.
 */
import { readFileSync } from "node:fs";
import { OvError, errCode, sysError } from "../errors.ts";
import type { StorePaths } from "./paths.ts";

export interface ImageRef {
  id: string;
  names: string[];
  /** Top layer and mapped top layers. */
  layers: string[];
}

export interface ContainerRef {
  id: string;
  names: string[];
  layer: string;
}

function readArray(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw sysError(`Cannot read ${file}`, e);
  }
  if (text.trim() === "") return [];
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch (e) {
    throw new OvError("corrupt", `${file} does not parse as JSON: ${(e as Error).message}`);
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

export function readImages(paths: StorePaths): ImageRef[] {
  return readArray(paths.imagesJson).map((r) => ({
    id: String(r.id ?? ""),
    names: strings(r.names),
    layers: [...(typeof r.layer === "string" && r.layer ? [r.layer] : []), ...strings(r["mapped-layers"])],
  }));
}

export function readContainers(paths: StorePaths): ContainerRef[] {
  return readArray(paths.containersJson).map((r) => ({
    id: String(r.id ?? ""),
    names: strings(r.names),
    layer: typeof r.layer === "string" ? r.layer : "",
  }));
}
