/**
 * What the machine reads of a batch of events: the columns of `EventBatch` (`trace/batch.ts`,
 * whose module doc says which column holds what for each op). `core/` states its input here so
 * that it imports nothing from outside `core/`; `EventBatch` satisfies this interface as it is.
 *
 * @module
 */

/** The columns of a batch of events, read by index (see `trace/batch.ts`). */
export interface EventColumns {
  /** Number of events stored. */
  readonly length: number;
  /** Operation code (`core/ops.ts`). */
  readonly op: Uint8Array;
  /** Process id; 0 for system events. */
  readonly pid: Int32Array;
  /** Page number of the (first) address. */
  readonly page: Float64Array;
  /** Offset of the (first) address within its page. */
  readonly off: Uint16Array;
  /** Page number of mremap's new address. */
  readonly page2: Float64Array;
  /** Offset of mremap's new address within its page. */
  readonly off2: Uint16Array;
  /** First numeric argument. */
  readonly n1: Float64Array;
  /** Second numeric argument. */
  readonly n2: Float64Array;
  /** Small packed integers: prot, flags, advice, presence bits. */
  readonly small: Int32Array;
  /** Index into `strings`, or -1. */
  readonly str: Int32Array;
  /** Source line (or event number) of each event; 0 if unknown. */
  readonly line: Float64Array;
  /** Object names, swap device names and labels referenced by `str`. */
  readonly strings: readonly string[];
}
