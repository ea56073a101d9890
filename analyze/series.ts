/**
 * Time series of a replay, sampled every `interval` events: resident pages, free frames, swap
 * used, and the cumulative swap I/O (pages in + out), faults (minor + major) and `pte_walks`.
 *
 * @module
 */
import { C } from "../core/counters.ts";
import type { SeriesResult } from "./result.ts";

/** What a series samples: the machine's counters and gauges. */
export interface GaugeSource {
  /** Counters by slot of `C`. */
  readonly counters: Float64Array;
  /** Pages mapped or cached in memory now. */
  residentPages(): number;
  /** Free frames now. */
  freeFrames(): number;
  /** Swap slots in use now. */
  swapUsedPages(): number;
}

/**
 * The default sampling interval for a trace of `events` events: the smallest 1, 2 or 5 × 10^k that
 * gives at most 500 samples (so 200 to 500 samples for traces of 200 events or more).
 *
 * @example
 * ```ts
 * import { defaultSeriesInterval } from "./series.ts";
 * if (defaultSeriesInterval(10_000_000) !== 20_000) throw new Error("expected 20000");
 * if (defaultSeriesInterval(3000) !== 10) throw new Error("expected 10");
 * ```
 */
export function defaultSeriesInterval(events: number): number {
  const want = events / 500;
  for (let p = 1;; p *= 10) {
    for (const m of [1, 2, 5]) if (m * p >= want) return m * p;
  }
}

/**
 * Collects a {@linkcode SeriesResult}.
 *
 * @example
 * ```ts
 * import { SeriesRecorder } from "./series.ts";
 * import { C, newCounters } from "../core/counters.ts";
 * const m = { counters: newCounters(), residentPages: () => 7, freeFrames: () => 9, swapUsedPages: () => 0 };
 * const s = new SeriesRecorder(10);
 * m.counters[C.minor_faults] = 4;
 * s.sample(10, m);
 * const r = s.result();
 * if (r.faults[0] !== 4 || r.resident_pages[0] !== 7 || r.at[0] !== 10) throw new Error("bad");
 * ```
 */
export class SeriesRecorder {
  #s: SeriesResult;

  /** Makes an empty series sampled every `interval` events. */
  constructor(interval: number) {
    this.#s = {
      interval,
      at: [],
      resident_pages: [],
      free_frames: [],
      swap_used: [],
      swap_io: [],
      faults: [],
      pte_walks: [],
    };
  }

  /** Records one sample taken after event number `at`. */
  sample(at: number, m: GaugeSource): void {
    const s = this.#s;
    if (s.at[s.at.length - 1] === at) return;
    const c = m.counters;
    s.at.push(at);
    s.resident_pages.push(m.residentPages());
    s.free_frames.push(m.freeFrames());
    s.swap_used.push(m.swapUsedPages());
    s.swap_io.push(c[C.swap_in_pages]! + c[C.swap_out_pages]!);
    s.faults.push(c[C.minor_faults]! + c[C.major_faults]!);
    s.pte_walks.push(c[C.pte_walks]!);
  }

  /** The series so far. */
  result(): SeriesResult {
    return this.#s;
  }
}
