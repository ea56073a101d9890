/**
 * The calibration scenarios: one C probe each in `probes/`, sharing `probes/probe.h`.
 *
 * @module
 */

/** One calibration scenario. */
export interface Scenario {
  /** Name; the probe's source is `probes/NAME.c`. */
  name: string;
  /** What it checks. */
  about: string;
  /**
   * Runs under memory pressure: inside a memory cgroup with a swap file that `calibrate` makes
   * (`pressure.ts`); compared within a tolerance over several kernel runs.
   */
  pressure?: boolean;
}

/** Every scenario, in the order `calibrate` runs them. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: "zero_page",
    about: "read of untouched anonymous memory maps the zero page; write then faults again",
  },
  { name: "fork_cow", about: "fork write-protects anonymous pages; first writes copy or reuse" },
  {
    name: "shared_anon",
    about: "shared anonymous memory across fork: lazy faults with fault-around",
  },
  { name: "mremap_move", about: "mremap moves page tables: no faults after a move; growth faults" },
  {
    name: "mprotect_roundtrip",
    about: "read-only and back: exclusive pages writable again without a fault",
  },
  { name: "populate", about: "MAP_POPULATE faults every page at mmap time" },
  {
    name: "dontneed",
    about: "MADV_DONTNEED drops private anonymous pages: zero page on next read",
  },
  { name: "munmap_remap", about: "munmap then mmap at the same address starts empty" },
  { name: "fork_chain", about: "three generations of fork, each writing part of the area" },
  { name: "tmpfs_file", about: "tmpfs file mapped shared and private: fault-around, COW on write" },
  {
    name: "fork_zero_page",
    about: "fork copies no entries of an area with only zero-page reads (no anon_vma)",
  },
  { name: "sysv_shm", about: "System V segment across fork, IPC_RMID while attached" },
  { name: "mlock_populate", about: "mlock faults the range in; later accesses do not fault" },
  {
    name: "mremap_after_fork",
    about: "mremap of pages still shared after fork: no faults, no copies",
  },
  {
    name: "swap_sequential",
    about:
      "swapped-out pages read back in order, again, backwards: swap readahead, 8 pages a fault",
    pressure: true,
  },
  {
    name: "swap_random",
    about: "swapped-out pages read back in random order (no readahead), then in order",
    pressure: true,
  },
  {
    name: "swap_rewrite",
    about: "swapped-out pages written again: swap-in frees the slot, eviction writes again",
    pressure: true,
  },
  {
    name: "swap_dontneed",
    about: "MADV_DONTNEED of swapped-out pages, then a read of the area",
    pressure: true,
  },
  {
    name: "swap_fork",
    about: "fork after swap-out: the child reads and writes, then the parent reads",
    pressure: true,
  },
  {
    name: "swap_mremap",
    about: "mremap of a partly swapped-out area, read at its new address",
    pressure: true,
  },
  {
    name: "swap_swapoff",
    about: "swapoff brings every page back, mapped read-only: reads do not fault, writes do",
    pressure: true,
  },
  {
    name: "tmpfs_pressure",
    about: "tmpfs pages under pressure: swapped out, read back with slot-based readahead",
    pressure: true,
  },
  {
    name: "shm_pressure",
    about: "System V shm pages under pressure: swapped out, read back one fault a page",
    pressure: true,
  },

  {
    name: "tmpfs_random",
    about: "tmpfs pages under pressure read back in a random order, then half written again",
    pressure: true,
  },
  {
    name: "file_reread",
    about: "clean file pages pushed out by anonymous memory, read again: mmap read-around",
    pressure: true,
  },
];

/** The scenario called `name`, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
