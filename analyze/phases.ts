/**
 * Phases of a replay: a `mark` event ends the current phase and starts one named by its label
 * (events before the first mark form the phase `start`). {@linkcode PhaseTracker} snapshots the
 * machine's counters at every mark; a phase's counters are the differences between its two
 * snapshots, except peaks (`*_peak`), which the machine restarts at every mark (`resetPeaks`), so
 * a phase's peak is its own maximum and the run's peak is the largest of them.
 *
 * @module
 */
import { COUNTER_NAMES } from "../core/counters.ts";
import type { Counters, PhaseResult } from "./result.ts";

/** What a phase tracker reads: the machine's counters, its extra counters and its peak reset. */
export interface CounterSource {
  /** Counter slots of `core/counters.ts` `C`. */
  readonly counters: Float64Array;
  /** Strategy-specific counters (names ending in `_peak` are maxima, the rest sums). */
  extraCounters(): Record<string, number>;
  /** Restarts peaks from the current values. */
  resetPeaks(): void;
}

const isPeak = (name: string) => name.endsWith("_peak");

/** Counters of `src` right now, by name (SPEC names in order, then extra counters sorted). */
function snapshot(src: CounterSource): Record<string, number> {
  const out: Record<string, number> = {};
  COUNTER_NAMES.forEach((n, i) => out[n] = src.counters[i]!);
  const extra = src.extraCounters();
  for (const k of Object.keys(extra).sort()) if (!(k in out)) out[k] = extra[k]!;
  return out;
}

/**
 * Splits a replay into phases at `mark` events and computes per-phase and total counters.
 *
 * @example
 * ```ts
 * import { PhaseTracker } from "./phases.ts";
 * import { C, newCounters } from "../core/counters.ts";
 * const m = { counters: newCounters(), extraCounters: () => ({}), resetPeaks() {} };
 * const t = new PhaseTracker(m);
 * m.counters[C.events] = 1;
 * m.counters[C.minor_faults] = 2;
 * t.mark("b");
 * m.counters[C.minor_faults] = 5;
 * const { total, phases } = t.finish();
 * if (total.minor_faults !== 5 || phases.map((p) => p.counters.minor_faults).join() !== "2,3") {
 *   throw new Error("bad phases");
 * }
 * ```
 */
export class PhaseTracker {
  #src: CounterSource;
  #label = "start";
  #start: Record<string, number>;
  #phases: PhaseResult[] = [];

  /** Starts the `start` phase at `src`'s current counters. */
  constructor(src: CounterSource) {
    this.#src = src;
    this.#start = snapshot(src);
  }

  /** Ends the current phase and starts one called `label`; call it before applying the mark. */
  mark(label: string): void {
    this.#close();
    this.#label = label;
    this.#src.resetPeaks();
  }

  #close(): void {
    const now = snapshot(this.#src);
    const counters: Record<string, number> = {};
    for (const [k, v] of Object.entries(now)) {
      counters[k] = isPeak(k) ? v : v - (this.#start[k] ?? 0);
    }
    // A trace that starts with a mark has no `start` phase.
    if (!(this.#label === "start" && this.#phases.length === 0 && counters.events === 0)) {
      this.#phases.push({ label: this.#label, counters: counters as Counters });
    }
    this.#start = now;
  }

  /** Ends the last phase; returns the run's total counters and every phase. */
  finish(): { total: Counters; phases: PhaseResult[] } {
    this.#close();
    const total = snapshot(this.#src);
    for (const k of Object.keys(total)) {
      if (isPeak(k)) total[k] = Math.max(0, ...this.#phases.map((p) => p.counters[k] ?? 0));
    }
    return { total: total as Counters, phases: this.#phases };
  }
}
