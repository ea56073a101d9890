/**
 * The calibration scenarios: one C probe each in `probes/`, sharing `probes/probe.h`; and a
 * user's own probes (`calibrate --probe FILE.c`).
 *
 * @module
 */
import { CalibrateError } from "./kernel.ts";

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
  /** A user's own probe (`calibrate --probe FILE.c`): the path of its C source. */
  source?: string;
}

/** What each scenario without memory pressure checks, by name, in the order `calibrate` runs them. */
const EXACT: Readonly<Record<string, string>> = {
  zero_page: "read of untouched anonymous memory maps the zero page; write then faults again",
  fork_cow: "fork write-protects anonymous pages; first writes copy or reuse",
  shared_anon: "shared anonymous memory across fork: lazy faults with fault-around",
  mremap_move: "mremap moves page tables: no faults after a move; growth faults",
  mprotect_roundtrip: "read-only and back: exclusive pages writable again without a fault",
  populate: "MAP_POPULATE faults every page at mmap time",
  dontneed: "MADV_DONTNEED drops private anonymous pages: zero page on next read",
  munmap_remap: "munmap then mmap at the same address starts empty",
  fork_chain: "three generations of fork, each writing part of the area",
  tmpfs_file: "tmpfs file mapped shared and private: fault-around, COW on write",
  fork_zero_page: "fork copies no entries of an area with only zero-page reads (no anon_vma)",
  sysv_shm: "System V segment across fork, IPC_RMID while attached",
  mlock_populate: "mlock faults the range in; later accesses do not fault",
  mremap_after_fork: "mremap of pages still shared after fork: no faults, no copies",
};

/** What each scenario under memory pressure checks, by name, run after those of `EXACT`. */
const UNDER_PRESSURE: Readonly<Record<string, string>> = {
  swap_sequential:
    "swapped-out pages read back in order, again, backwards: swap readahead, 8 pages a fault",
  swap_random: "swapped-out pages read back in random order (no readahead), then in order",
  swap_rewrite: "swapped-out pages written again: swap-in frees the slot, eviction writes again",
  swap_dontneed: "MADV_DONTNEED of swapped-out pages, then a read of the area",
  swap_fork: "fork after swap-out: the child reads and writes, then the parent reads",
  swap_mremap: "mremap of a partly swapped-out area, read at its new address",
  swap_swapoff: "swapoff brings every page back, mapped read-only: reads do not fault, writes do",
  tmpfs_pressure: "tmpfs pages under pressure: swapped out, read back with slot-based readahead",
  shm_pressure: "System V shm pages under pressure: swapped out, read back one fault a page",
  tmpfs_random: "tmpfs pages under pressure read back in a random order, then half written again",
  file_reread: "clean file pages pushed out by anonymous memory, read again: mmap read-around",
  swap_fork_random: "fork after swap-out: the child reads a random half, then the parent reads",
  swap_fork_rewrite:
    "fork after swap-out: the child writes every page (copies), then the parent reads",
  shm_holes:
    "System V shm read back at random, then in order: swapped out again into the freed slots",
  swap_mlock:
    "mlock of swapped-out pages: read ahead, counted minor, touched; after munlock kept resident",
  swap_populate: "MAP_POPULATE once memory is full: its touched pages outlast a read of the rest",
};

/** Every scenario, in the order `calibrate` runs them. */
export const SCENARIOS: readonly Scenario[] = [
  ...Object.entries(EXACT).map(([name, about]) => ({ name, about })),
  ...Object.entries(UNDER_PRESSURE).map(([name, about]) => ({ name, about, pressure: true })),
];

/** The scenario called `name`, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** What a probe's name may be: letters, digits, `_` and `-` (not first). */
export const PROBE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/**
 * The scenario of a user's own probe, `path` (a C file using `probe.h`, whose text is `text`):
 * named after the file (`my_probe.c`: `my_probe`), under memory pressure when it calls
 * `pressure_init` or `pressure_init_anon`. Throws {@linkcode CalibrateError} when the name is not
 * one a scenario can have or is a shipped scenario's.
 *
 * @example
 * ```ts
 * import { probeScenario } from "./scenarios.ts";
 * const s = probeScenario("/tmp/big_fork.c", 'pressure_init_anon(argc, argv, "big_fork", 48UL << 20, 1UL << 26);');
 * if (s.name !== "big_fork" || !s.pressure) throw new Error("unexpected");
 * ```
 */
export function probeScenario(path: string, text: string): Scenario {
  const file = path.slice(path.lastIndexOf("/") + 1);
  const name = file.endsWith(".c") ? file.slice(0, -2) : "";
  if (!PROBE_NAME.test(name)) {
    throw new CalibrateError(
      `probe ${path}: expected a C file named NAME.c, NAME of letters, digits, '_' and '-'`,
    );
  }
  if (findScenario(name)) {
    throw new CalibrateError(
      `probe ${path}: ${name} is a shipped scenario's name (calibrate --list); rename the file`,
    );
  }
  const pressure = /\bpressure_init(?:_anon)?\s*\(/.test(text);
  return { name, about: `your probe ${path}`, source: path, ...(pressure ? { pressure } : {}) };
}

/**
 * The scenarios of the user's own probes at `paths` ({@linkcode probeScenario} of each file's
 * text). Throws {@linkcode CalibrateError} when a file cannot be read, is not one a probe can be,
 * or gives a name another of them has.
 */
export async function readProbes(paths: readonly string[]): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const path of paths) {
    const text = await Deno.readTextFile(path).catch((e) => {
      const why = e instanceof Deno.errors.NotFound
        ? "no such file"
        : e instanceof Error
        ? e.message
        : String(e);
      throw new CalibrateError(`probe: cannot read ${path}: ${why}`);
    });
    const own = probeScenario(path, text);
    if (out.some((s) => s.name === own.name)) {
      throw new CalibrateError(`probe ${path}: a second probe named ${own.name}`);
    }
    out.push(own);
  }
  return out;
}
