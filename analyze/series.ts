/**
 * Time series of a replay, sampled every `interval` events: resident pages, free frames, swap
 * used, and the cumulative swap I/O (pages in + out), faults (minor + major) and `pte_walks`.
 *
 * @module
 */
import { C } from "../core/counters.ts";
import type { SeriesResult } from "./result.ts";

/** Numbers per sample: at, resident pages, free frames, swap used, swap I/O, faults, pte walks. */
const COLUMNS = 7;

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
  readonly #interval: number;
  /** Samples taken. */
  #n = 0;
  /**
   * The samples, {@linkcode COLUMNS} numbers each, in one typed array doubled when full: sampling
   * runs inside the replay loop, and arrays whose element kind or map changes as they grow would
   * deoptimize that loop (measured: four deoptimizations of a 10 M-event replay, each recompiling
   * it for about 50 ms).
   */
  #data: Float64Array;

  /**
   * Makes an empty series sampled every `interval` events; `capacity`: the samples expected (when
   * the number of events is known), so that the storage never grows while replaying.
   */
  constructor(interval: number, capacity = 64) {
    this.#interval = interval;
    this.#data = new Float64Array(Math.max(2, Math.ceil(capacity)) * COLUMNS);
  }

  /** Records one sample taken after event number `at`. */
  sample(at: number, m: GaugeSource): void {
    let d = this.#data;
    let o = this.#n * COLUMNS;
    if (o > 0 && d[o - COLUMNS] === at) return;
    if (o + COLUMNS > d.length) {
      const bigger = new Float64Array(d.length * 2);
      bigger.set(d);
      this.#data = d = bigger;
    }
    const c = m.counters;
    d[o++] = at;
    d[o++] = m.residentPages();
    d[o++] = m.freeFrames();
    d[o++] = m.swapUsedPages();
    d[o++] = c[C.swap_in_pages]! + c[C.swap_out_pages]!;
    d[o++] = c[C.minor_faults]! + c[C.major_faults]!;
    d[o] = c[C.pte_walks]!;
    this.#n++;
  }

  /** The series so far. */
  result(): SeriesResult {
    const d = this.#data, n = this.#n;
    const col = (k: number) => {
      const out: number[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d[i * COLUMNS + k]!;
      return out;
    };
    return {
      interval: this.#interval,
      at: col(0),
      resident_pages: col(1),
      free_frames: col(2),
      swap_used: col(3),
      swap_io: col(4),
      faults: col(5),
      pte_walks: col(6),
    };
  }
}
