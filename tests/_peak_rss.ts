/**
 * Replays a trace as `run` does (every strategy, each in its worker) and prints the process's peak
 * resident memory in KiB (`VmHWM` of `/proc/self/status`, Linux): the memory tests run it in a
 * process of its own so that nothing else counts.
 *
 *   deno run -A tests/_peak_rss.ts TRACE
 *
 * @module
 */
import { replayTrace } from "../analyze/replay.ts";

const [trace] = Deno.args;
if (trace === undefined) {
  console.error("usage: _peak_rss.ts TRACE");
  Deno.exit(2);
}
const run = await replayTrace({ trace });
const status = await Deno.readTextFile("/proc/self/status");
const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
console.log(
  JSON.stringify({
    events: run.events,
    strategies: Object.keys(run.results).length,
    peak_kib: Number(hwm?.[1]),
  }),
);
