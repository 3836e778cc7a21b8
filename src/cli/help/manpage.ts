/**
 * ovlayer(1) in roff (man(7) macros), rendered from the command reference
 * (reference.ts): every verb with its aliases, arguments and flags, the
 * global flags, and the exit codes of errors.ts. Pure: data in, text out.
 * `npm run release` writes it to dist/ovlayer.1 (scripts/manpage.ts).
 */
import { EXIT_CODES } from "../../errors.ts";
import { spellings, type CommandRef, type FlagRef } from "./reference.ts";

/** Text safe in roff: backslashes doubled, a leading dot or quote escaped, dashes as \-. */
export function roff(s: string): string {
  return s.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/^([.'])/gm, "\\&$1");
}

function flagItem(f: FlagRef): string {
  const names = spellings(f)
    .map((s) => `\\fB${roff(s)}\\fR`)
    .join(", ");
  return `.TP\n${names}${f.takesValue ? " \\fIVALUE\\fR" : ""}\n${roff(f.description)}`;
}

export function manPage(ref: CommandRef, version: string, date: string): string {
  const lines = [
    `.TH OVLAYER 1 "${date}" "ovlayer ${roff(version)}" "User Commands"`,
    ".SH NAME",
    "ovlayer \\- manage container image layers in a containers/storage overlay store",
    ".SH SYNOPSIS",
    "\\fBovlayer\\fR [\\fIglobal flags\\fR] \\fICOMMAND\\fR [\\fIflags\\fR] [\\fIargs\\fR]",
    ".SH DESCRIPTION",
    "ovlayer creates, lists, mounts, checks, repairs, imports and exports the layers, images and containers of the store that podman, buildah, skopeo and CRI\\-O share, with the command line of \\fBcontainers\\-storage\\fR. Data goes to standard output, messages to standard error.",
    ".SH GLOBAL FLAGS",
    ...ref.globals.map(flagItem),
    ".SH COMMANDS",
  ];
  for (const v of ref.verbs) {
    const args = v.positionals.map((p) => ` [\\fI${roff(p.name)}\\fR]`).join("");
    lines.push(".SS " + `\\fB${roff(v.name)}\\fR [\\fIflags\\fR]${args}`);
    lines.push(roff(v.description) + (v.aliases.length ? `. Also spelled ${v.aliases.map((a) => `\\fB${roff(a)}\\fR`).join(", ")}.` : ""));
    for (const p of v.positionals) if (p.description) lines.push(".TP", `\\fI${roff(p.name)}\\fR`, roff(p.description));
    lines.push(...v.flags.map(flagItem));
  }
  lines.push(".SH EXIT STATUS", ".TP", "0", "success");
  const meaning: Record<string, string> = {
    usage: "usage: unknown verb or flag, bad argument",
    "not-found": "not found",
    conflict: "conflict: in use, has children, ambiguous",
    corrupt: "the store's files are damaged",
    busy: "busy: mounted",
    permission: "permission denied",
    unsupported: "unsupported by this kernel or store",
    sys: "a system call failed",
    internal: "internal error (a bug)",
  };
  lines.push(".TP", "1", "the answer is no (exists, check)");
  for (const [kind, code] of Object.entries(EXIT_CODES)) lines.push(".TP", String(code), roff(meaning[kind] ?? kind));
  lines.push(".SH SEE ALSO", "\\fBcontainers\\-storage\\fR(1), \\fBcontainers\\-storage.conf\\fR(5), \\fBpodman\\fR(1)");
  return lines.join("\n") + "\n";
}
