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
  kernelMinor: number;
  simMinor: number;
  kernelMajor: number;
  simMajor: number;
  /** True when both counts agree. */
  ok: boolean;
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
