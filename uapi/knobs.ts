/**
 * Kernel settings a replay can change, the way a sysctl or a boot option changes a real kernel:
 * their names (used as trace-header keys, `run --vm NAME=VALUE` and the `machine` record of a
 * run), what each means, its range and its default (the value of a stock Linux 6.x kernel).
 *
 * @module
 */

/** The settings, by name. */
export interface VmKnobs {
  /**
   * Whether a read fault on untouched private anonymous memory maps the shared zero page (Linux:
   * yes). Some kernels are built or booted without it (a hypervisor's `pvm_no_zero_page`, s390's
   * `mm_forbids_zeropage`): a read fault then allocates a zeroed page, and a later write does not
   * fault.
   */
  zero_page: boolean;
  /**
   * Swap readahead reads at most `2^page_cluster` pages a swap-in (`vm.page-cluster`, 0..31;
   * Linux: 3). 0 reads the faulting page alone.
   */
  page_cluster: number;
  /**
   * Swap readahead of private anonymous memory by virtual address, around the fault inside its
   * area; else by swap slot, as tmpfs and System V pages always are. Linux does the first when
   * `/sys/kernel/mm/swap/vma_ra_enabled` is true (its default) and no swap area is on a
   * rotational disk (`/sys/block/DEV/queue/rotational`; `swap_use_vma_readahead`).
   */
  vma_ra: boolean;
  /**
   * `mem=` is the limit of a memory cgroup the trace ran in (cgroup v1 `memory.limit_in_bytes`,
   * v2 `memory.max`): memory fills up to it, and an allocation that finds it full reclaims
   * `SWAP_CLUSTER_MAX` (32) pages first, as `try_charge` does; readahead allocations reclaim too.
   * Off (Linux without a limit): zone watermarks keep some memory free (see docs/machine.md).
   */
  memcg: boolean;
  /**
   * Readahead of the device that holds the trace's files, KiB (`/sys/class/bdi/DEV/read_ahead_kb`;
   * Linux: 128): a major fault on a file mapping reads this much around the page.
   */
  read_ahead_kb: number;
  /**
   * How much memory cgroup reclaim (`memcg`) scans anonymous pages against file pages, 0..200
   * (`vm.swappiness`, or the cgroup's `memory.swappiness` in cgroup v1; Linux: 60); 0 reclaims no
   * anonymous page.
   */
  swappiness: number;
  /**
   * How long a swap write memory cgroup reclaim sends is in flight, counted in pages reclaim scans
   * meanwhile (the simulator has no clock of time; default 60): until it completes, its page stays
   * in the swap cache, where a fault finds it (a minor fault). It stands for the disk's latency
   * against the CPU's speed at reclaiming; 60 fitted `calibrate`'s pressure probes best on the
   * machines it was calibrated on, and held-out-style probes on a third (docs/machine.md).
   */
  write_latency: number;
  /**
   * Whether a load or store that hits the TLB sets its PTE's accessed bit again (default: yes).
   * x86 hardware sets it only when it walks the page table to fill the TLB, and Linux clears it
   * for reclaim without a flush (`ptep_clear_flush_young`), so a page used through a translation
   * still cached looks unused to reclaim; with 0 the simulator does the same (a store to a page
   * whose PTE is not yet dirty still walks, and sets both bits). Where translations are flushed
   * often (by other CPUs' reclaim, or a host that moves the virtual CPU), Linux sees every use, as
   * with 1. On machines of one kind `calibrate`'s `swap_random` random read-back usually went as
   * with 1, and in some runs much as with 0 and a large TLB (`--tlb`; docs/machine.md).
   */
  accessed_on_hit: boolean;
  /**
   * Whether readahead gives disk files large page-cache folios and a fault maps a whole folio
   * (Linux 6.16 and later on ext4; XFS since 5.18): the read-around window of a major fault is
   * made of single pages, each asynchronous readahead window of folios two orders larger than
   * the last (4, 16, 64 pages, ... at most 512 and the window's size), and a read fault maps the
   * folio of every page fault-around maps, a write fault on a shared mapping the folio it wrote
   * to. Reclaim still takes pages one at a time. 0: single pages only (a kernel or filesystem
   * without them).
   */
  large_folios: boolean;
}

/** One setting: its name, meaning, kind and default. */
export interface KnobInfo {
  /** Name, as a header key and in `--vm NAME=VALUE`. */
  name: keyof VmKnobs;
  /** What it changes, one sentence. */
  doc: string;
  /** `bool`: 0/1 (also false/true, off/on); `int`: a whole number in `min..max`. */
  kind: "bool" | "int";
  /** Smallest value of an `int` setting. */
  min?: number;
  /** Largest value of an `int` setting. */
  max?: number;
}

/** Every setting, in the order they are listed. */
export const KNOBS: readonly KnobInfo[] = [
  {
    name: "zero_page",
    doc: "a read fault on untouched private anonymous memory maps the shared zero page",
    kind: "bool",
  },
  {
    name: "page_cluster",
    doc: "a swap-in reads at most 2^page_cluster pages (vm.page-cluster)",
    kind: "int",
    min: 0,
    max: 31,
  },
  {
    name: "vma_ra",
    doc:
      "swap readahead of anonymous memory by virtual address (vma_ra_enabled and no rotational swap), else by slot",
    kind: "bool",
  },
  {
    name: "memcg",
    doc: "mem= is a memory cgroup's limit: reclaim 32 pages when it is full, no watermarks",
    kind: "bool",
  },
  {
    name: "read_ahead_kb",
    doc: "file readahead of the trace's device, KiB (read-around of a major fault)",
    kind: "int",
    min: 0,
    max: 1048576,
  },
  {
    name: "swappiness",
    doc: "memcg reclaim's weight of anonymous against file pages (vm.swappiness)",
    kind: "int",
    min: 0,
    max: 200,
  },
  {
    name: "accessed_on_hit",
    doc: "a TLB hit sets the PTE's accessed bit (0: only a walk does, as x86 hardware)",
    kind: "bool",
  },
  {
    name: "write_latency",
    doc: "pages memcg reclaim scans while a swap write is in flight (the disk's latency)",
    kind: "int",
    min: 0,
    max: 1000000,
  },
  {
    name: "large_folios",
    doc: "file readahead makes large folios and a fault maps a whole one (ext4, Linux 6.16+)",
    kind: "bool",
  },
];

/** The stock Linux 6.x values. */
export const DEFAULT_KNOBS: Readonly<VmKnobs> = Object.freeze({
  zero_page: true,
  page_cluster: 3,
  vma_ra: true,
  memcg: false,
  read_ahead_kb: 128,
  swappiness: 60,
  write_latency: 60,
  accessed_on_hit: true,
  large_folios: true,
});

/** Whether `name` is a setting's name. */
export function isKnob(name: string): name is keyof VmKnobs {
  return KNOBS.some((k) => k.name === name);
}

/**
 * Parses the text value of setting `name`: the value, or an error message saying what was
 * expected.
 *
 * @example
 * ```ts
 * import { parseKnob } from "./knobs.ts";
 * const r = parseKnob("zero_page", "0");
 * if (!("value" in r) || r.value !== false) throw new Error("zero_page=0");
 * if (!("error" in parseKnob("zero_page", "maybe"))) throw new Error("accepted maybe");
 * ```
 */
export function parseKnob(
  name: keyof VmKnobs,
  text: string,
): { value: VmKnobs[keyof VmKnobs] } | { error: string } {
  const info = KNOBS.find((k) => k.name === name)!;
  if (info.kind === "bool") {
    const t = text.toLowerCase();
    if (t === "1" || t === "true" || t === "on" || t === "yes") return { value: true };
    if (t === "0" || t === "false" || t === "off" || t === "no") return { value: false };
    return { error: `Expected 0 or 1 for ${name}, found '${text}'` };
  }
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < (info.min ?? 0) || n > (info.max ?? Infinity)) {
    return {
      error: `Expected a whole number in ${
        info.min ?? 0
      }..${info.max} for ${name}, found '${text}'`,
    };
  }
  return { value: n as never };
}

/**
 * Parses `NAME=VALUE` assignments (`run --vm`): the settings they give. Throws a `RangeError` that
 * names an unknown setting (listing the known ones) or a value out of range.
 *
 * @example
 * ```ts
 * import { parseKnobAssignments } from "./knobs.ts";
 * if (parseKnobAssignments(["zero_page=off"]).zero_page !== false) throw new Error("off");
 * ```
 */
export function parseKnobAssignments(items: readonly string[]): Partial<VmKnobs> {
  const out: Partial<VmKnobs> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq) : item;
    if (!isKnob(name)) {
      throw new RangeError(
        `Unknown setting '${name}' in '${item}'; known: ${KNOBS.map((k) => k.name).join(", ")}`,
      );
    }
    if (eq < 0) throw new RangeError(`Expected NAME=VALUE, found '${item}'`);
    const r = parseKnob(name, item.slice(eq + 1));
    if ("error" in r) throw new RangeError(r.error);
    (out as Record<string, unknown>)[name] = r.value;
  }
  return out;
}

/** `knobs` completed with the defaults. */
export function withDefaults(knobs: Partial<VmKnobs> | undefined): VmKnobs {
  return { ...DEFAULT_KNOBS, ...knobs };
}
