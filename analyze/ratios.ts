/**
 * {@linkcode RATIOS}: the figures the strategies are argued with (docs/strategies.md), as ratios of
 * a run's counters: reverse-map work and swap I/O per page reclaimed, faults and TLB misses per
 * event, reverse-map allocations per PTE fork copied. The run page shows them as a table.
 *
 * @module
 */

/** One ratio of counters. */
export interface Ratio {
  /** Stable key (`pte_walks_per_reclaimed`). */
  key: string;
  /** What is counted, as a table row says it (`pte_walks`). */
  title: string;
  /** What it is divided by, as a table group says it (`per reclaimed page`). */
  per: string;
  /** What the figure tells, in a sentence (shown on hover). */
  description: string;
  /** The ratio for `counters`, or `undefined` when the divisor is 0. */
  value(counters: Readonly<Record<string, number>>): number | undefined;
}

const get = (c: Readonly<Record<string, number>>, ...names: string[]) =>
  names.reduce((sum, n) => sum + (c[n] ?? 0), 0);

function ratio(
  key: string,
  title: string,
  per: string,
  description: string,
  top: (c: Readonly<Record<string, number>>) => number,
  bottom: (c: Readonly<Record<string, number>>) => number,
): Ratio {
  return {
    key,
    title,
    per,
    description,
    value: (c) => {
      const b = bottom(c);
      return b > 0 ? top(c) / b : undefined;
    },
  };
}

const PER_PAGE = "per reclaimed page";
const PER_EVENT = "per event";
const PER_PTE = "per PTE fork copied";
const reclaimed = (c: Readonly<Record<string, number>>) => get(c, "pages_reclaimed");
const events = (c: Readonly<Record<string, number>>) => get(c, "events");

/**
 * The ratios, grouped by divisor: per reclaimed page, per event, per PTE fork copied.
 *
 * @example
 * ```ts
 * import { RATIOS } from "./ratios.ts";
 * const walks = RATIOS.find((r) => r.key === "pte_walks_per_reclaimed")!;
 * if (walks.value({ pte_walks: 300, pages_reclaimed: 100 }) !== 3) throw new Error("3 a page");
 * if (walks.value({ pte_walks: 300, pages_reclaimed: 0 }) !== undefined) throw new Error("none");
 * ```
 */
export const RATIOS: readonly Ratio[] = [
  ratio(
    "pte_walks_per_reclaimed",
    "pte_walks",
    PER_PAGE,
    "Page-table entries looked at for each page reclaim freed: how hard finding a page's " +
      "mappings is (scan pays for every PTE of every process).",
    (c) => get(c, "pte_walks"),
    reclaimed,
  ),
  ratio(
    "rmap_visits_per_reclaimed",
    "rmap_vma_visits",
    PER_PAGE,
    "Areas the reverse map visited for each page reclaimed: a few even with a perfect map " +
      "(reclaim walks a page to test its accessed bits, then to unmap it); it grows with the " +
      "fork family in anon_vma and anonmm.",
    (c) => get(c, "rmap_vma_visits"),
    reclaimed,
  ),
  ratio(
    "rmap_wasted_per_reclaimed",
    "rmap_wasted_visits",
    PER_PAGE,
    "Visits that found the page not mapped, for each page reclaimed: the reverse map's " +
      "imprecision (the AIM7 pathology).",
    (c) => get(c, "rmap_wasted_visits"),
    reclaimed,
  ),
  ratio(
    "rmap_visits_per_found",
    "rmap_vma_visits per PTE found",
    PER_PAGE,
    "Visits for each visit that found the page mapped (visits / (visits - wasted)): 1 is a " +
      "perfect map.",
    (c) => get(c, "rmap_vma_visits"),
    (c) => get(c, "rmap_vma_visits") - get(c, "rmap_wasted_visits"),
  ),
  ratio(
    "swap_io_pages_per_reclaimed",
    "swap I/O pages (in + out)",
    PER_PAGE,
    "Pages written to and read back from swap for each page reclaimed: what a poor choice of " +
      "victims costs in I/O.",
    (c) => get(c, "swap_in_pages", "swap_out_pages"),
    reclaimed,
  ),
  ratio(
    "swap_io_requests_per_reclaimed",
    "swap_io_requests",
    PER_PAGE,
    "Swap I/O requests for each page reclaimed: fewer when adjacent slots are written and read " +
      "together.",
    (c) => get(c, "swap_io_requests"),
    reclaimed,
  ),
  ratio(
    "faults_per_event",
    "faults (minor + major)",
    PER_EVENT,
    "Page faults for each event of the trace.",
    (c) => get(c, "minor_faults", "major_faults"),
    events,
  ),
  ratio(
    "major_faults_per_event",
    "major_faults",
    PER_EVENT,
    "Faults that waited for I/O, for each event of the trace.",
    (c) => get(c, "major_faults"),
    events,
  ),
  ratio(
    "tlb_misses_per_event",
    "tlb_misses",
    PER_EVENT,
    "TLB misses for each event of the trace.",
    (c) => get(c, "tlb_misses"),
    events,
  ),
  ratio(
    "fork_rmap_allocs_per_pte",
    "fork_rmap_allocs",
    PER_PTE,
    "Reverse-map structures allocated at fork for each PTE fork copied: pte_chain allocates one " +
      "per PTE, object-based designs a few per area.",
    (c) => get(c, "fork_rmap_allocs"),
    (c) => get(c, "fork_ptes_copied"),
  ),
];
