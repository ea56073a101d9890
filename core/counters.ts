/**
 * The counters every strategy reports, with what each counts ({@linkcode COUNTER_DESCRIPTIONS}).
 * Their names are part of vmreplay's public contract: the CLI, JSON/CSV output, the results store
 * and the dashboard all use them verbatim.
 *
 * Counters live in one `Float64Array` indexed by {@linkcode C}, so that counting on the hot path is
 * an array increment. Peaks (`*_peak`) hold the maximum seen so far, not a sum.
 *
 * @module
 */

/** Counter names, in a fixed order (docs/counters.md lists them so); the index of a name is its slot. */
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
  // Added after the original list (kept last so that every earlier slot and column stays put): pages
  // swap readahead read ahead, and faults that found one of them in the swap cache.
  "swap_ra_pages",
  "swap_ra_hits",
] as const;

/** The name of a counter. */
export type CounterName = typeof COUNTER_NAMES[number];

/**
 * What each counter counts, in a sentence: the one definition the dashboard shows on hover and
 * `docs/counters.md` lists (`deno task docs:counters`). A strategy describes its own counters in
 * its `StrategyInfo.counters`.
 */
export const COUNTER_DESCRIPTIONS: Readonly<Record<CounterName, string>> = {
  events: "Events of the trace replayed.",
  minor_faults: "Page faults served without waiting for I/O: a first touch, a zero-page map, a " +
    "copy-on-write, a swap-cache hit, a page already in the page cache.",
  major_faults: "Page faults that wait for I/O: a swap-in from the device, or a file page read " +
    "from disk.",
  cow_faults: "Write faults on a page shared copy-on-write (after fork, or a private file page); " +
    "each ends in a copy or a reuse.",
  cow_copies: "Pages copied by copy-on-write faults, because the page had other mappers.",
  cow_reuses: "Copy-on-write faults that reused the page without copying it: the writer was its " +
    "only mapper.",
  zero_page_maps:
    "Read faults on untouched private anonymous memory served by mapping the shared " +
    "zero page.",
  swap_out_pages: "Pages reclaim wrote to swap.",
  swap_in_pages: "Pages read back from swap, readahead included.",
  swap_io_requests: "Swap I/O requests: a run of adjacent slots written in one reclaim pass, or " +
    "read in one readahead, is one request.",
  file_read_pages: "File pages read from disk, by faults and readahead.",
  file_write_pages: "Dirty file pages written back.",
  pages_reclaimed: "Pages reclaim freed: swapped out, dropped from the page cache, or written " +
    "back and dropped.",
  pte_walks: "Page-table entries looked at to find or unmap a page: reverse-map walks, scan's " +
    "page-table scanning, swapoff.",
  rmap_vma_visits: "Areas (or address spaces) the reverse map handed to a walk as possibly " +
    "mapping the page.",
  rmap_wasted_visits: "Visits of rmap_vma_visits that found the page not mapped there (address " +
    "outside the area, or the PTE maps another page): the reverse map's imprecision.",
  mremap_pages_copied: "Pages mremap copied because the strategy could not move them (anonmm: " +
    "pages still shared after fork).",
  mremap_ptes_moved: "Page-table entries mremap moved to the new address.",
  fork_ptes_copied: "Page-table entries fork copied into the child.",
  fork_rmap_allocs: "Reverse-map structures a strategy allocated at fork (chain entries, " +
    "anon_vmas, inodes, pte_chain entries).",
  rmap_meta_bytes_peak: "Peak bytes of the strategy's reverse-map metadata, costed with " +
    "core/rmap/sizes.ts.",
  page_table_pages_peak: "Peak page-table pages of all address spaces, PGDs included.",
  tlb_hits: "Accesses whose translation the TLB held.",
  tlb_misses: "Accesses that walked the page tables to fill the TLB.",
  tlb_flushes: "TLB flushes (munmap, mprotect, copy-on-write, reclaim, mremap, fork, exit, " +
    "writeback of a mapped page); a range above 33 pages flushes the whole address space.",
  rss_peak_pages: "Peak frames in use, page cache and swap cache included.",
  segv: "Accesses the kernel would refuse (no mapping, not allowed, past the end of the object): " +
    "counted, and skipped.",
  warnings: "Operations that did nothing or could not be done: a munmap of nothing, an unknown " +
    "pid, out of memory, ...",
  verify_errors:
    "With --verify: loads, stores or faults that disagreed with the reference model (0 " +
    "when the machine is right).",
  swap_ra_pages: "Pages swap readahead read into the swap cache besides the faulting one " +
    "(Linux's swap_ra).",
  swap_ra_hits: "Faults that found a page swap readahead had read in the swap cache (Linux's " +
    "swap_ra_hit).",
};

/** The counters a replay adds with `--check`, and what they count. */
export const CHECK_COUNTER_DESCRIPTIONS: Readonly<Record<"check_errors" | "checks", string>> = {
  check_errors: "With --check: invariant checks that failed (mapcounts, swap counts, the " +
    "strategy's reverse map against a brute-force scan of the page tables).",
  checks: "With --check: invariant checks run.",
};

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
