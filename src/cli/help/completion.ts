/**
 * `ovlayer completion bash|zsh|fish`: prints the shell's completion script,
 * generated from the command tree (reference.ts), so every verb and flag is
 * in it. Install with e.g. `ovlayer completion bash > /etc/bash_completion.d/ovlayer`.
 */
import { OvError } from "../../errors.ts";
import { expectPositionals } from "../args.ts";
import { completionScript, SHELLS, type Shell } from "./completion-scripts.ts";
import { scanOwn } from "../context.ts";
import { defineCommand } from "../define.ts";
import { out } from "../output.ts";
import { commandReference } from "./reference.ts";

const cmd = defineCommand({
  meta: { name: "completion", description: "Print a shell completion script (bash, zsh or fish)" },
  args: { shell: { type: "positional", required: true, description: "bash, zsh or fish" } },
  async run({ rawArgs }) {
    const args = await scanOwn(cmd, rawArgs);
    if (!args) return 0;
    const [shell] = expectPositionals(args, "completion", 1, 1, "a shell: bash, zsh or fish");
    if (!(SHELLS as readonly string[]).includes(shell!)) {
      throw new OvError("usage", `completion: unknown shell ${JSON.stringify(shell)}: expected one of ${SHELLS.join(", ")}`);
    }
    out(completionScript(shell as Shell, await commandReference()).trimEnd());
    return 0;
  },
});
export default cmd;
