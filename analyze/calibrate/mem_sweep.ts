/**
 * {@linkcode memSweep}: a kept calibration replayed with each trace's `mem=` moved a page at a
 * time across a span, to tell a count that agrees with the kernel from one that agrees only at the
 * exact `mem=` (and so may not on the next probe or machine).
 *
 * Under pressure many counts stand on an edge: a page more or less of memory moves a burst of
 * writes from one reclaim to the next, and the count jumps (docs/machine.md, "Kernel against
 * vmreplay"). A change to the model is better judged over such a span than at one point.
 *
 * @module
 */
import type { CalibrationRow, Measure } from "./compare.ts";
import { CalibrateError } from "./kernel.ts";
import { recompare, type RecompareOptions, type ScenarioResult } from "./run.ts";

/** Step between two replays of a sweep: one page. */
export const SWEEP_STEP = 4096;

/** Whether `span` (bytes) can be swept: a whole number of pages, 1 to 256 of them (4K to 1M). */
export function isSweepSpan(span: number): boolean {
  const pages = span / SWEEP_STEP;
  return Number.isInteger(pages) && pages >= 1 && pages <= 256;
}

/** The counts a phase compares. */
export type CountName = "minor" | "major" | "swapIn" | "swapOut";

/** Options of {@linkcode memSweep}. */
export interface MemSweepOptions extends Omit<RecompareOptions, "memDelta" | "onScenario"> {
  /** Bytes each way: `mem=` goes from `-span` to `+span` in {@linkcode SWEEP_STEP} steps. */
  span: number;
  /** Called before each replay of the whole calibration (progress). */
  onDelta?: (delta: number, index: number, of: number) => void;
}

/** One count of one phase that differs from the kernel's at some `mem=` of the sweep. */
export interface SweepCount {
  scenario: string;
  phase: string;
  count: CountName;
  /** The moves of `mem=` (bytes) at which it differs, in order. */
  outside: number[];
  /** The kernel's count (a pressure phase's: the median of its runs) and its range. */
  kernel: number;
  kernelMin: number;
  kernelMax: number;
  /** The simulator's smallest and largest count over the whole sweep. */
  simMin: number;
  simMax: number;
}

/** What {@linkcode memSweep} found. */
export interface MemSweep {
  /** The moves of `mem=` replayed (bytes), from `-span` to `+span`. */
  deltas: number[];
  /** Phases of the calibration (of one replay). */
  phases: number;
  /** Phases that differ at one move or more. */
  differing: number;
  /** Replays of a phase that differ (a phase counts once per move at which it differs). */
  differingReplays: number;
  /** Each count that differs somewhere, in the calibration's order. */
  counts: SweepCount[];
  /** `verify_errors` of every replay, summed (must be 0), and the moves at which there were any. */
  verifyErrors: number;
  verifyAt: number[];
  /** The replay at the calibration's own `mem=` (move 0). */
  atZero: ScenarioResult[];
}

/**
 * Replays the calibration kept in `opts.dir` (see {@linkcode recompare}) once per move of `mem=`
 * from `-span` to `+span`, a page at a time, and gathers the counts that differ from the kernel's
 * at any of them. Throws {@linkcode CalibrateError} for a span that is not a positive whole
 * number of pages (at most 256), or as {@linkcode recompare} does.
 *
 * @example
 * ```ts ignore
 * import { memSweep } from "./mem_sweep.ts";
 * const s = await memSweep({ dir: "kept", span: 16384 });
 * for (const c of s.counts) console.log(c.scenario, c.phase, c.count, c.outside);
 * ```
 */
export async function memSweep(opts: MemSweepOptions): Promise<MemSweep> {
  if (!isSweepSpan(opts.span)) {
    throw new CalibrateError(
      `a sweep's span must be 1 to 256 pages (4K to 1M), whole pages; found ${opts.span} bytes`,
    );
  }
  const deltas: number[] = [];
  for (let d = -opts.span; d <= opts.span; d += SWEEP_STEP) deltas.push(d);
  const found = new Map<string, SweepCount>();
  const differs = new Set<string>();
  let differingReplays = 0, phases = 0, verifyErrors = 0;
  const verifyAt: number[] = [];
  let atZero: ScenarioResult[] = [];
  const { span: _span, onDelta, ...rest } = opts;
  for (const [i, delta] of deltas.entries()) {
    onDelta?.(delta, i, deltas.length);
    const results = await recompare({ ...rest, ...(delta !== 0 ? { memDelta: delta } : {}) });
    if (delta === 0) atZero = results;
    const errors = results.reduce((n, r) => n + r.verifyErrors, 0);
    if (errors > 0) {
      verifyErrors += errors;
      verifyAt.push(delta);
    }
    phases = 0;
    for (const r of results) {
      for (const row of r.rows) {
        phases++;
        const key = `${r.scenario.name}/${row.label}`;
        if (!row.ok) {
          differingReplays++;
          differs.add(key);
        }
        for (const [count, m] of measures(row)) {
          const ck = `${key}/${count}`;
          let c = found.get(ck);
          if (c === undefined) {
            c = {
              scenario: r.scenario.name,
              phase: row.label,
              count,
              outside: [],
              kernel: m.kernel,
              kernelMin: m.min,
              kernelMax: m.max,
              simMin: m.sim,
              simMax: m.sim,
            };
            found.set(ck, c);
          }
          c.simMin = Math.min(c.simMin, m.sim);
          c.simMax = Math.max(c.simMax, m.sim);
          if (!m.ok) c.outside.push(delta);
        }
      }
    }
  }
  return {
    deltas,
    phases,
    differing: differs.size,
    differingReplays,
    counts: [...found.values()].filter((c) => c.outside.length > 0),
    verifyErrors,
    verifyAt,
    atZero,
  };
}

/** A phase's counts as measures: a pressure phase's four, else its faults (exact). */
function measures(row: CalibrationRow): [CountName, Measure][] {
  const p = row.pressure;
  if (p) {
    return [["minor", p.minor], ["major", p.major], ["swapIn", p.swapIn], ["swapOut", p.swapOut]];
  }
  const exact = (kernel: number, sim: number): Measure => ({
    kernel,
    min: kernel,
    max: kernel,
    runs: [kernel],
    sim,
    tolerance: 0,
    ok: kernel === sim,
  });
  return [["minor", exact(row.kernelMinor, row.simMinor)], [
    "major",
    exact(row.kernelMajor, row.simMajor),
  ]];
}
