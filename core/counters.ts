/**
 * The counters every strategy reports. Their names are part of vmreplay's public contract (their
 * meaning: `docs/machine.md`, "Counters"): the CLI, JSON/CSV output, the results store and the
 * dashboard all use them verbatim.
 *
 * Counters live in one `Float64Array` indexed by {@linkcode C}, so that counting on the hot path is
 * an array increment. Peaks (`*_peak`) hold the maximum seen so far, not a sum.
 *
 * @module
 */

/** Counter names, in their fixed order (JSON, CSV and the store keep it); the index is the slot. */
export const COUNTER_NAMES = [
  "events",
  "minor_faults",
  "major_faults",
  "cow_faults",
  "cow_copies",
  "cow_reuses",
  "zero_page_maps",
  "swap_out_pages",
  "swap_in_pages",
  "swap_io_requests",
  "file_read_pages",
  "file_write_pages",
  "pages_reclaimed",
  "pte_walks",
  "rmap_vma_visits",
  "rmap_wasted_visits",
  "mremap_pages_copied",
  "mremap_ptes_moved",
  "fork_ptes_copied",
  "fork_rmap_allocs",
  "rmap_meta_bytes_peak",
  "page_table_pages_peak",
  "tlb_hits",
  "tlb_misses",
  "tlb_flushes",
  "rss_peak_pages",
  "segv",
  "warnings",
  "verify_errors",
] as const;

/** The name of a counter. */
export type CounterName = typeof COUNTER_NAMES[number];

/**
 * The object behind {@linkcode C}: an instance of a class of its own, so that its hidden class
 * (V8's map) is shared with no other object. A plain object built key by key in this order would
 * share its maps with every counters record ({@linkcode countersToRecord}), and a record's value
 * that is not a small integer would deprecate those maps, throwing away all the optimized code that
 * reads `C.something` (measured: six deoptimizations of the machine's hot loop per replay).
 */
class CounterSlots {
  constructor() {
    COUNTER_NAMES.forEach((n, i) => Object.defineProperty(this, n, { value: i, enumerable: true }));
  }
}

/** Slot of each counter in a counters array. */
export const C: { readonly [K in CounterName]: number } = Object.freeze(
  new CounterSlots(),
) as unknown as { readonly [K in CounterName]: number };

/** Counters that hold a maximum rather than a sum; per-phase values are the phase's own peak. */
export const PEAK_COUNTERS: ReadonlySet<CounterName> = new Set([
  "rmap_meta_bytes_peak",
  "page_table_pages_peak",
  "rss_peak_pages",
]);

/** A fresh, zeroed counters array. */
export function newCounters(): Float64Array {
  return new Float64Array(COUNTER_NAMES.length);
}

/** Counters as a plain object keyed by name (for JSON). */
export function countersToRecord(c: Float64Array): Record<CounterName, number> {
  const out = {} as Record<CounterName, number>;
  COUNTER_NAMES.forEach((n, i) => out[n] = c[i]!);
  return out;
}
