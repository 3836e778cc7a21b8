/**
 * Writes ovlayer(1) to the file named by the first argument (default
 * dist/ovlayer.1), rendered from the command tree (src/cli/help/manpage.ts).
 * `npm run release` runs it.
 */
import { writeFileSync } from "node:fs";
import { manPage } from "../src/cli/help/manpage.ts";
import { commandReference } from "../src/cli/help/reference.ts";
import { VERSION } from "../src/version.ts";

const out = process.argv[2] ?? "dist/ovlayer.1";
const date = new Date().toISOString().slice(0, 10);
writeFileSync(out, manPage(await commandReference(), VERSION, date));
console.error(`manpage: ${out} written`);
