/**
 * `vmreplay start` (`deno task start`): fills an empty results store with the bundled traces,
 * then serves the dashboard.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { runCommand } from "./_errors.ts";
import { countRuns } from "../analyze/store.ts";
import { BUNDLED_WORKLOADS, replayBundled } from "../server/bundled.ts";
import {
  checkListen,
  openCommandStore,
  SERVE_HELP_OPTIONS,
  SERVE_OPTIONS,
  serveArgs,
  serveUntilInterrupted,
} from "./serve.ts";

const HELP =
  `Usage: vmreplay start [--port 8000] [--host 127.0.0.1] [--db FILE] [--upload-limit SIZE]
       [--max-inflate SIZE]

If the results store is empty, replays the bundled traces into it, every strategy each: the
fixtures, and the generated workloads
  ${BUNDLED_WORKLOADS.join(", ")}.
Then serves the dashboard and prints its address.

${SERVE_HELP_OPTIONS}`;

/** Runs `vmreplay start ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("start", HELP, async () => {
    const parsed = parseCommand(
      { name: "start", help: HELP, options: SERVE_OPTIONS, positionals: false },
      args,
    );
    if (!parsed) return 0;
    const opts = serveArgs(parsed.values);
    // A busy port is known now, not after the bundled traces have replayed.
    checkListen(opts);
    const store = openCommandStore(opts.db);
    try {
      if (countRuns(store) === 0) {
        console.log(`The results store ${opts.db} is empty: replaying the bundled traces.`);
        const ids = await replayBundled(store);
        console.log(`Stored ${ids.length} runs.`);
      }
    } catch (e) {
      store.close();
      throw e;
    }
    await serveUntilInterrupted(opts, store);
    return 0;
  });
}
