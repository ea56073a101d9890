/**
 * A built sweep in a results store, for the server and browser tests: two traces at four sizes,
 * three strategies (or those given), counters falling as memory grows.
 *
 * @module
 */
import type { Store } from "../analyze/store.ts";
import { addPoint, createSweep } from "../analyze/sweep/store.ts";
import type { SweepPlan } from "../analyze/sweep/plan.ts";
import { makeRunResult } from "./_run_result.ts";

/** Sizes of the built sweep: 1, 2, 4 and 8 MiB. */
export const SWEEP_SIZES = [1, 2, 4, 8].map((m) => m << 20);

/** Stores the built sweep (`names` its two traces, three strategies unless told); returns its id. */
export function seedSweep(
  store: Store,
  names = ["a.vmt", "b.vmt"],
  strategies = ["scan", "anon_vma", "anon_vma_chain"],
): number {
  const plan: SweepPlan = {
    kind: "vmreplay-sweep-plan",
    version: "0.1.0",
    traces: names.map((n, k) => ({
      path: n,
      name: n,
      size: 100 + k,
      sha256: String(k).repeat(64),
    })),
    mem: "1M..8M:4",
    swap: null,
    strategies,
    vm: {},
    jobs: names.flatMap((_, k) => SWEEP_SIZES.map((mem) => ({ trace: k, mem }))),
  };
  const id = createSweep(store, plan, "f".repeat(64), "");
  plan.jobs.forEach((job, j) => {
    const run = makeRunResult({
      trace: names[job.trace]!,
      strategies,
      bias: 800 - 100 * Math.log2(job.mem >> 20) * (job.trace + 1),
    });
    run.machine.mem = job.mem;
    addPoint(store, id, j, run, plan.traces[job.trace]!);
  });
  return id;
}
