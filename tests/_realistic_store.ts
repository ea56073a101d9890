/**
 * A results store as a user's looks after an afternoon, for the browser tests of the dashboard's
 * layout: real replays of generated workloads under long trace names (paths, spaces, no spaces at
 * all), a run under memory pressure and one without, a run where every strategy ties, one with a
 * subset of the strategies, and a sweep of two traces with long names.
 *
 * @module
 */
import { replayBytes } from "../analyze/replay.ts";
import { saveRun, type Store } from "../analyze/store.ts";
import { traceInfoOfBytes } from "../analyze/trace_info.ts";
import { strategyNames } from "../core/rmap/registry.ts";
import { generateWorkload } from "../trace/gen/generate.ts";
import { formatTraceText } from "../trace/text/stringify.ts";
import { seedSweep } from "./_sweep_store.ts";

/** Trace names as they come: a long path, a long name without a space, one with spaces. */
export const LONG_NAMES = [
  "results/2026-11-22/zygote-apps-4-pages-256-libs-8-touch-50/zygote.after-preload.vmt.gz",
  "firefox-startup-37-tabs-with-extensions-recorded-under-strace-on-build-host-07-2026-11-22T014956Z.vmt",
  "baseline run 3 of 12 — writes only, no fork, every strategy ties (keep for the paper).vmt",
  "results/2026-11-22/aim7-children-16-pages-64-cow-64-rounds-2/aim7.subset-of-strategies.vmt",
];

/** What {@linkcode seedRealisticStore} stored. */
export interface RealisticStore {
  /** Run ids: under pressure, the same trace without, every strategy tied, a subset. */
  runs: { pressure: number; noPressure: number; tied: number; subset: number };
  /** The sweep's id. */
  sweep: number;
}

async function store(
  s: Store,
  name: string,
  text: string,
  opts: { mem?: number; strategies?: string[] } = {},
) {
  const bytes = new TextEncoder().encode(text);
  const run = await replayBytes(bytes, name.replace(/\.gz$/, ""), opts);
  run.trace = name;
  return saveRun(s, run, await traceInfoOfBytes(name, bytes));
}

/** Fills `s` with the runs and the sweep described above. */
export async function seedRealisticStore(s: Store): Promise<RealisticStore> {
  const zygote = generateWorkload("zygote", { apps: 3, pages: 64 });
  const zygoteText = formatTraceText(zygote.header, zygote.events);
  const pressure = await store(s, LONG_NAMES[0]!, zygoteText);
  const noPressure = await store(s, LONG_NAMES[1]!, zygoteText, { mem: 2 ** 30 });
  // Writes only, no fork, no read of untouched memory: every strategy does exactly the same.
  const tied = await store(
    s,
    LONG_NAMES[2]!,
    "vmtrace 1 mem=1G\n1 mmap 0x10000 256K rw- private,anon\n1 w 0x10000 262144\n1 exit\n",
  );
  const aim7 = generateWorkload("aim7", { children: 4, pages: 16 });
  const subset = await store(s, LONG_NAMES[3]!, formatTraceText(aim7.header, aim7.events), {
    strategies: ["anon_vma", "anon_vma_chain", "anonmm"],
  });
  const sweep = seedSweep(s, [LONG_NAMES[0]!, LONG_NAMES[1]!], strategyNames());
  return { runs: { pressure, noPressure, tied, subset }, sweep };
}
