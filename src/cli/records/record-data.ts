/**
 * Big data verbs of images and containers: `list-`, `get-`, `get-…-size`,
 * `get-…-digest` and `set-image-data` / `…-container-data`.
 */
import { storeOf } from "../../store/store-set.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { defineCommand, type VerbDef } from "../define.ts";
import { sysError } from "../../errors.ts";
import { bigDataDigest, bigDataSize, readBigDataFile, requireKey } from "../../store/lifecycle/big-data.ts";
import { setContainerData } from "../../store/lifecycle/containers.ts";
import { readContainers } from "../../store/records/container-store.ts";
import { setImageData } from "../../store/lifecycle/images.ts";
import { readImages } from "../../store/records/image-store.ts";
import { requireRecord } from "../../store/lookup.ts";
import type { ContainerRecord } from "../../store/records/containers-json.ts";
import type { ImageRecord } from "../../store/records/images-json.ts";
import type { StorePaths } from "../../store/paths.ts";
import { expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin, type Ctx } from "../context.ts";
import { out, toJson } from "../output.ts";

type Kind = "image" | "container";
type Op = "list" | "get" | "size" | "digest" | "set";

const NAMES: Record<Op, (k: Kind) => string> = {
  list: (k) => `list-${k}-data`,
  get: (k) => `get-${k}-data`,
  size: (k) => `get-${k}-data-size`,
  digest: (k) => `get-${k}-data-digest`,
  set: (k) => `set-${k}-data`,
};

const DESCRIPTIONS: Record<Op, string> = {
  list: "List data items that are attached to an",
  get: "Get data that is attached to an",
  size: "Get size of data that is attached to an",
  digest: "Get digest of data that is attached to an",
  set: "Set data that is attached to an",
};

function find(paths: StorePaths, kind: Kind, ref: string, verb: string) {
  const records: (ImageRecord | ContainerRecord)[] = kind === "image" ? readImages(paths) : readContainers(paths);
  return requireRecord(records, ref, kind, verb);
}

function dataDir(paths: StorePaths, kind: Kind, id: string): string {
  return kind === "image" ? paths.imageDataDir(id) : paths.containerDataDir(id);
}

async function runOp(ctx: Ctx, kind: Kind, op: Op, verb: string): Promise<number> {
  const [ref, key] = expectPositionals(ctx.args, verb, op === "list" ? 1 : 2, op === "list" ? 1 : 2, op === "list" ? `one ${kind}` : `a ${kind} and a data name`);
  if (op === "set") {
    const file = lastValue(ctx.args, "file");
    let data: Uint8Array;
    try {
      data = file ? readFileSync(file) : new Uint8Array(await Bun.stdin.arrayBuffer());
    } catch (e) {
      throw sysError(`Cannot read ${file ?? "stdin"}`, e);
    }
    if (kind === "image") await setImageData(ctx.paths, ref!, key!, data);
    else await setContainerData(ctx.paths, ref!, key!, data);
    return 0;
  }
  const rec = find(ctx.paths, kind, ref!, `read the data of ${kind}`);
  // An image of another image store keeps its data there (store-set.ts).
  const dir = dataDir(storeOf(rec, ctx.paths), kind, rec.id);
  if (op === "list") {
    const names = rec["big-data-names"] ?? [];
    if (ctx.json) out(toJson(names));
    else for (const n of names) out(n);
  } else if (op === "size") {
    out(String(bigDataSize(dir, rec, requireKey(key!, kind), kind)));
  } else if (op === "digest") {
    out(bigDataDigest(rec, requireKey(key!, kind), kind));
  } else {
    const data = readBigDataFile(dir, rec, requireKey(key!, kind), kind);
    const file = lastValue(ctx.args, "file");
    if (file) {
      try {
        writeFileSync(file, data);
      } catch (e) {
        throw sysError(`Cannot write ${file}`, e);
      }
    } else await Bun.write(Bun.stdout, data);
  }
  return 0;
}

function dataVerb(kind: Kind, op: Op): VerbDef {
  const name = NAMES[op](kind);
  const cmd: VerbDef = defineCommand({
    meta: { name, description: `${DESCRIPTIONS[op]} ${kind}` },
    args: {
      ...globalArgs,
      ...(op === "list" ? jsonArg : {}),
      ...(op === "get" || op === "set" ? { file: { type: "string", alias: ["f"], description: op === "get" ? "Write data to file" : "Read data from file" } } : {}),
      [kind]: { type: "positional", required: false, description: `${kind === "image" ? "Image" : "Container"} ID or name` },
      ...(op === "list" ? {} : { key: { type: "positional", required: false, description: "Data item name" } }),
    },
    async run({ rawArgs }) {
      const ctx = await begin(cmd, rawArgs);
      if (!ctx) return 0;
      return runOp(ctx, kind, op, name);
    },
  });
  return cmd;
}

export const listImageData = dataVerb("image", "list");
export const getImageData = dataVerb("image", "get");
export const getImageDataSize = dataVerb("image", "size");
export const getImageDataDigest = dataVerb("image", "digest");
export const setImageDataVerb = dataVerb("image", "set");
export const listContainerData = dataVerb("container", "list");
export const getContainerData = dataVerb("container", "get");
export const getContainerDataSize = dataVerb("container", "size");
export const getContainerDataDigest = dataVerb("container", "digest");
export const setContainerDataVerb = dataVerb("container", "set");
