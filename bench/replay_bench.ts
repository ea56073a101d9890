/**
 * Replay throughput of the default strategy (`anon_vma_chain`) on four generated traces of 10 M
 * events, all `gen random` on a 64 MiB machine:
 *
 * - `mixed`: 97 % loads and stores and every other operation, forced reclaim and swapoff included,
 *   with a footprint of 80 MiB (pressure-heavy: about 0.6 pages reclaimed per event);
 * - `light`: 98 % loads and stores, the other 2 % mmap, munmap, mprotect, mremap, madvise, mlock,
 *   fork, clone, exit, exec and file I/O, without the forced `reclaim` events and the
 *   `swapon`/`swapoff` cycles (the generator's stream with those left out), footprint 80 MiB:
 *   pressure comes from the footprint only;
 * - `fit`: the same mix as `light` with a footprint of 48 MiB, which fits in memory: a mixed
 *   workload without memory pressure;
 * - `access`: 99.9 % loads and stores, footprint 80 MiB, forced reclaim included;
 * - `real`: a real program, not generated: `sort -n` of 8 000 numbers recorded by
 *   `vmreplay capture --accesses --no-instr` (Valgrind lackey: its every load and store and its
 *   mapping calls, about 9.8 M events; 30 s to record, once). Skipped, saying so, without Valgrind.
 *
 * The traces are generated into a temporary directory (binary `.vmtb`), never committed, and reused
 * by later runs. Each replay goes the way `run` goes (the main thread decodes and validates the
 * trace into shared batches, a worker replays them). Each trace is replayed `--runs` times (default
 * 3); the figures are the median and the range of the replay time (the worker's), of the wall time
 * and of the process's CPU time (main thread and worker: on a shared machine CPU time is the
 * steadier figure), with what makes each trace costly: faults, TLB misses and pages reclaimed per
 * event.
 *
 * Run it alone (it uses a core for a few minutes):
 *
 * ```sh
 * deno run -A bench/replay_bench.ts [--events N] [--runs N] [--dir DIR] [--inline] [--only NAME]
 * ```
 *
 * `--inline` replays in the main thread (no worker, decoding in the same thread) to separate the
 * machine's speed from the runner's.
 *
 * @module
 */
import { benchArgs } from "./_args.ts";
import { join } from "node:path";
import process from "node:process";
import type { Event } from "../trace/event.ts";
import { randomWorkload } from "../trace/gen/random.ts";
import { readTrace } from "../trace/read.ts";
import { writeTrace } from "../trace/write.ts";
import { replayTrace } from "../analyze/replay.ts";
import { replayStrategy } from "../analyze/replay_strategy.ts";
import { Rng } from "../trace/_rng.ts";

const USAGE =
  `Usage: deno run -A bench/replay_bench.ts [--events N] [--runs N] [--dir DIR] [--inline] [--only NAME]

Replay throughput of anon_vma_chain on generated traces (mixed, light, fit, access) and a
recorded one (real).

  --events N   events of each generated trace (default 10000000)
  --runs N     replays of each trace (default 3)
  --dir DIR    where the traces are kept for later runs (default $TMPDIR/vmreplay-bench)
  --inline     replay in the main thread (no worker)
  --only NAME  only this trace: mixed, light, fit, access or real`;

const values = benchArgs("bench/replay_bench.ts", USAGE, {
  events: { type: "string", default: "10000000" },
  dir: { type: "string", default: join(Deno.env.get("TMPDIR") ?? "/tmp", "vmreplay-bench") },
  inline: { type: "boolean", default: false },
  only: { type: "string" },
  runs: { type: "string", default: "3" },
});
const events = Number(values.events);
const runs = Number(values.runs);
if (!(Number.isInteger(events) && events > 0 && Number.isInteger(runs) && runs > 0)) {
  console.error("replay_bench: --events and --runs take positive whole numbers");
  Deno.exit(2);
}
await Deno.mkdir(values.dir, { recursive: true });

// 64 MiB of memory; a footprint of 1.25 times that (some swapping, as on a loaded machine) or of
// three quarters of it.
const memPages = 16384;
const FORCED = new Set(["reclaim", "swapon", "swapoff"]);
const workloads = [
  { name: "mixed", accessShare: 0.97, forced: true, footprintPages: 20480 },
  { name: "light", accessShare: 0.98, forced: false, footprintPages: 20480 },
  { name: "fit", accessShare: 0.98, forced: false, footprintPages: 12288 },
  { name: "access", accessShare: 0.999, forced: true, footprintPages: 20480 },
  // recorded by captureSort, not generated: the generator fields are unused
  { name: "real", accessShare: 1, forced: false, footprintPages: 0 },
];

/** Records `sort -n` of 8 000 numbers into `path` with `vmreplay capture`; false if it cannot. */
async function captureSort(path: string): Promise<boolean> {
  const input = join(values.dir, "sort-input.txt");
  const rng = new Rng(2);
  let text = "";
  for (let i = 0; i < 8000; i++) text += `${rng.int(1_000_000_000)}\n`;
  await Deno.writeTextFile(input, text);
  const main = new URL("../main.ts", import.meta.url).pathname;
  const args = ["run", "-A", main, "capture", "--accesses", "--no-instr", "--quiet", "-o", path];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--", "sort", "-n", input, "-o", "/dev/null"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return out.code === 0;
}

/** The generator's events, without forced reclaim and swap device cycles when `forced` is false. */
function* keep(events: Iterable<Event>, forced: boolean): Iterable<Event> {
  for (const e of events) if (forced || !FORCED.has(e.op)) yield e;
}

for (const w of workloads) {
  if (values.only !== undefined && w.name !== values.only) continue;
  const path = join(
    values.dir,
    w.name === "real" ? "real-sort8000.vmtb" : `${w.name}-${events}.vmtb`,
  );
  try {
    await Deno.stat(path);
  } catch {
    const t0 = performance.now();
    if (w.name === "real") {
      if (!await captureSort(path)) {
        console.log(
          "real    skipped: the capture failed (it needs Valgrind: apt-get install valgrind)",
        );
        continue;
      }
      console.log(`recorded ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      const t = randomWorkload({
        seed: 1,
        events,
        memPages,
        footprintPages: w.footprintPages,
        accessShare: w.accessShare,
      });
      await writeTrace(path, t.header, keep(t.events, w.forced));
      console.log(`generated ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const replayS: number[] = [], wallS: number[] = [], cpuS: number[] = [];
  let n = 0;
  let c: Record<string, number> = {};
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let replayMs: number;
    if (values.inline) {
      const reader = await readTrace(path);
      const res = await replayStrategy(reader.batches(), {
        strategy: "anon_vma_chain",
        memPages: reader.header.mem !== undefined ? reader.header.mem / 4096 : memPages,
        swapPages: 0,
        totalEvents: events,
      });
      await reader.close();
      replayMs = res.elapsed_ms;
      c = res.counters;
      n = res.counters.events;
    } else {
      const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"] });
      const res = run.results.anon_vma_chain!;
      replayMs = res.elapsed_ms;
      c = res.counters;
      n = run.events;
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    replayS.push(replayMs / 1000);
    wallS.push(wall / 1000);
    cpuS.push((cpu.user + cpu.system) / 1e6);
  }
  const per = (x: number) => (x / n).toFixed(3);
  console.log(
    `${w.name.padEnd(7)} ${n} events; per event: ${per(c.minor_faults! + c.major_faults!)} ` +
      `faults, ${per(c.tlb_misses!)} TLB misses, ${per(c.pages_reclaimed!)} pages reclaimed`,
  );
  for (const [label, xs] of [["replay", replayS], ["wall", wallS], ["CPU", cpuS]] as const) {
    const sorted = [...xs].sort((a, b) => a - b);
    const med = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const rate = (sec: number) => (n / sec / 1e6).toFixed(2);
    console.log(
      `        ${label.padEnd(6)} median ${med.toFixed(2)} s = ${rate(med)} M events/s ` +
        `(range ${rate(sorted.at(-1)!)}-${rate(sorted[0]!)} M events/s over ${runs} runs)`,
    );
  }
}
console.log(`load average at the end: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
