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
];

/** The scenario called `name`, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
