/**
 * vmreplay's command line: `deno run -A main.ts COMMAND [ARGS...]` (or `deno task vmreplay`). The
 * commands and their table are in `cli/`.
 *
 * @module
 */
import { cli } from "./cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await cli(Deno.args));
}
