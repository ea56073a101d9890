/**
 * Test data for the store, the server and the browser tests: {@linkcode RunResult}s built from a
 * few parameters, with every SPEC counter, phases and time series filled in deterministically.
 *
 * @module
 */
import { COUNTER_NAMES } from "../core/counters.ts";
import type { Counters, RunResult, SeriesResult, StrategyResult } from "../analyze/result.ts";

/** Parameters of {@linkcode makeRunResult}. */
export interface RunResultSpec {
  trace?: string;
  events?: number;
  strategies?: string[];
  phases?: string[];
  samples?: number;
  /** Added to every value, so two runs differ. */
  bias?: number;
}

/** Counters whose value is `base * (k + 1) + i` for counter i (k: strategy index). */
export function makeCounters(k: number, base: number): Counters {
  const c = {} as Counters;
  COUNTER_NAMES.forEach((n, i) => c[n] = base * (k + 1) + i);
  c.verify_errors = 0;
  return c;
}

function makeSeries(k: number, samples: number, interval: number): SeriesResult {
  const at = Array.from({ length: samples }, (_, j) => (j + 1) * interval);
  const f = (m: number) => at.map((_, j) => m * (k + 1) * (j + 1));
  return {
    interval,
    at,
    resident_pages: f(3),
    free_frames: at.map((_, j) => 1000 - (k + 1) * j),
    swap_used: f(2),
    swap_io: f(5),
    faults: f(7),
    pte_walks: f(11),
  };
}

/** A RunResult with every strategy, counter, phase and series present. */
export function makeRunResult(spec: RunResultSpec = {}): RunResult {
  const strategies = spec.strategies ?? ["scan", "anon_vma", "anon_vma_chain"];
  const phases = spec.phases ?? ["start", "after-fork"];
  const samples = spec.samples ?? 5;
  const events = spec.events ?? samples * 10;
  const bias = spec.bias ?? 0;
  const results: Record<string, StrategyResult> = {};
  strategies.forEach((s, k) => {
    results[s] = {
      counters: { ...makeCounters(k, 100 + bias), [`${s}_extra`]: k },
      phases: phases.map((label, p) => ({ label, counters: makeCounters(k, 10 * (p + 1) + bias) })),
      series: makeSeries(k, samples, Math.max(1, Math.floor(events / samples))),
      elapsed_ms: 12.5 * (k + 1),
    };
  });
  return {
    trace: spec.trace ?? "fixtures/example.vmt",
    events,
    machine: { mem: 8 << 20, swap: 32 << 20, page: 4096, tlb_entries: 64 },
    results,
  };
}
