import { describe, expect, test } from "bun:test";
import { OvError } from "../../src/errors.ts";
import { argName, checkArgv, checkEnv, isUtf8, showBytes, splitNul } from "../../src/cli/raw-args.ts";
import { ENV_READ } from "../../src/cli/dispatch.ts";
import { cutShown, quoteArg, QUOTE_LIMIT } from "../../src/quote.ts";

const b = (...parts: (string | number[] | Uint8Array)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));
const lossy = (x: Uint8Array) => Buffer.from(x).toString("utf8");

function usage(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OvError);
    expect((e as OvError).kind).toBe("usage");
    return (e as OvError).message;
  }
  throw new Error("no error");
}

describe("arguments that are not UTF-8", () => {
  const graph = b("/x/", [0xff, 0xfe]);
  const id = b([0xc3, 0x28], "abc");
  const cmdline = (...args: Uint8Array[]) => b(...args.flatMap((a) => [Array.from(a), [0]]));

  test("a --graph value with \\xff\\xfe is refused naming the flag and the bytes", () => {
    const argv = ["--graph", lossy(graph), "layers"];
    const msg = usage(() => checkArgv(argv, cmdline(b("/usr/bin/ovlayer"), b("--graph"), graph, b("layers"))));
    expect(msg).toBe('Argument 2 (the value of --graph) "/x/\\xff\\xfe" is not valid UTF-8; ovlayer refuses it rather than change it');
  });

  test("--id=<bad> and a bad positional are named by position", () => {
    const eq = b("--id=", id);
    expect(usage(() => checkArgv(["create-layer", lossy(eq)], cmdline(b("ovlayer"), b("create-layer"), eq)))).toMatch(/^Argument 2 \(--id=\.\.\.\) "--id=\\xc3\(abc"/);
    expect(usage(() => checkArgv(["layer", lossy(id)], cmdline(b("ovlayer"), b("layer"), id)))).toMatch(/^Argument 2 "\\xc3\(abc"/);
  });

  test("a real U+FFFD typed by the user passes; so does plain ASCII (without reading /proc)", () => {
    const real = b("ok\uFFFD");
    expect(() => checkArgv(["create-layer", "-n", lossy(real)], cmdline(b("ovlayer"), b("create-layer"), b("-n"), real))).not.toThrow();
    expect(() => checkArgv(["layers"], new Uint8Array(0))).not.toThrow();
  });

  test("a 100 KB bad argument is cut in the message", () => {
    const big = b("a".repeat(100_000), [0xff]);
    const msg = usage(() => checkArgv(["layer", lossy(big)], cmdline(b("ovlayer"), b("layer"), big)));
    expect(msg.length).toBeLessThan(400);
    expect(msg).toContain("… (100001 bytes)");
  });

  test("environment values ovlayer reads: named by variable; others are not looked at", () => {
    const bad = b("over", [0xff], "lay");
    const environ = b("HOME=/root", [0], "STORAGE_DRIVER=", bad, [0], "OTHER=", [0xff], [0]);
    expect(usage(() => checkEnv({ STORAGE_DRIVER: lossy(bad), OTHER: "\uFFFD" }, ENV_READ, environ))).toBe('$STORAGE_DRIVER "over\\xfflay" is not valid UTF-8; ovlayer refuses it rather than change it');
    expect(() => checkEnv({ OTHER: "\uFFFD" }, ENV_READ, environ)).not.toThrow();
    const conf = b("CONTAINERS_STORAGE_CONF=/etc/", [0xe9], ".conf");
    expect(usage(() => checkEnv({ CONTAINERS_STORAGE_CONF: "/etc/\uFFFD.conf" }, ENV_READ, b(Array.from(conf), [0])))).toContain("$CONTAINERS_STORAGE_CONF");
  });

  test("helpers: splitNul, isUtf8, showBytes, argName", () => {
    expect(splitNul(b("a", [0], "bc", [0])).map((x) => lossy(x))).toEqual(["a", "bc"]);
    expect(splitNul(b("a", [0], "bc")).length).toBe(2);
    expect(isUtf8(b("é"))).toBe(true);
    expect(isUtf8(b([0xc3]))).toBe(false);
    expect(showBytes(b("é", [0xe9], "x", [0xf0, 0x9f, 0x98, 0x80]))).toBe("é\\xe9x😀");
    expect(showBytes(b([0xed, 0xa0, 0x80]))).toBe("\\xed\\xa0\\x80"); // a surrogate in UTF-8 is not valid
    expect(argName(["-n", "x"], 1)).toBe("Argument 2 (the value of -n)");
    expect(argName(["--debug", "-x"], 1)).toBe("Argument 2");
  });
});

describe("quoteArg", () => {
  test("short values are JSON-quoted whole", () => {
    expect(quoteArg("abc")).toBe('"abc"');
    expect(quoteArg("a\nb")).toBe('"a\\nb"');
    expect(quoteArg(undefined)).toBe("(none)");
  });

  test("long values keep 200 characters and say the size in bytes", () => {
    const q = quoteArg("é".repeat(1000));
    expect(q).toBe(`"${"é".repeat(QUOTE_LIMIT)}"… (2000 bytes)`);
    expect(quoteArg("x".repeat(QUOTE_LIMIT))).toBe(JSON.stringify("x".repeat(QUOTE_LIMIT)));
  });

  test("never splits a surrogate pair", () => {
    const q = quoteArg("a".repeat(QUOTE_LIMIT - 1) + "😀".repeat(10));
    expect(q.startsWith(`"${"a".repeat(QUOTE_LIMIT - 1)}"…`)).toBe(true);
    expect(cutShown("\\xff".repeat(100), 100)).toBe(`"${"\\xff".repeat(50)}"… (100 bytes)`);
  });
});
