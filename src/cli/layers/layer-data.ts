/**
 * `list-layer-data LAYER`, `get-layer-data [-f FILE] LAYER KEY` and
 * `set-layer-data [-f FILE] LAYER KEY`: a layer's big data items
 * (store/lifecycle/layer-data.ts). get writes to stdout and set reads stdin without -f.
 */
import { StdioError } from "../stdio.ts";
import { closeSync, openSync } from "node:fs";
import { defineCommand } from "../define.ts";
import { sysError } from "../../errors.ts";
import { log } from "../../log.ts";
import { copyFd, layerDataPath, listLayerData, setLayerData } from "../../store/lifecycle/layer-data.ts";
import { expectPositionals, globalArgs, jsonArg, lastValue } from "../args.ts";
import { begin } from "../context.ts";
import { flushOut, out, toJson } from "../output.ts";
import { quoteArg } from "../../quote.ts";

const layerArg = { layer: { type: "positional", required: false, description: "Layer ID or name" } } as const;
const keyArg = { key: { type: "positional", required: false, description: "Data item name" } } as const;

export const listLayerDataCmd = defineCommand({
  meta: { name: "list-layer-data", description: "List data items that are attached to a layer" },
  args: { ...globalArgs, ...jsonArg, ...layerArg },
  async run({ rawArgs }) {
    const ctx = await begin(listLayerDataCmd, rawArgs);
    if (!ctx) return 0;
    const [ref] = expectPositionals(ctx.args, "list-layer-data", 1, 1, "one layer ID or name");
    const names = listLayerData(ctx.paths, ref!);
    if (ctx.json) out(toJson(names));
    else for (const n of names) out(n);
    return 0;
  },
});

function openOrFail(file: string, flags: string, what: string): number {
  try {
    return openSync(file, flags, 0o644);
  } catch (e) {
    throw sysError(`Cannot open ${what} ${file}`, e);
  }
}

export const getLayerDataCmd = defineCommand({
  meta: { name: "get-layer-data", description: "Get data that is attached to a layer" },
  args: { ...globalArgs, file: { type: "string", alias: ["f"], description: "Write data to file" }, ...layerArg, ...keyArg },
  async run({ rawArgs }) {
    const ctx = await begin(getLayerDataCmd, rawArgs);
    if (!ctx) return 0;
    const [ref, key] = expectPositionals(ctx.args, "get-layer-data", 2, 2, "a layer ID or name and a data item name");
    const src = layerDataPath(ctx.paths, ref!, key!);
    const file = lastValue(ctx.args, "file");
    const inFd = openOrFail(src, "r", "data item");
    try {
      await flushOut();
      const outFd = file === undefined ? 1 : openOrFail(file, "w", "output file");
      try {
        // A closed pipe or a full disk on stdout ends the run as any output error does (stdio.ts).
        copyFd(inFd, outFd, (e) => (outFd === 1 ? new StdioError(1, e) : sysError(`Cannot write ${file}`, e)));
      } finally {
        if (outFd !== 1) closeSync(outFd);
      }
    } finally {
      closeSync(inFd);
    }
    return 0;
  },
});

export const setLayerDataCmd = defineCommand({
  meta: { name: "set-layer-data", description: "Set data that is attached to a layer" },
  args: { ...globalArgs, file: { type: "string", alias: ["f"], description: "Read data from file" }, ...layerArg, ...keyArg },
  async run({ rawArgs }) {
    const ctx = await begin(setLayerDataCmd, rawArgs);
    if (!ctx) return 0;
    const [ref, key] = expectPositionals(ctx.args, "set-layer-data", 2, 2, "a layer ID or name and a data item name");
    const file = lastValue(ctx.args, "file");
    const fd = file === undefined ? 0 : openOrFail(file, "r", "input file");
    try {
      const n = await setLayerData(ctx.paths, ref!, key!, fd);
      log.debug(`layer ${ref}: data item ${quoteArg(key)} set, ${n} bytes`);
    } finally {
      if (fd !== 0) closeSync(fd);
    }
    return 0;
  },
});
