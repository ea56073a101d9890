/**
 * The shape of a replay's results: what `run --json` writes, what the results store keeps and what
 * the dashboard draws. Field names are a contract that outside tools read (`run --json F`): keep
 * them.
 *
 * @module
 */
import type { CounterName } from "../core/counters.ts";

/** Counters by name: every name of `COUNTER_NAMES` (docs/machine.md), plus any a strategy adds of
 * its own. */
export type Counters = Record<CounterName, number> & Record<string, number>;

/** One phase: the events from one `mark` (or the trace's start, label `start`) to the next. */
export interface PhaseResult {
  /** The mark's label, or `start`. */
  label: string;
  /** Counters accumulated during this phase only (peaks: the phase's own maximum). */
  counters: Counters;
}

/**
 * Time series sampled every `interval` events. `at[k]` is the event count of sample k; every other
 * array has one value per sample.
 */
export interface SeriesResult {
  /** Events between samples. */
  interval: number;
  /** Events replayed when each sample was taken. */
  at: number[];
  /** Pages resident in memory (mapped or cached). */
  resident_pages: number[];
  /** Free physical frames. */
  free_frames: number[];
  /** Swap slots in use, pages. */
  swap_used: number[];
  /** Cumulative swap I/O, pages in and out. */
  swap_io: number[];
  /** Cumulative faults, minor and major. */
  faults: number[];
  /** Cumulative `pte_walks`. */
  pte_walks: number[];
}

/** The results of one strategy. */
export interface StrategyResult {
  /** Counters over the whole trace. */
  counters: Counters;
  /** Counters per phase, in trace order. */
  phases: PhaseResult[];
  /** Gauges and cumulative counters sampled over the trace. */
  series: SeriesResult;
  /**
   * Wall time of this strategy's replay, milliseconds, without the time it waited for its next
   * batch of events (decoding, or the runner's other workers): the only field that varies run to
   * run.
   */
  elapsed_ms: number;
  /**
   * Present when the run was verified (`--verify`): where the first load that read something other
   * than the reference model expects happened (absent when every load matched).
   */
  verify?: { first_line?: number; first_message?: string };
  /** Present when an invariant check (`--check`) failed: the first failure's line and message. */
  check?: { first_line: number; first_message: string };
  /**
   * Present when the replay met semantic problems: the first few (in event order; the counters
   * `segv` and `warnings` count them all).
   */
  diagnostics?: RunDiagnostic[];
}

/** A semantic problem a replay met, at the event of trace line `line` (not fatal: counted). */
export interface RunDiagnostic {
  /** `segv`: an access or operation the kernel would refuse; `warning`: anything else odd. */
  kind: "segv" | "warning";
  /** The event's line in the trace (its 1-based number in binary forms). */
  line: number;
  /** What happened, e.g. `pid 1: read of unmapped address 0x5000`. */
  message: string;
}

/** Machine options a replay ran with (after header defaults and command-line overrides). */
export interface MachineOptions {
  /** Physical memory, bytes. */
  mem: number;
  /** Swap added at start, bytes (0: only what `swapon` events add). */
  swap: number;
  /** Page size, bytes (4096). */
  page: number;
  /** TLB entries. */
  tlb_entries: number;
  /** Any further machine options (e.g. a dedicated swap area for shared anonymous memory). */
  [option: string]: number | string | boolean;
}

/** What one `run` produces for one trace. */
export interface RunResult {
  /** The trace's path as given. */
  trace: string;
  /** Number of events replayed. */
  events: number;
  /** The machine the trace was replayed on. */
  machine: MachineOptions;
  /** Results keyed by strategy name. */
  results: Record<string, StrategyResult>;
}
