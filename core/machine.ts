/**
 * The simulated machine: physical frames, page tables, TLB, address spaces, faults, page cache,
 * swap and reclaim, with one reverse-mapping strategy plugged in (`core/rmap/`).
 *
 * `apply(batch, i, seq)` replays one event of an `EventBatch`. Everything is synchronous
 * and allocation-free on the access fast path: a TLB hit is a handful of typed-array operations.
 *
 * Semantics (Linux, x86-64, 4 KiB pages, THP off), beyond the rules
 * `docs/machine.md` lists:
 * - A process appears with its first event (with an empty address space); `exit` of a pid that is
 *   not alive is a warning. `fork`/`clone` onto a live pid is a warning and does nothing.
 * - An access is all or nothing: if any page it covers is unmapped, lacks the permission (loads
 *   need any of r/w/x, stores w, fetches x) or lies past the end of its object (SIGBUS), it counts
 *   one `segv`, is reported, and none of it happens. `len` 0 touches nothing.
 * - A `file:`, `tmpfs:` or `shm:` object used before `create` exists implicitly, unbounded. A
 *   shared anonymous mapping gets its own anonymous inode as large as the mapping (growing it by
 *   mremap leaves the new part past the end: SIGBUS, as Linux).
 * - Shared writable `file:` mappings are write-notify mappings: pages are mapped read-only until
 *   the first write faults (and again after writeback); tmpfs, shm and shared anonymous mappings
 *   are mapped writable at once, fault-around included.
 * - Read faults on object mappings except System V ones map the page cache's pages around the
 *   fault (fault-around, 16 pages); a file page not cached is read with `read_ahead_kb / 4` (32)
 *   pages of read-around (`file_read_pages`), one major fault, and a readahead marker a quarter
 *   of the window from its end reads the next window when a fault touches it, in large folios
 *   (`large_folios`: a fault maps a whole one; `mm/page_cache.ts`). Swap-ins read ahead as Linux
 *   6.x does (`mm/swap_in.ts`); a swap-cache hit is a minor fault.
 * - Write fault on a page of another process (fork) copies it; on a page whose only mapper is the
 *   writer it reuses it (`cow_reuses`); writes to the zero page get a fresh page without counting
 *   a COW; a write fault on a not-present private file page is one fault that copies
 *   (`cow_faults`, `cow_copies`).
 * - Watermarks follow Linux's `min_free_kbytes` (sqrt(16 × memory KiB), 128 KiB..256 MiB, at most
 *   1/32 of memory) with `watermark_scale_factor` 10: below `low` an allocation reclaims up to
 *   `high`, at least 32 pages (`SWAP_CLUSTER_MAX`); with the `memcg` setting memory is a memory
 *   cgroup's limit instead (`mm/memcg_reclaim.ts`). With no frame left after reclaim the
 *   operation is skipped with an "out of memory" warning. Page-table pages are counted
 *   (`page_table_pages_peak`), not taken from the frames.
 * - `rss_peak_pages` is the peak of frames in use (resident pages, page cache included).
 * - Swap: `swapPages` describes a device named `swap` that exists unless the trace brings its
 *   own: it is created when swap is first needed if no `swapon` came before.
 *
 * The machine is built in two layers under this module, which alone reads event batches: the
 * system-call entry points (`core/sys/`), which take the decoded arguments of an event, over the
 * memory-management primitives and the state they share (`core/mm/`, `mm/kernel.ts`);
 * `docs/machine.md` ("Code map") says which file holds what.
 *
 * @module
 */
import { accessEvent, runEvents } from "./_machine_fast.ts";
import { checkKernel } from "./check.ts";
import type { MachineConfig } from "./config.ts";
import { C, newCounters } from "./counters.ts";
import { mmOf } from "./mm/address_space.ts";
import { Kernel } from "./mm/kernel.ts";
import { P, PTE_SWAP } from "./mm/pte.ts";
import { create, fsync, read, truncate, unlink, write } from "./sys/file.ts";
import { madvise } from "./sys/madvise.ts";
import { mlock } from "./sys/mlock.ts";
import { mmap, munmap } from "./sys/mmap.ts";
import { mprotect } from "./sys/mprotect.ts";
import { mremap } from "./sys/mremap.ts";
import { msync } from "./sys/msync.ts";
import { clone, exec, exit, fork } from "./sys/process.ts";
import { memoryReclaim } from "./sys/reclaim.ts";
import { swapoff, swapon } from "./sys/swap.ts";
import {
  type EventColumns,
  FLAGS_MASK,
  FLAGS_SHIFT,
  HAS_PRIO,
  Op,
  PROT_MASK,
} from "../uapi/event.ts";

export type { Diagnostic, MachineConfig } from "./config.ts";
export { DEFAULT_TLB_ENTRIES } from "./mm/tlb.ts";
export { FAULT_AROUND } from "./mm/fault.ts";
export { READ_AROUND } from "./mm/page_cache.ts";
export { SWAP_CLUSTER } from "./mm/swap_in.ts";

const OP_R = Op.r, OP_X = Op.x;
const C_EVENTS = C.events, C_RSS_PEAK = C.rss_peak_pages;

/**
 * One simulated machine running one strategy.
 *
 * @example
 * ```ts
 * import { Machine } from "./machine.ts";
 * import { C } from "./counters.ts";
 * import { EventBatch } from "../trace/batch.ts";
 * const b = new EventBatch(8);
 * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
 * b.push({ pid: 1, op: "r", addr: 0x10000, len: 1 });
 * b.push({ pid: 1, op: "w", addr: 0x10000, len: 1 });
 * const m = new Machine({ memPages: 256, swapPages: 0, strategy: "anon_vma_chain" });
 * for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
 * if (m.counters[C.minor_faults] !== 2 || m.counters[C.zero_page_maps] !== 1) throw new Error();
 * ```
 */
export class Machine {
  /** Counters by slot of `C`. */
  readonly counters: Float64Array = newCounters();
  readonly #k: Kernel;
  /** Checks of the invariants run so far, and those that failed. */
  #checks = 0;
  #checkErrors = 0;
  /** Events applied since the last check. */
  #sinceCheck = 0;
  /** Line of the event after which the invariants were last checked, and held (0: none yet). */
  #checkedLine = 0;

  /** Makes a machine; throws a RangeError for impossible options or an unknown strategy. */
  constructor(cfg: MachineConfig) {
    this.#k = new Kernel(cfg, this.counters);
  }

  /** Number of pages the last r/x event loaded (with `recordLoads`). */
  get loadCount(): number {
    return this.#k.loadCount;
  }

  /** Virtual pages the last r/x event loaded. */
  get loadVpage(): Float64Array {
    return this.#k.loadVpage;
  }

  /** Stamps the last r/x event read, one per page in `loadVpage`. */
  get loadStamp(): Float64Array {
    return this.#k.loadStamp;
  }

  /**
   * Line (or event number) of the last event applied beyond a TLB hit: the event being applied
   * when an exception escapes `apply` or `applyRun`.
   */
  get line(): number {
    return this.#k.report.line;
  }

  /** Frames in use (resident pages, page cache and swap cache included). */
  residentPages(): number {
    const k = this.#k;
    return k.frames.count - k.frames.freeCount;
  }

  /** Free frames. */
  freeFrames(): number {
    const k = this.#k;
    return k.frames.freeCount;
  }

  /** Swap slots in use. */
  swapUsedPages(): number {
    const k = this.#k;
    return k.swap.used;
  }

  /** Current strategy metadata, bytes. */
  metaBytes(): number {
    const k = this.#k;
    return k.meta;
  }

  /** Live processes and threads. */
  processCount(): number {
    const k = this.#k;
    return k.procs.size;
  }

  /**
   * The contents of virtual page `vpage` of process `pid` as its page table holds them: the
   * stamp of the last store to the page (0: zero-filled), whether the page is in a frame or in a
   * swap slot; undefined when the page table has nothing there (never touched, unmapped, dropped,
   * or a page-cache page not mapped yet). Reads only: counts nothing, faults nothing.
   *
   * @example
   * ```ts
   * import { Machine } from "./machine.ts";
   * import { EventBatch } from "../trace/batch.ts";
   * const b = new EventBatch(4);
   * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
   * b.push({ pid: 1, op: "w", addr: 0x10000, len: 8 });
   * const m = new Machine({ memPages: 256, swapPages: 0, strategy: "anon_vma_chain" });
   * m.applyRun(b, 0, b.length, 0);
   * if (m.pageStamp(1, 0x10) !== 2 || m.pageStamp(1, 0x11) !== undefined) throw new Error();
   * ```
   */
  pageStamp(pid: number, vpage: number): number | undefined {
    const k = this.#k;
    const mm = k.procs.get(pid);
    const s = mm === undefined ? -1 : k.pt.lookup(mm, vpage);
    if (s < 0) return undefined;
    const f = k.pt.flags[s]!;
    if (f & P) return k.frames.stamp[k.pt.num[s]!];
    if (f & PTE_SWAP) return k.swap.stamp[k.pt.num[s]!];
    return undefined;
  }

  /**
   * Every present PTE that maps frame `frame`, found by a scan of every page table of every live
   * address space (not through the strategy's rmap): (address-space id, virtual page) pairs.
   * Reads only, counts nothing; its cost grows with all page tables (an oracle for tests of the
   * rmap walks' counters).
   *
   * @example
   * ```ts
   * import { Machine } from "./machine.ts";
   * import { EventBatch } from "../trace/batch.ts";
   * const b = new EventBatch(4);
   * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
   * b.push({ pid: 1, op: "w", addr: 0x10000, len: 8 }); // the area has an anon_vma
   * b.push({ pid: 1, op: "r", addr: 0x11000, len: 8 }); // maps the zero page (frame 0)
   * b.push({ pid: 1, op: "fork", child: 2 }); // copies both PTEs
   * const m = new Machine({ memPages: 256, swapPages: 0, strategy: "anon_vma_chain" });
   * m.applyRun(b, 0, b.length, 0);
   * const ptes = m.ptesMapping(0);
   * if (ptes.length !== 4 || ptes[1] !== 0x11 || ptes[3] !== 0x11) throw new Error(`${ptes}`);
   * ```
   */
  ptesMapping(frame: number): number[] {
    const k = this.#k;
    const out: number[] = [];
    for (const mm of k.mms.values()) {
      k.pt.forEachPte(mm, (v, s) => {
        if ((k.pt.flags[s]! & P) !== 0 && k.pt.num[s] === frame) out.push(mm.id, v);
      });
    }
    return out;
  }

  /** Strategy-specific counters, plus `check_errors` and `checks` (how many ran) when checking. */
  extraCounters(): Record<string, number> {
    const k = this.#k;
    const out = { ...k.strategy.extraCounters() };
    if (k.check) {
      out.check_errors = this.#checkErrors;
      out.checks = this.#checks;
    }
    return out;
  }

  /** Restarts the peak counters from the current values (at phase boundaries). */
  resetPeaks(): void {
    const k = this.#k;
    this.counters[C.rmap_meta_bytes_peak] = k.meta;
    this.counters[C.page_table_pages_peak] = k.pt.live;
    this.counters[C.rss_peak_pages] = this.residentPages();
  }

  /**
   * Applies events `from` to `to - 1` of `b`, numbered `seq + 1` onwards, stopping before a
   * `mark` (whose phase the caller opens before applying it); returns the index it stopped at:
   * `to`, or the mark's. The same as calling {@linkcode Machine.apply} on each event, faster:
   * loads, stores and fetches within one page or two that need no fault (each page a TLB hit, or
   * a miss whose PTE allows the access), most events of most traces, are applied in this loop
   * with the batch's columns and the machine's tables held in local variables, without a call
   * per event.
   *
   * @example
   * ```ts
   * import { Machine } from "./machine.ts";
   * import { C } from "./counters.ts";
   * import { EventBatch } from "../trace/batch.ts";
   * const b = new EventBatch(8);
   * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
   * b.push({ pid: 1, op: "w", addr: 0x10000, len: 8 });
   * b.push({ pid: 1, op: "w", addr: 0x10008, len: 8 });
   * b.push({ pid: 0, op: "mark", label: "read" });
   * b.push({ pid: 1, op: "r", addr: 0x10000, len: 8 });
   * const m = new Machine({ memPages: 256, swapPages: 0, strategy: "anon_vma_chain" });
   * const stop = m.applyRun(b, 0, b.length, 0);
   * if (stop !== 3 || m.counters[C.events] !== 3 || m.counters[C.tlb_hits] !== 1) {
   *   throw new Error("expected the run to stop at the mark after one TLB hit");
   * }
   * ```
   */
  applyRun(b: EventColumns, from: number, to: number, seq: number): number {
    return runEvents(this, this.#k, b, from, to, seq);
  }

  /** Applies event `i` of `b`; `seq` is its 1-based global event number (the stamp of stores). */
  apply(b: EventColumns, i: number, seq: number): void {
    const k = this.#k;
    const c = this.counters;
    c[C_EVENTS]!++;
    const op = b.op[i]!;
    if (op >= OP_R && op <= OP_X) {
      // A TLB hit allocates nothing: the peak cannot move, so only checking has work left. Nor
      // does it report anything: `k.report.line` is set only when the event goes further.
      if (accessEvent(this.#k, b, i, op, seq)) {
        if (!k.check) return;
        k.report.line = b.line[i]! || seq;
      }
    } else {
      k.report.line = b.line[i]! || seq;
      k.report.pid = b.pid[i]!;
      k.loadCount = 0;
      this.#slowEvent(b, i, op, seq);
    }
    const used = k.frames.count - k.frames.freeCount;
    if (used > c[C_RSS_PEAK]!) c[C_RSS_PEAK] = used;
    if (k.check && ++this.#sinceCheck >= k.checkEvery) this.#runCheck();
  }

  /**
   * Checks the invariants now if events were applied since the last check (with `check`; the
   * replay calls it after the last event when `checkEvery` is above 1).
   *
   * @example
   * ```ts
   * import { Machine } from "./machine.ts";
   * import { EventBatch } from "../trace/batch.ts";
   * const b = new EventBatch(4);
   * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
   * b.push({ pid: 1, op: "w", addr: 0x10000, len: 8 });
   * b.push({ pid: 1, op: "w", addr: 0x11000, len: 8 });
   * const m = new Machine({
   *   memPages: 64, swapPages: 0, strategy: "anon_vma_chain", check: true, checkEvery: 2,
   * });
   * for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
   * m.checkNow();
   * const x = m.extraCounters();
   * if (x.checks !== 2 || x.check_errors !== 0) throw new Error("expected two clean checks");
   * ```
   */
  checkNow(): void {
    if (this.#k.check && this.#sinceCheck > 0) this.#runCheck();
  }

  /**
   * Applies event `i` of `b`, anything but an access: decodes its columns into the arguments of
   * its system call (`core/sys/`) and makes the call in the name of its process.
   */
  #slowEvent(b: EventColumns, i: number, op: number, seq: number): void {
    const k = this.#k;
    switch (op) {
      case Op.create:
        return create(k, name(b, i), b.n1[i]!);
      case Op.truncate:
        return truncate(k, name(b, i), b.n1[i]!);
      case Op.read:
        return read(k, name(b, i), b.n1[i]!, b.n2[i]!);
      case Op.write:
        return write(k, name(b, i), b.n1[i]!, b.n2[i]!, seq);
      case Op.unlink:
        return unlink(k, name(b, i));
      case Op.fsync:
        return fsync(k, name(b, i));
      case Op.swapon:
        return swapon(k, name(b, i), b.n1[i]!, b.small[i]! & HAS_PRIO ? b.n2[i]! : undefined);
      case Op.swapoff:
        return swapoff(k, name(b, i));
      case Op.reclaim:
        return memoryReclaim(k, b.n1[i]!);
      case Op.mark:
        return;
      case Op.exit:
        return exit(k, b.pid[i]!);
    }
    // The rest act on the address space of the event's process, made on its first event.
    const pid = b.pid[i]!;
    const mm = mmOf(k, pid);
    const page = b.page[i]!;
    const n1 = b.n1[i]!;
    switch (op) {
      case Op.mmap: {
        const small = b.small[i]!, s = b.str[i]!;
        const flags = (small >> FLAGS_SHIFT) & FLAGS_MASK;
        const object = s >= 0 ? b.strings[s]! : null;
        return mmap(k, mm, page, n1, small & PROT_MASK, flags, object, b.n2[i]!);
      }
      case Op.munmap:
        return munmap(k, mm, page, n1);
      case Op.mremap:
        return mremap(k, mm, page, n1, b.page2[i]!, b.n2[i]!);
      case Op.mprotect:
        return mprotect(k, mm, page, n1, b.small[i]! & PROT_MASK);
      case Op.madvise:
        return madvise(k, mm, page, n1, b.small[i]!);
      case Op.mlock:
      case Op.munlock:
        return mlock(k, mm, page, n1, op === Op.mlock);
      case Op.msync:
        return msync(k, mm, page, n1);
      case Op.fork:
        return fork(k, mm, n1);
      case Op.clone:
        return clone(k, mm, n1);
      case Op.exec:
        return exec(k, pid, mm);
    }
  }

  #runCheck(): void {
    const k = this.#k;
    const errors = checkKernel(k);
    this.#checks++;
    this.#sinceCheck = 0;
    // Checked now and then, a failure may come from any event since the last clean check.
    const since = k.checkEvery === 1
      ? ""
      : this.#checkedLine > 0
      ? ` (invariants held after line ${this.#checkedLine})`
      : " (at the first check)";
    for (const message of errors) {
      this.#checkErrors++;
      k.report.check(message + since);
    }
    if (errors.length === 0) this.#checkedLine = k.report.line;
  }
}

/** The string (object, device) of event `i` of `b`. */
function name(b: EventColumns, i: number): string {
  return b.strings[b.str[i]!] ?? "";
}
