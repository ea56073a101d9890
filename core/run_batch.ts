/**
 * A small convenience for tests and experiments: replay a whole `EventBatch` through a
 * new {@linkcode Machine} and collect its diagnostics.
 *
 * @module
 */
import type { EventColumns } from "../uapi/event.ts";
import { type CounterName, countersToRecord } from "./counters.ts";
import { type Diagnostic, Machine, type MachineConfig } from "./machine.ts";

/** The outcome of {@linkcode runBatch}. */
export interface BatchRun {
  /** The machine after the last event. */
  machine: Machine;
  /** Counters by name. */
  counters: Record<CounterName, number>;
  /** Every diagnostic, in order. */
  diagnostics: Diagnostic[];
}

/**
 * Replays every event of `batch` (numbered from 1) on a new machine.
 *
 * @example
 * ```ts
 * import { runBatch } from "./run_batch.ts";
 * import { EventBatch } from "../trace/batch.ts";
 * const b = new EventBatch(4);
 * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 4096, prot: 3, flags: 5 });
 * b.push({ pid: 1, op: "w", addr: 0x10000, len: 1 });
 * const { counters } = runBatch(b, { memPages: 64, swapPages: 0 });
 * if (counters.minor_faults !== 1) throw new Error("one fault expected");
 * ```
 */
export function runBatch(
  batch: EventColumns,
  cfg: Partial<MachineConfig> & { memPages: number; swapPages: number },
): BatchRun {
  const diagnostics: Diagnostic[] = [];
  const machine = new Machine({
    strategy: "anon_vma_chain",
    ...cfg,
    onDiagnostic: (d) => {
      diagnostics.push(d);
      cfg.onDiagnostic?.(d);
    },
  });
  for (let i = 0; i < batch.length; i++) machine.apply(batch, i, i + 1);
  return { machine, counters: countersToRecord(machine.counters), diagnostics };
}
