/**
 * Replay throughput of the default strategy (`anon_vma_chain`) on three generated traces of 10 M
 * events, all `gen random` on a 64 MiB machine with a footprint of 80 MiB:
 *
 * - `mixed`: 97 % loads and stores and every other operation, forced reclaim and swapoff included
 *   (pressure-heavy: about 0.6 pages reclaimed per event);
 * - `light`: 98 % loads and stores, the other 2 % mmap, munmap, mprotect, mremap, madvise, mlock,
 *   fork, clone, exit, exec and file I/O, without the forced `reclaim` events and the
 *   `swapon`/`swapoff` cycles (the generator's stream with those left out): pressure comes from the
 *   footprint only;
 * - `access`: 99.9 % loads and stores.
 *
 * The traces are generated into a temporary directory (binary `.vmtb`), never committed, and reused
 * by later runs. Each replay goes the way `run` goes (a worker reading the trace, the validation
 * pass beside it in the main thread); the figures are wall time and the process's CPU time (main
 * thread and worker: on a shared machine CPU time is the steadier figure).
 *
 * Run it once, alone (it uses a core for a minute or two):
 *
 * ```sh
 * deno run -A bench/replay_bench.ts [--events N] [--dir DIR] [--inline] [--only mixed|light|access]
 * ```
 *
 * `--inline` replays in the main thread (no worker, no validation pass) to separate the machine's
 * speed from the runner's overhead.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import process from "node:process";
import type { Event } from "../trace/event.ts";
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
const FORCED = new Set(["reclaim", "swapon", "swapoff"]);
const workloads = [
  { name: "mixed", accessShare: 0.97, forced: true },
  { name: "light", accessShare: 0.98, forced: false },
  { name: "access", accessShare: 0.999, forced: true },
];

/** The generator's events, without forced reclaim and swap device cycles when `forced` is false. */
function* keep(events: Iterable<Event>, forced: boolean): Iterable<Event> {
  for (const e of events) if (forced || !FORCED.has(e.op)) yield e;
}

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
    await writeTrace(path, t.header, keep(t.events, w.forced));
    console.log(`generated ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let replayMs: number;
  let faults: number;
  let n: number;
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
    n = r.counters.events;
  } else {
    const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"] });
    const r = run.results.anon_vma_chain!;
    replayMs = r.elapsed_ms;
    faults = r.counters.minor_faults + r.counters.major_faults;
    n = run.events;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const rate = (ms: number) => `${(n / ms / 1000).toFixed(2)} M events/s`;
  console.log(
    `${w.name.padEnd(7)} ${n} events: replay ${(replayMs / 1000).toFixed(2)} s ` +
      `(${rate(replayMs)}), wall ${(wall / 1000).toFixed(2)} s incl. validation ` +
      `(${rate(wall)}), CPU ${(cpuMs / 1000).toFixed(2)} s (${rate(cpuMs)}), ${faults} faults`,
  );
}
