/**
 * Replay throughput of the default strategy (`anon_vma_chain`) on two generated traces of 10 M
 * events: a mixed workload (`gen random` with 97 % loads and stores and every other operation,
 * some swapping) and an access-dominated one (99.9 % loads and stores). The traces are generated into a temporary
 * directory (binary `.vmtb`), never committed, and reused by later runs.
 *
 * Run it once, alone (it uses a core for a minute or two):
 *
 * ```sh
 * deno run -A bench/replay_bench.ts [--events N] [--dir DIR] [--inline] [--only mixed|access]
 * ```
 *
 * `--inline` replays in the main thread (no worker, no validation pass) to separate the machine's
 * speed from the runner's overhead.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { randomWorkload } from "../trace/gen/random.ts";
import { readTrace } from "../trace/read.ts";
import { writeTrace } from "../trace/write.ts";
import { replayTrace } from "../analyze/replay.ts";
import { replayStrategy } from "../analyze/replay_strategy.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "10000000" },
    dir: { type: "string", default: join(Deno.env.get("TMPDIR") ?? "/tmp", "vmreplay-bench") },
    inline: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const events = Number(values.events);
await Deno.mkdir(values.dir, { recursive: true });

// 64 MiB of memory, a footprint of 1.25 times that: some swapping, as on a loaded machine.
const memPages = 16384;
const footprintPages = 20480;
const workloads = [
  { name: "mixed", accessShare: 0.97 },
  { name: "access", accessShare: 0.999 },
];

for (const w of workloads) {
  if (values.only !== undefined && w.name !== values.only) continue;
  const path = join(values.dir, `${w.name}-${events}.vmtb`);
  try {
    await Deno.stat(path);
  } catch {
    const t0 = performance.now();
    const t = randomWorkload({
      seed: 1,
      events,
      memPages,
      footprintPages,
      accessShare: w.accessShare,
    });
    await writeTrace(path, t.header, t.events);
    console.log(`generated ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const t0 = performance.now();
  let replayMs: number;
  let faults: number;
  if (values.inline) {
    const reader = await readTrace(path);
    const r = await replayStrategy(reader.batches(), {
      strategy: "anon_vma_chain",
      memPages,
      swapPages: 0,
      totalEvents: events,
    });
    await reader.close();
    replayMs = r.elapsed_ms;
    faults = r.counters.minor_faults + r.counters.major_faults;
  } else {
    const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"] });
    const r = run.results.anon_vma_chain!;
    replayMs = r.elapsed_ms;
    faults = r.counters.minor_faults + r.counters.major_faults;
  }
  const wall = performance.now() - t0;
  const rate = (ms: number) => `${(events / ms / 1000).toFixed(2)} M events/s`;
  console.log(
    `${w.name.padEnd(7)} ${events} events: replay ${(replayMs / 1000).toFixed(2)} s ` +
      `(${rate(replayMs)}), wall ${(wall / 1000).toFixed(2)} s incl. validation ` +
      `(${rate(wall)}), ${faults} faults`,
  );
}
