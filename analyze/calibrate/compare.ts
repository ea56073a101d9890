/**
 * Comparing the kernel's fault counts with the simulator's, phase by phase.
 *
 * Each probe runs every measured phase in exactly one process while the others wait, and marks
 * the phase in its trace; so the simulator's counts for that phase (a `mark` to the next one) are
 * that process's counts, and the comparison is per (pid, phase). What a probe does between
 * phases sits in `idle:LABEL` phases, which are not compared.
 *
 * @module
 */
import type { PhaseResult } from "../result.ts";
import type { KernelPhase } from "./kernel.ts";

/** One compared phase. */
export interface CalibrationRow {
  label: string;
  pid: number;
  /** The kernel's minor faults (a pressure scenario's: the median of its runs). */
  kernelMinor: number;
  simMinor: number;
  kernelMajor: number;
  simMajor: number;
  /** True when the counts agree (exactly; a pressure scenario's within its tolerance). */
  ok: boolean;
  /** A pressure scenario's comparison of every count, with the kernel's spread. */
  pressure?: PressureCounts;
}

/** One count of a pressure phase: the kernel's median and range over its runs, the simulator's. */
export interface Measure {
  /** Median of the kernel's runs. */
  kernel: number;
  /** Smallest and largest of the kernel's runs. */
  min: number;
  max: number;
  /** Every run's count, in the order the kernel ran them. */
  runs: number[];
  /** The simulator's count. */
  sim: number;
  /** How far the simulator may be (see {@linkcode comparePressure}). */
  tolerance: number;
  ok: boolean;
}

/** Every count of a pressure phase. */
export interface PressureCounts {
  /** Kernel runs measured. */
  runs: number;
  minor: Measure;
  major: Measure;
  swapIn: Measure;
  swapOut: Measure;
}

/** The least tolerance of a pressure count, in pages. */
const FLOOR = 16;

/** The tolerance of a pressure count whose kernel median is `median`: 10 %, at least 16 pages. */
export function pressureTolerance(median: number): number {
  return Math.max(FLOOR, Math.ceil(0.1 * median));
}

/**
 * Pairs each kernel phase with the simulator's phase of the same label. A phase missing from the
 * simulation compares as -1 (and fails).
 *
 * @example
 * ```ts
 * import { comparePhases } from "./compare.ts";
 * const rows = comparePhases(
 *   [{ label: "read", pid: 7, minor: 64, major: 0 }],
 *   [{ label: "read", counters: { minor_faults: 64, major_faults: 0 } as never }],
 * );
 * if (!rows[0]!.ok) throw new Error("expected agreement");
 * ```
 */
export function comparePhases(kernel: KernelPhase[], sim: PhaseResult[]): CalibrationRow[] {
  return kernel.map((k) => {
    const s = sim.find((p) => p.label === k.label);
    const simMinor = s ? s.counters.minor_faults : -1;
    const simMajor = s ? s.counters.major_faults : -1;
    return {
      label: k.label,
      pid: k.pid,
      kernelMinor: k.minor,
      simMinor,
      kernelMajor: k.major,
      simMajor,
      ok: simMinor === k.minor && simMajor === k.major,
    };
  });
}

/** Counter names of the simulator for each measured count of a pressure phase. */
const SIM = {
  minor: "minor_faults",
  major: "major_faults",
  swapIn: "swap_in_pages",
  swapOut: "swap_out_pages",
} as const;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

/**
 * Compares a pressure scenario: the kernel ran it `runs.length` times (each run's phases, in the
 * same order), the simulator replayed one run's trace. Minor and major faults and pages swapped
 * in agree when the simulator is within {@linkcode pressureTolerance} of the kernel's median, or
 * within 16 pages of the kernel's own range (where its runs differ by more than that: a kernel
 * whose runs take two courses, the simulator one of them); pages swapped out, which vary more
 * from run to run, when it is within the kernel's range widened by that tolerance. A phase
 * missing from the simulation compares as -1 (and fails).
 *
 * @example
 * ```ts
 * import { comparePressure } from "./compare.ts";
 * const run = (minor: number, out: number) =>
 *   [{ label: "read", pid: 7, minor, major: 770, swapIn: 6144, swapOut: out }];
 * const rows = comparePressure([run(5374, 3900), run(5376, 4100), run(5375, 4000)], [{
 *   label: "read",
 *   counters: { minor_faults: 5380, major_faults: 768, swap_in_pages: 6144, swap_out_pages: 4150 },
 * } as never]);
 * if (!rows[0]!.ok || rows[0]!.pressure!.minor.kernel !== 5375) throw new Error("expected agreement");
 * ```
 */
export function comparePressure(runs: KernelPhase[][], sim: PhaseResult[]): CalibrationRow[] {
  const first = runs[0] ?? [];
  return first.map((k, i) => {
    const s = sim.find((p) => p.label === k.label);
    const phases = runs.map((r) => r.find((p) => p.label === k.label) ?? r[i]!);
    const measure = (key: keyof typeof SIM, values: number[], range: boolean): Measure => {
      const m = median(values);
      const min = Math.min(...values), max = Math.max(...values);
      const tolerance = pressureTolerance(m);
      const got = s ? s.counters[SIM[key]] : -1;
      const inRange = got >= min - FLOOR && got <= max + FLOOR;
      const ok = s !== undefined &&
        (range
          ? got >= min - tolerance && got <= max + tolerance
          : Math.abs(got - m) <= tolerance || inRange);
      return { kernel: m, min, max, runs: values, sim: got, tolerance, ok };
    };
    const p: PressureCounts = {
      runs: runs.length,
      minor: measure("minor", phases.map((x) => x.minor), false),
      major: measure("major", phases.map((x) => x.major), false),
      swapIn: measure("swapIn", phases.map((x) => x.swapIn ?? 0), false),
      swapOut: measure("swapOut", phases.map((x) => x.swapOut ?? 0), true),
    };
    return {
      label: k.label,
      pid: k.pid,
      kernelMinor: p.minor.kernel,
      simMinor: p.minor.sim,
      kernelMajor: p.major.kernel,
      simMajor: p.major.sim,
      ok: p.minor.ok && p.major.ok && p.swapIn.ok && p.swapOut.ok,
      pressure: p,
    };
  });
}
