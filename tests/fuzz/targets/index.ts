/** Every fuzz target, in run order. A new target is one module here. */
import type { FuzzTarget } from "../target.ts";
import { target as tarReader } from "./tar-reader.ts";
import { target as pax } from "./pax.ts";
import { target as lower } from "./lower.ts";
import { target as linkFile } from "./link-file.ts";
import { target as apply } from "./apply.ts";
import { target as storeJson } from "./store-json.ts";

export const TARGETS: readonly FuzzTarget[] = [tarReader, pax, lower, linkFile, storeJson, apply];
