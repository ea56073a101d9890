/**
 * The simulated machine: physical frames, page tables, TLB, address spaces, faults, page cache,
 * swap and reclaim, with one reverse-mapping strategy plugged in (`core/rmap/`).
 *
 * `apply(batch, i, seq)` replays one event of an {@linkcode EventBatch}. Everything is synchronous
 * and allocation-free on the access fast path: a TLB hit is a handful of typed-array operations.
 *
 * Semantics (Linux, x86-64, 4 KiB pages, THP off), beyond SPEC.md "Linux semantics to match":
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
 * - Read faults on object mappings map the page cache's pages around the fault (fault-around, 16
 *   pages); a file page not cached is read with 32 pages of read-around (`file_read_pages`), one
 *   major fault. Swap-ins read the aligned 8-slot cluster around the slot (page-cluster 3); a
 *   swap-cache hit is a minor fault.
 * - Write fault on a page of another process (fork) copies it; on a page whose only mapper is the
 *   writer it reuses it (`cow_reuses`); writes to the zero page get a fresh page without counting
 *   a COW; a write fault on a not-present private file page is one fault that copies
 *   (`cow_faults`, `cow_copies`).
 * - Watermarks follow Linux's `min_free_kbytes` (sqrt(16 × memory KiB), 128 KiB..256 MiB, at most
 *   1/32 of memory) with `watermark_scale_factor` 10: below `low` an allocation reclaims up to
 *   `high`. With no frame left after reclaim the operation is skipped with an "out of memory"
 *   warning. Page-table pages are counted (`page_table_pages_peak`), not taken from the frames.
 * - `rss_peak_pages` is the peak of frames in use (resident pages, page cache included).
 * - Swap: `swapPages` describes a device named `swap` that exists unless the trace brings its
 *   own: it is created when swap is first needed if no `swapon` came before.
 *
 * @module
 */
import type { EventBatch } from "../trace/batch.ts";
import { C, newCounters } from "./counters.ts";
import { FrameTable, LRU, NONE, PG, ZERO_FRAME } from "./frames.ts";
import { Mm } from "./mm.ts";
import { VmObject } from "./object.ts";
import {
  ADVICE_DONTNEED,
  ADVICE_PAGEOUT,
  FLAGS_MASK,
  FLAGS_SHIFT,
  HAS_PRIO,
  MAP_ANON,
  MAP_GROWSDOWN,
  MAP_LOCKED,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  OP,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_MASK,
  PROT_WRITE,
} from "./ops.ts";
import { PageTables } from "./page_table.ts";
import {
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_NOACCESS,
  PTE_NX,
  PTE_PRESENT,
  PTE_SWAP,
  PTE_WRITE,
} from "./pte.ts";
import { strategyInfo } from "./rmap/registry.ts";
import type { RmapContext, RmapStrategy, RmapVisitor } from "./rmap/strategy.ts";
import { type SwapDevice, SwapSpace } from "./swap.ts";
import { FLUSH_CEILING, Tlb } from "./tlb.ts";
import { Vma } from "./vma.ts";
import { checkInvariants } from "./check.ts";

/** Machine options. */
export interface MachineConfig {
  /** Physical memory in pages. */
  memPages: number;
  /** Swap in pages (a device named `swap`, unless the trace brings its own; see module doc). */
  swapPages: number;
  /** TLB entries (default 1536, a Skylake STLB). */
  tlbEntries?: number;
  /** Reverse-mapping strategy name (`core/rmap/registry.ts`). */
  strategy: string;
  /** Verify invariants after every event (slow; failures: diagnostics of kind "check"). */
  check?: boolean;
  /** Record the pages and stamps each r/x event loads (`loadCount`, `loadVpage`, `loadStamp`). */
  recordLoads?: boolean;
  /**
   * A dedicated swap area of this many pages for shared anonymous memory (Linus, seed 002); it is
   * used first by shared anonymous pages and never by others.
   */
  sharedAnonSwapPages?: number;
  /** Receives segv, warning and check reports. */
  onDiagnostic?: (d: Diagnostic) => void;
}

/** A problem found while replaying: a segv, a semantic warning, or a failed invariant. */
export interface Diagnostic {
  kind: "segv" | "warning" | "check";
  /** Source line of the event (its event number when the line is unknown). */
  line: number;
  message: string;
}

/** Default TLB size. */
export const DEFAULT_TLB_ENTRIES = 1536;
/** Pages of file read-around on a major fault (`ra_pages`, 128 KiB). */
export const READ_AROUND = 32;
/** Pages mapped by one fault-around (`fault_around_bytes` 64 KiB). */
export const FAULT_AROUND = 16;
/** Swap readahead cluster in pages (`page-cluster` 3). */
export const SWAP_CLUSTER = 8;
const SCAN_BATCH = 32;

const P = PTE_PRESENT, W = PTE_WRITE, A = PTE_ACCESSED, D = PTE_DIRTY;
// Hot-path constants as plain numbers.
const OP_R = OP.r, OP_W = OP.w, OP_X = OP.x;
const C_EVENTS = C.events, C_TLB_HITS = C.tlb_hits, C_RSS_PEAK = C.rss_peak_pages;
const PG_DIRTY = PG.dirty;

/** What the rmap visitor does with each PTE it finds. */
const Mode = { Referenced: 0, Unmap: 1, MkClean: 2, Collect: 3 } as const;
type Mode = typeof Mode[keyof typeof Mode];

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
  /** Number of pages the last r/x event loaded (with `recordLoads`). */
  loadCount = 0;
  /** Virtual pages the last r/x event loaded. */
  loadVpage: Float64Array = new Float64Array(16);
  /** Stamps the last r/x event read, one per page in `loadVpage`. */
  loadStamp: Float64Array = new Float64Array(16);

  readonly #cfg: MachineConfig;
  readonly #frames: FrameTable;
  readonly #pt = new PageTables(256);
  readonly #tlb: Tlb;
  readonly #swap = new SwapSpace();
  readonly #strategy: RmapStrategy;
  /** Whether the strategy wants `pteAdded`/`pteRemoved` (they cost a call per PTE). */
  readonly #tracks: boolean;
  readonly #procs = new Map<number, Mm>();
  readonly #mms = new Map<number, Mm>(); // live address spaces by id (creation order)
  readonly #objects = new Map<string, VmObject>(); // by name
  readonly #objById = new Map<number, VmObject>(); // every live object
  readonly #record: boolean;
  readonly #check: boolean;
  #checkErrors = 0;
  #nextVma = 1;
  #nextMm = 1;
  #nextObj = 1;
  #meta = 0;
  #lowWater: number;
  #highWater: number;
  #defaultSwapPending: boolean;
  /** True while `check` walks the rmap for its comparison (strategies then count nothing). */
  #checking = false;
  #nextPrio = -1;
  #line = 0;
  #lastPid = -1;
  #lastMm: Mm | null = null;
  #reclaiming = false;
  #ioLast = -2; // last slot written in this reclaim pass (request merging)
  #scanMm = 0; // scan strategy's swap_out cursor: address space id and page
  #scanPage = 0;
  // rmap visitor state
  #mode: Mode = Mode.Referenced;
  #vFrame = 0;
  #vRefs = 0;
  #vLocked = false;
  #vExec = false;
  #vSlot = NONE;
  #vUnmapped = 0;
  #collect: number[] = [];
  readonly #visitor: RmapVisitor;
  readonly #ctx: RmapContext;

  /** Makes a machine; throws a RangeError for impossible options or an unknown strategy. */
  constructor(cfg: MachineConfig) {
    const mem = cfg.memPages;
    if (!Number.isInteger(mem) || mem < 1 || mem > 2 ** 30) {
      throw new RangeError(`Machine memPages: expected an integer in 1..2^30, found ${mem}`);
    }
    if (!Number.isInteger(cfg.swapPages) || cfg.swapPages < 0 || cfg.swapPages > 2 ** 30) {
      throw new RangeError(
        `Machine swapPages: expected an integer in 0..2^30, found ${cfg.swapPages}`,
      );
    }
    this.#cfg = cfg;
    this.#frames = new FrameTable(mem);
    this.#tlb = new Tlb(cfg.tlbEntries ?? DEFAULT_TLB_ENTRIES);
    this.#record = cfg.recordLoads === true;
    this.#check = cfg.check === true;
    // Watermarks: min_free_kbytes = sqrt(16 * KiB), clamped, at most 1/32 of memory.
    const minKb = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(mem * 4 * 16))));
    const min = Math.max(1, Math.min(Math.floor(minKb / 4), Math.floor(mem / 32)));
    const delta = Math.max(1, min >> 2, Math.floor(mem / 1000));
    this.#lowWater = min + delta;
    this.#highWater = min + 2 * delta;
    this.#defaultSwapPending = cfg.swapPages > 0;
    const sa = cfg.sharedAnonSwapPages ?? 0;
    if (sa > 0) this.#swap.add("shared-anon", sa, 32767, true);
    this.#visitor = {
      vma: (vma, vpage) => this.#visitVma(vma, vpage),
      mm: (mm, vpage) => {
        const vma = mm.find(vpage);
        if (vma === null) {
          this.counters[C.rmap_vma_visits]!++;
          this.counters[C.rmap_wasted_visits]!++;
          return false;
        }
        return this.#visitVma(vma, vpage);
      },
    };
    const isChecking = () => this.#checking;
    this.#ctx = {
      frames: this.#frames,
      counters: this.counters,
      addMeta: (bytes) => {
        this.#meta += bytes;
        if (this.#meta > this.counters[C.rmap_meta_bytes_peak]!) {
          this.counters[C.rmap_meta_bytes_peak] = this.#meta;
        }
      },
      walkObject: (frame, visit) => this.#walkObject(frame, visit),
      mms: () => this.#mms.values(),
      get checking() {
        return isChecking();
      },
    };
    this.#strategy = strategyInfo(cfg.strategy).create(this.#ctx);
    this.#tracks = this.#strategy.tracksPtes !== false;
  }

  // ---------------------------------------------------------------- public gauges

  /** Frames in use (resident pages, page cache and swap cache included). */
  residentPages(): number {
    return this.#frames.count - this.#frames.freeCount;
  }

  /** Free frames. */
  freeFrames(): number {
    return this.#frames.freeCount;
  }

  /** Swap slots in use. */
  swapUsedPages(): number {
    return this.#swap.used;
  }

  /** Current strategy metadata, bytes. */
  metaBytes(): number {
    return this.#meta;
  }

  /** Live processes and threads. */
  processCount(): number {
    return this.#procs.size;
  }

  /** Strategy-specific counters, plus `check_errors` when checking. */
  extraCounters(): Record<string, number> {
    const out = { ...this.#strategy.extraCounters() };
    if (this.#check) out.check_errors = this.#checkErrors;
    return out;
  }

  /** Restarts the peak counters from the current values (at phase boundaries). */
  resetPeaks(): void {
    this.counters[C.rmap_meta_bytes_peak] = this.#meta;
    this.counters[C.page_table_pages_peak] = this.#pt.live;
    this.counters[C.rss_peak_pages] = this.residentPages();
  }

  // ---------------------------------------------------------------- dispatch

  /** Applies event `i` of `b`; `seq` is its 1-based global event number (the stamp of stores). */
  apply(b: EventBatch, i: number, seq: number): void {
    const c = this.counters;
    c[C_EVENTS]!++;
    const op = b.op[i]!;
    this.#line = b.line[i]! || seq;
    if (op >= OP_R && op <= OP_X) {
      this.#accessEvent(b, i, op, seq);
    } else {
      this.loadCount = 0;
      this.#slowEvent(b, i, op, seq);
    }
    const used = this.#frames.count - this.#frames.freeCount;
    if (used > c[C_RSS_PEAK]!) c[C_RSS_PEAK] = used;
    if (this.#check) this.#runCheck();
  }

  #slowEvent(b: EventBatch, i: number, op: number, seq: number): void {
    if (op >= OP.create && op <= OP.fsync) {
      this.#objectEvent(b, i, op, seq);
      return;
    }
    switch (op) {
      case OP.swapon:
        this.#swapon(b, i);
        return;
      case OP.swapoff: {
        const name = b.strings[b.str[i]!] ?? "";
        const d = this.#swap.find(name);
        if (d === undefined) this.#warn(`swapoff ${name}: no such swap device`);
        else this.#swapoff(d);
        return;
      }
      case OP.reclaim:
        this.#reclaim(Math.max(0, b.n1[i]!));
        return;
      case OP.mark:
        return;
    }
    const pid = b.pid[i]!;
    if (op === OP.exit) {
      const mm = this.#procs.get(pid);
      if (mm === undefined) this.#warn(`exit: pid ${pid} is not alive`);
      else {
        this.#procs.delete(pid);
        if (this.#lastPid === pid) this.#lastPid = -1;
        this.#dropMm(mm);
      }
      return;
    }
    const mm = this.#mmOf(pid);
    const page = b.page[i]!;
    const n1 = b.n1[i]!;
    switch (op) {
      case OP.mmap:
        this.#mmap(mm, b, i);
        break;
      case OP.munmap: {
        const pages = Math.ceil(n1 / PAGE_SIZE);
        if (pages === 0 || !this.#unmapRange(mm, page, page + pages)) {
          this.#warn(`munmap ${hex(page)}+${n1}: nothing mapped there`);
        }
        break;
      }
      case OP.mremap:
        this.#mremap(
          mm,
          page,
          Math.ceil(n1 / PAGE_SIZE),
          b.page2[i]!,
          Math.ceil(b.n2[i]! / PAGE_SIZE),
        );
        break;
      case OP.mprotect:
        this.#mprotect(mm, page, page + Math.ceil(n1 / PAGE_SIZE), b.small[i]! & PROT_MASK);
        break;
      case OP.madvise:
        this.#madvise(mm, page, page + Math.ceil(n1 / PAGE_SIZE), b.small[i]!);
        break;
      case OP.mlock:
      case OP.munlock:
        this.#mlock(mm, page, page + Math.ceil(n1 / PAGE_SIZE), op === OP.mlock);
        break;
      case OP.msync:
        this.#msync(mm, page, page + Math.ceil(n1 / PAGE_SIZE));
        break;
      case OP.fork:
      case OP.clone: {
        const child = n1;
        if (this.#procs.has(child)) {
          this.#warn(`${op === OP.fork ? "fork" : "clone"}: pid ${child} is already alive`);
        } else if (op === OP.clone) {
          mm.users++;
          this.#procs.set(child, mm);
        } else {
          this.#procs.set(child, this.#fork(mm));
        }
        break;
      }
      case OP.exec: {
        this.#procs.delete(pid);
        this.#dropMm(mm);
        this.#lastPid = -1;
        this.#mmOf(pid);
        break;
      }
    }
  }

  #warn(message: string): void {
    this.counters[C.warnings]!++;
    this.#cfg.onDiagnostic?.({ kind: "warning", line: this.#line, message });
  }

  #segv(message: string): void {
    this.counters[C.segv]!++;
    this.#cfg.onDiagnostic?.({ kind: "segv", line: this.#line, message });
  }

  #oom(what: string): void {
    this.#warn(`${what}: out of memory (no frame left after reclaim)`);
  }

  #mmOf(pid: number): Mm {
    if (pid === this.#lastPid && this.#lastMm !== null) return this.#lastMm;
    let mm = this.#procs.get(pid);
    if (mm === undefined) {
      mm = this.#newMm(null);
      this.#procs.set(pid, mm);
    }
    this.#lastPid = pid;
    this.#lastMm = mm;
    return mm;
  }

  #newMm(parent: Mm | null): Mm {
    const mm = new Mm(this.#nextMm++, this.#pt.alloc());
    this.#mms.set(mm.id, mm);
    this.#ptPeak();
    this.#strategy.mmCreate(mm, parent);
    return mm;
  }

  #ptPeak(): void {
    if (this.#pt.live > this.counters[C.page_table_pages_peak]!) {
      this.counters[C.page_table_pages_peak] = this.#pt.live;
    }
  }

  // ---------------------------------------------------------------- accesses

  #accessEvent(b: EventBatch, i: number, op: number, seq: number): void {
    const pid = b.pid[i]!;
    const mm = pid === this.#lastPid && this.#lastMm !== null ? this.#lastMm : this.#mmOf(pid);
    const first = b.page[i]!;
    const len = b.n1[i]!;
    this.loadCount = 0;
    if (len <= 0) return;
    const count = Math.floor((b.off[i]! + len - 1) / PAGE_SIZE) + 1;
    if (count === 1) {
      // Fast path: a TLB hit with the right permission.
      const tlb = this.#tlb;
      const h = (Math.imul((first | 0) ^ Math.imul(mm.id, 0x27d4eb2d), 0x9e3779b1) >>> 0) *
          tlb.size * 2.3283064365386963e-10 | 0;
      if (tlb.vpage[h] === first && tlb.mm[h] === mm.id && tlb.gen[h] === mm.tlbGen) {
        const s = tlb.slot[h]!;
        const pf = this.#pt.flags;
        const f = pf[s]!;
        if (op === OP_W) {
          if ((f & (P | W)) === (P | W)) {
            pf[s] = f | A | D;
            const fr = this.#pt.num[s]!;
            this.#frames.flags[fr]! |= PG_DIRTY;
            this.#frames.stamp[fr] = seq;
            this.counters[C_TLB_HITS]!++;
            return;
          }
        } else if ((f & (P | PTE_NOACCESS | (op === OP_X ? PTE_NX : 0))) === P) {
          pf[s] = f | A;
          this.counters[C_TLB_HITS]!++;
          if (this.#record) {
            this.loadVpage[0] = first;
            this.loadStamp[0] = this.#frames.stamp[this.#pt.num[s]!]!;
            this.loadCount = 1;
          }
          return;
        }
      }
    } else if (!this.#accessOk(mm, op, first, count)) {
      return;
    }
    if (this.#record && count > this.loadVpage.length) {
      this.loadVpage = new Float64Array(count * 2);
      this.loadStamp = new Float64Array(count * 2);
    }
    for (let k = 0; k < count; k++) {
      if (!this.#touch(mm, first + k, op, seq)) return;
    }
  }

  /** Checks a multi-page access as a whole; counts and reports the segv when it fails. */
  #accessOk(mm: Mm, op: number, first: number, count: number): boolean {
    const need = op === OP.w ? PROT_WRITE : op === OP.x ? PROT_EXEC : PROT_MASK;
    const end = first + count;
    for (let p = first; p < end;) {
      const vma = mm.find(p);
      if (vma === null) {
        this.#segv(`${opName(op)} ${hex(p)}: no mapping`);
        return false;
      }
      if ((vma.prot & need) === 0) {
        this.#segv(`${opName(op)} ${hex(p)}: not permitted by ${protName(vma.prot)}`);
        return false;
      }
      const stop = Math.min(vma.end, end);
      if (vma.obj !== null && vma.linearIndex(stop - 1) * PAGE_SIZE >= vma.obj.size) {
        this.#segv(`${opName(op)} ${hex(stop - 1)}: past the end of ${vma.obj.name} (SIGBUS)`);
        return false;
      }
      p = stop;
    }
    return true;
  }

  /** One page of an access: TLB, walk, fault, then the access itthis. False: stop the event. */
  #touch(mm: Mm, vpage: number, op: number, seq: number): boolean {
    const tlb = this.#tlb;
    const h = tlb.index(mm.id, vpage);
    let s = -1;
    if (tlb.vpage[h] === vpage && tlb.mm[h] === mm.id && tlb.gen[h] === mm.tlbGen) {
      s = tlb.slot[h]!;
      const f = this.#pt.flags[s]!;
      const ok = op === OP.w
        ? (f & (P | W)) === (P | W)
        : (f & (P | PTE_NOACCESS | (op === OP.x ? PTE_NX : 0))) === P;
      if (ok) this.counters[C.tlb_hits]!++;
      else s = -1;
    }
    if (s < 0) {
      this.counters[C.tlb_misses]!++;
      const vma = mm.find(vpage);
      if (vma === null) {
        this.#segv(`${opName(op)} ${hex(vpage)}: no mapping`);
        return false;
      }
      const need = op === OP.w ? PROT_WRITE : op === OP.x ? PROT_EXEC : PROT_MASK;
      if ((vma.prot & need) === 0) {
        this.#segv(`${opName(op)} ${hex(vpage)}: not permitted by ${protName(vma.prot)}`);
        return false;
      }
      if (vma.obj !== null && vma.linearIndex(vpage) * PAGE_SIZE >= vma.obj.size) {
        this.#segv(`${opName(op)} ${hex(vpage)}: past the end of ${vma.obj.name} (SIGBUS)`);
        return false;
      }
      s = this.#pt.ensure(mm, vpage);
      this.#ptPeak();
      if (!this.#faultIn(mm, vma, vpage, s, op === OP.w)) return false;
      tlb.fill(mm.id, mm.tlbGen, vpage, s);
    }
    const pf = this.#pt.flags;
    const fr = this.#pt.num[s]!;
    if (op === OP.w) {
      pf[s] = pf[s]! | A | D;
      this.#frames.flags[fr]! |= PG.dirty;
      this.#frames.stamp[fr] = seq;
    } else {
      pf[s] = pf[s]! | A;
      if (this.#record) {
        const n = this.loadCount++;
        this.loadVpage[n] = vpage;
        this.loadStamp[n] = this.#frames.stamp[fr]!;
      }
    }
    return true;
  }

  /**
   * Makes the PTE at pool index `s` allow the access (faulting as Linux would). The area and its
   * permission were checked. Returns false after reporting when memory ran out.
   */
  #faultIn(mm: Mm, vma: Vma, vpage: number, s: number, write: boolean): boolean {
    const f = this.#pt.flags[s]!;
    if (f & P) {
      if (!write || (f & W)) return true;
      return this.#wpFault(mm, vma, vpage, s, true);
    }
    if (f & PTE_SWAP) return this.#swapFault(mm, vma, vpage, s, write);
    if (vma.obj === null) return this.#anonFault(mm, vma, vpage, s, write);
    return this.#objFault(mm, vma, vpage, s, write);
  }

  /** PTE protection bits an area implies (beyond present/write). */
  #protBits(vma: Vma): number {
    return ((vma.prot & PROT_EXEC) ? 0 : PTE_NX) | (vma.prot === 0 ? PTE_NOACCESS : 0);
  }

  #setPte(s: number, flags: number, num: number): void {
    this.#pt.flags[s] = flags;
    this.#pt.num[s] = num;
  }

  #lruAddNew(fr: number, vma: Vma | null): void {
    const fl = this.#frames.flags[fr]!;
    if (vma !== null && vma.locked) {
      this.#frames.flags[fr] = fl | PG.mlocked;
      this.#frames.lruAdd(fr, LRU.unevictable);
    } else {
      this.#frames.lruAdd(fr, (fl & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
    }
  }

  #prepare(vma: Vma): void {
    if (!vma.anon) {
      this.#strategy.anonPrepare(vma);
      vma.anon = true;
    }
  }

  /** A new exclusive anonymous page mapped at `s` (fault on none PTE, zero-page write, copies). */
  #newAnon(vma: Vma, vpage: number, s: number, stamp: number, dirtyPte: boolean): number {
    this.#prepare(vma);
    const fr = this.#allocFrame();
    if (fr === NONE) return NONE;
    const fl = this.#frames.flags;
    fl[fr] = PG.anon | PG.swapBacked | PG.dirty | PG.exclusive;
    this.#frames.stamp[fr] = stamp;
    this.#frames.mapcount[fr] = 1;
    vma.mm.rss++;
    this.#setPte(
      s,
      P | A | (vma.writable ? W : 0) | (dirtyPte ? D : 0) | this.#protBits(vma),
      fr,
    );
    this.#strategy.newAnonPage(fr, vma, vpage, true);
    this.#lruAddNew(fr, vma);
    return fr;
  }

  #anonFault(mm: Mm, vma: Vma, vpage: number, s: number, write: boolean): boolean {
    const c = this.counters;
    if (!write && this.#strategy.useZeroPage(vma)) {
      this.#setPte(s, P | A | this.#protBits(vma), ZERO_FRAME);
      c[C.minor_faults]!++;
      c[C.zero_page_maps]!++;
      return true;
    }
    if (this.#newAnon(vma, vpage, s, 0, true) === NONE) {
      this.#oom(`fault at ${hex(vpage)} in pid of mm ${mm.id}`);
      return false;
    }
    c[C.minor_faults]!++;
    return true;
  }

  /** True when a shared writable `file:` mapping must catch the first write (dirty tracking). */
  #writeNotify(vma: Vma): boolean {
    return vma.shared && vma.obj !== null && vma.obj.kind === "file";
  }

  /** PTE bits for mapping a page-cache page into `vma` without a write. */
  #cacheBits(vma: Vma): number {
    const w = vma.shared && vma.writable && !this.#writeNotify(vma) ? W : 0;
    return P | w | this.#protBits(vma);
  }

  #mapCachePage(vma: Vma, vpage: number, s: number, fr: number, bits: number): void {
    this.#setPte(s, bits, fr);
    this.#frames.mapcount[fr]!++;
    vma.mm.rss++;
    if (this.#tracks) this.#strategy.pteAdded(fr, vma, vpage);
    if ((this.#frames.flags[fr]! & PG.mlocked) === 0 && vma.locked) {
      this.#frames.flags[fr]! |= PG.mlocked;
      this.#frames.lruMove(fr, LRU.unevictable);
    }
  }

  #objFault(mm: Mm, vma: Vma, vpage: number, s: number, write: boolean): boolean {
    const c = this.counters;
    const obj = vma.obj!;
    const index = vma.linearIndex(vpage);
    if (!write) {
      if (this.#faultAround(vma, vpage, s)) {
        c[C.minor_faults]!++;
        return true;
      }
      const fr = this.#getPage(obj, index, true);
      if (fr === NONE) {
        this.#oom(`fault at ${hex(vpage)}`);
        return false;
      }
      this.#mapCachePage(vma, vpage, s, fr, this.#cacheBits(vma) | A);
      c[this.#major ? C.major_faults : C.minor_faults]!++;
      return true;
    }
    const fr = this.#getPage(obj, index, true);
    if (fr === NONE) {
      this.#oom(`fault at ${hex(vpage)}`);
      return false;
    }
    const major = this.#major;
    if (vma.shared) {
      this.#mapCachePage(vma, vpage, s, fr, P | W | A | D | this.#protBits(vma));
      this.#frames.flags[fr]! |= PG.dirty;
    } else {
      // do_cow_fault: copy the file page into a new anonymous page.
      this.#frames.flags[fr]! |= PG.pinned;
      const nf = this.#newAnon(vma, vpage, s, this.#frames.stamp[fr]!, true);
      this.#frames.flags[fr]! &= ~PG.pinned;
      if (nf === NONE) {
        this.#oom(`fault at ${hex(vpage)}`);
        return false;
      }
      c[C.cow_faults]!++;
      c[C.cow_copies]!++;
    }
    c[major ? C.major_faults : C.minor_faults]!++;
    void mm;
    return true;
  }

  /**
   * Fault-around: maps the cached pages of the 16-page window around `vpage` (SPEC.md). Returns
   * true when the faulting page itself was mapped.
   */
  #faultAround(vma: Vma, vpage: number, s: number): boolean {
    const obj = vma.obj!;
    const pteIdx = vpage & 511;
    const vmaOff = vpage - vma.start;
    const from = Math.max(pteIdx & ~(FAULT_AROUND - 1), pteIdx - Math.min(pteIdx, vmaOff));
    const to = Math.min(from + FAULT_AROUND, 512, pteIdx + (vma.end - vpage));
    const base = s - pteIdx;
    const bits = this.#cacheBits(vma);
    let hit = false;
    for (let k = from; k < to; k++) {
      const ps = base + k;
      if (this.#pt.flags[ps] !== 0) continue;
      const v = vpage - pteIdx + k;
      const idx = vma.linearIndex(v);
      if (idx * PAGE_SIZE >= obj.size) break;
      const fr = obj.pages.get(idx);
      if (fr === undefined) continue;
      this.#mapCachePage(vma, v, ps, fr, bits | A);
      if (k === pteIdx) hit = true;
    }
    return hit;
  }

  #major = false;

  /**
   * The page-cache page of (`obj`, `index`), read from disk or swap if needed (`#major` tells
   * whether it waited for I/O). NONE when memory ran out.
   */
  #getPage(obj: VmObject, index: number, readAround: boolean): number {
    this.#major = false;
    let fr = obj.pages.get(index);
    if (fr !== undefined) return fr;
    if (!obj.swapBacked) {
      fr = this.#readFilePage(obj, index);
      if (fr === NONE) return NONE;
      this.#major = true;
      if (readAround) {
        this.#frames.flags[fr]! |= PG.pinned;
        const start = Math.max(0, index - READ_AROUND / 2);
        const lim = obj.size === Infinity ? Infinity : Math.ceil(obj.size / PAGE_SIZE);
        for (let k = start; k < start + READ_AROUND && k < lim; k++) {
          if (k === index || obj.pages.has(k)) continue;
          if (this.#frames.freeCount <= this.#lowWater) break;
          if (this.#readFilePage(obj, k) === NONE) break;
        }
        this.#frames.flags[fr]! &= ~PG.pinned;
      }
      return fr;
    }
    const slot = obj.swap.get(index);
    if (slot !== undefined) {
      let sf = this.#swap.cache[slot]!;
      if (sf === NONE) {
        sf = this.#swapIn(slot, true);
        if (sf === NONE) return NONE;
        this.#major = true;
      }
      // Into the page cache, off swap.
      obj.swap.delete(index);
      this.#swap.refs[slot]!--;
      const fl = this.#frames.flags;
      fl[sf] = (fl[sf]! & ~PG.swapCache) | PG.pageCache | PG.swapBacked | PG.dirty;
      this.#frames.swap[sf] = NONE;
      this.#swap.cache[slot] = NONE;
      if (this.#swap.refs[slot] === 0) this.#swap.free(slot);
      this.#frames.owner[sf] = obj.id;
      this.#frames.index[sf] = index;
      obj.pages.set(index, sf);
      return sf;
    }
    fr = this.#allocFrame();
    if (fr === NONE) return NONE;
    this.#frames.flags[fr] = PG.pageCache | PG.swapBacked | PG.dirty;
    this.#frames.owner[fr] = obj.id;
    this.#frames.index[fr] = index;
    obj.pages.set(index, fr);
    this.#lruAddNew(fr, null);
    return fr;
  }

  #readFilePage(obj: VmObject, index: number): number {
    const fr = this.#allocFrame();
    if (fr === NONE) return NONE;
    this.#frames.flags[fr] = PG.pageCache;
    this.#frames.owner[fr] = obj.id;
    this.#frames.index[fr] = index;
    this.#frames.stamp[fr] = obj.disk.get(index) ?? 0;
    obj.pages.set(index, fr);
    this.#lruAddNew(fr, null);
    this.counters[C.file_read_pages]!++;
    return fr;
  }

  /** Write fault on a present, write-protected PTE. `count`: count the fault itthis. */
  #wpFault(mm: Mm, vma: Vma, vpage: number, s: number, count: boolean): boolean {
    const c = this.counters;
    const fr = this.#pt.num[s]!;
    const fl = this.#frames.flags;
    if (vma.shared) {
      // wp_page_shared: dirty tracking of a shared mapping.
      this.#pt.flags[s] = this.#pt.flags[s]! | W | A | D;
      fl[fr]! |= PG.dirty;
      if (count) c[C.minor_faults]!++;
      return true;
    }
    if (fr === ZERO_FRAME) {
      if (this.#newAnon(vma, vpage, s, 0, true) === NONE) {
        this.#oom(`write fault at ${hex(vpage)}`);
        return false;
      }
      this.#flushPage(mm, vpage);
      if (count) c[C.minor_faults]!++;
      return true;
    }
    const f = fl[fr]!;
    if (f & PG.anon) {
      let reuse = this.#frames.mapcount[fr] === 1;
      if (reuse && (f & PG.swapCache)) {
        const slot = this.#frames.swap[fr]!;
        if (this.#swap.refs[slot]! > 0) reuse = false;
        else this.#dropSwapCache(fr);
      }
      if (reuse) {
        this.#pt.flags[s] = this.#pt.flags[s]! | W | A | D;
        fl[fr] = fl[fr]! | PG.exclusive | PG.dirty;
        this.#strategy.cowReuse(fr, vma, vpage);
        c[C.cow_faults]!++;
        c[C.cow_reuses]!++;
        if (count) c[C.minor_faults]!++;
        return true;
      }
    }
    // wp_page_copy.
    fl[fr]! |= PG.pinned;
    this.#prepare(vma);
    const nf = this.#allocFrame();
    fl[fr]! &= ~PG.pinned;
    if (nf === NONE) {
      this.#oom(`copy-on-write at ${hex(vpage)}`);
      return false;
    }
    if (this.#tracks) this.#strategy.pteRemoved(fr, vma, vpage);
    fl[nf] = PG.anon | PG.swapBacked | PG.dirty | PG.exclusive;
    this.#frames.stamp[nf] = this.#frames.stamp[fr]!;
    this.#frames.mapcount[nf] = 1;
    this.#setPte(s, P | A | D | W | this.#protBits(vma), nf);
    this.#strategy.newAnonPage(nf, vma, vpage, true);
    this.#lruAddNew(nf, vma);
    this.#unmapFrame(fr); // the old page loses this PTE (rss unchanged: one page for another)
    this.#flushPage(mm, vpage);
    c[C.cow_faults]!++;
    c[C.cow_copies]!++;
    if (count) c[C.minor_faults]!++;
    return true;
  }

  /** Drops one mapping of `fr` (already removed from the PTE and the strategy). */
  #unmapFrame(fr: number): void {
    const mc = --this.#frames.mapcount[fr]!;
    if (mc > 0) return;
    const fl = this.#frames.flags;
    const f = fl[fr]!;
    if (f & PG.mlocked) {
      fl[fr] = f & ~PG.mlocked;
      if (this.#frames.lru[fr] === LRU.unevictable) {
        this.#frames.lruMove(fr, (f & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
      }
    }
    if ((f & PG.anon) && !(f & PG.pinned)) this.#putAnon(fr);
  }

  /** An unmapped anonymous page: freed, unless its swap slot still needs it as swap cache. */
  #putAnon(fr: number): void {
    const f = this.#frames.flags[fr]!;
    if (f & PG.swapCache) {
      const slot = this.#frames.swap[fr]!;
      if (this.#swap.refs[slot]! > 0) return;
      this.#swap.free(slot);
    }
    this.#strategy.pageFreed(fr);
    this.#frames.release(fr);
  }

  /** Takes `fr` out of the swap cache and frees its slot (which must have no references). */
  #dropSwapCache(fr: number): void {
    const slot = this.#frames.swap[fr]!;
    this.#swap.cache[slot] = NONE;
    this.#swap.free(slot);
    this.#frames.swap[fr] = NONE;
    this.#frames.flags[fr] = (this.#frames.flags[fr]! & ~PG.swapCache) | PG.dirty;
  }

  /** Drops one reference to swap slot `slot` (a swap PTE or an object entry went). */
  #slotPut(slot: number): void {
    const sw = this.#swap;
    if (--sw.refs[slot]! > 0) return;
    const fr = sw.cache[slot]!;
    if (fr === NONE) {
      sw.free(slot);
      return;
    }
    const fl = this.#frames.flags;
    if (this.#frames.mapcount[fr] === 0 && !(fl[fr]! & PG.pinned)) {
      fl[fr] = fl[fr]! & ~PG.swapCache;
      this.#frames.swap[fr] = NONE;
      sw.free(slot);
      if (fl[fr]! & PG.anon) this.#strategy.pageFreed(fr);
      this.#frames.release(fr);
    }
  }

  #swapFault(mm: Mm, vma: Vma, vpage: number, s: number, write: boolean): boolean {
    const c = this.counters;
    const slot = this.#pt.num[s]!;
    const sw = this.#swap;
    let fr = sw.cache[slot]!;
    let major = false;
    if (fr === NONE) {
      fr = this.#swapIn(slot, true);
      if (fr === NONE) {
        this.#oom(`swap-in at ${hex(vpage)}`);
        return false;
      }
      major = true;
    }
    const fl = this.#frames.flags;
    sw.refs[slot]!--;
    const exclusive = sw.refs[slot] === 0 && this.#frames.mapcount[fr] === 0;
    this.#prepare(vma);
    const fresh = (fl[fr]! & PG.anon) === 0;
    fl[fr] = fl[fr]! | PG.anon | PG.swapBacked | (exclusive ? PG.exclusive : 0);
    this.#frames.mapcount[fr]!++;
    mm.rss++;
    const wbit = exclusive && vma.writable ? W : 0;
    this.#setPte(s, P | A | wbit | this.#protBits(vma), fr);
    if (fresh) this.#strategy.newAnonPage(fr, vma, vpage, exclusive);
    else if (this.#tracks) this.#strategy.pteAdded(fr, vma, vpage);
    if (vma.locked && !(fl[fr]! & PG.mlocked)) {
      fl[fr]! |= PG.mlocked;
      this.#frames.lruMove(fr, LRU.unevictable);
    }
    c[major ? C.major_faults : C.minor_faults]!++;
    if (exclusive && (write || sw.full || vma.locked)) {
      // should_try_to_free_swap: the page leaves the swap cache and becomes dirty.
      this.#dropSwapCache(fr);
    }
    if (write) {
      if (wbit) {
        this.#pt.flags[s] = this.#pt.flags[s]! | D;
        return true;
      }
      return this.#wpFault(mm, vma, vpage, s, false);
    }
    return true;
  }

  /**
   * Reads swap slot `slot` into a new swap-cache frame, with readahead of the aligned cluster
   * around it (`around`). Returns the frame (unmapped, on the inactive anon list) or NONE.
   */
  #swapIn(slot: number, around: boolean): number {
    const sw = this.#swap;
    const fr = this.#allocFrame();
    if (fr === NONE) return NONE;
    this.#readSlot(slot, fr);
    if (!around) {
      this.counters[C.swap_io_requests]!++;
      return fr;
    }
    this.#frames.flags[fr]! |= PG.pinned;
    const d = sw.deviceOf(slot);
    const ws = d.base + ((slot - d.base) & ~(SWAP_CLUSTER - 1));
    const we = Math.min(ws + SWAP_CLUSTER, d.base + d.size);
    let runs = 0, prev = -2;
    for (let t = ws; t < we; t++) {
      let read = t === slot;
      if (
        !read && sw.inUse[t] && sw.cache[t] === NONE && sw.refs[t]! > 0 &&
        this.#frames.freeCount > this.#lowWater
      ) {
        const rf = this.#frames.alloc();
        if (rf !== NONE) {
          this.#readSlot(t, rf);
          read = true;
        }
      }
      if (read) {
        if (t !== prev + 1) runs++;
        prev = t;
      }
    }
    this.counters[C.swap_io_requests]! += runs;
    this.#frames.flags[fr]! &= ~PG.pinned;
    return fr;
  }

  #readSlot(slot: number, fr: number): void {
    this.#frames.flags[fr] = PG.swapBacked | PG.swapCache;
    this.#frames.swap[fr] = slot;
    this.#frames.stamp[fr] = this.#swap.stamp[slot]!;
    this.#swap.cache[slot] = fr;
    this.#frames.lruAdd(fr, LRU.inactiveAnon);
    this.counters[C.swap_in_pages]!++;
  }

  // ---------------------------------------------------------------- TLB flushes

  #flushPage(mm: Mm, vpage: number): void {
    this.counters[C.tlb_flushes]!++;
    this.#tlb.invalidate(mm.id, vpage);
  }

  #flushRange(mm: Mm, start: number, end: number): void {
    this.counters[C.tlb_flushes]!++;
    if (end - start <= FLUSH_CEILING) {
      for (let v = start; v < end; v++) this.#tlb.invalidate(mm.id, v);
    } else mm.tlbGen = (mm.tlbGen + 1) | 0;
  }

  #flushMm(mm: Mm): void {
    this.counters[C.tlb_flushes]!++;
    mm.tlbGen = (mm.tlbGen + 1) | 0;
  }

  // ---------------------------------------------------------------- frames and reclaim

  /** A free frame, reclaiming below the low watermark; NONE when none can be found. */
  #allocFrame(): number {
    const fr = this.#frames;
    if (fr.freeCount <= this.#lowWater && !this.#reclaiming) {
      this.#reclaim(this.#highWater - fr.freeCount);
    }
    let f = fr.alloc();
    if (f === NONE && !this.#reclaiming) {
      this.#reclaim(1);
      f = fr.alloc();
    }
    return f;
  }

  #ensureSwapDevice(): void {
    if (this.#defaultSwapPending) {
      this.#defaultSwapPending = false;
      this.#swap.add("swap", this.#cfg.swapPages, this.#nextPrio--);
    }
  }

  /** Writes frame `fr` to slot `slot` (counting pages and merged requests). */
  #writeSlot(fr: number, slot: number): void {
    this.#swap.stamp[slot] = this.#frames.stamp[fr]!;
    this.counters[C.swap_out_pages]!++;
    if (slot !== this.#ioLast + 1) this.counters[C.swap_io_requests]!++;
    this.#ioLast = slot;
  }

  /** Reclaims up to `target` frames; returns how many were freed. */
  #reclaim(target: number): number {
    if (target <= 0 || this.#reclaiming) return 0;
    this.#reclaiming = true;
    this.#ioLast = -2;
    this.#ensureSwapDevice();
    let got = 0;
    try {
      got = this.#strategy.hasRmap ? this.#shrinkLists(target) : this.#swapOutScan(target);
    } finally {
      this.#reclaiming = false;
    }
    return got;
  }

  #shrinkLists(target: number): number {
    const fr = this.#frames;
    let reclaimed = 0;
    const lruPages = () =>
      fr.lruSize[LRU.inactiveAnon]! + fr.lruSize[LRU.activeAnon]! + fr.lruSize[LRU.inactiveFile]! +
      fr.lruSize[LRU.activeFile]!;
    const limit = 4 * lruPages() + 64;
    let scanned = 0;
    while (reclaimed < target && scanned < limit) {
      const canSwap = this.#swap.used < this.#swap.total;
      if (fr.lruSize[LRU.inactiveFile]! < fr.lruSize[LRU.activeFile]!) {
        scanned += this.#shrinkActive(LRU.activeFile, LRU.inactiveFile);
      }
      if (fr.lruSize[LRU.inactiveAnon]! < fr.lruSize[LRU.activeAnon]!) {
        scanned += this.#shrinkActive(LRU.activeAnon, LRU.inactiveAnon);
      }
      let n = 0;
      for (let k = 0; k < SCAN_BATCH && reclaimed < target; k++) {
        const f = fr.lruTail[LRU.inactiveFile]!;
        if (f === NONE) break;
        n++;
        reclaimed += this.#shrinkPage(f, false);
      }
      for (let k = 0; k < SCAN_BATCH && reclaimed < target; k++) {
        const f = fr.lruTail[LRU.inactiveAnon]!;
        if (f === NONE) break;
        if (!canSwap && !(fr.flags[f]! & PG.swapCache)) {
          fr.lruMove(f, LRU.activeAnon);
          n++;
          continue;
        }
        n++;
        reclaimed += this.#shrinkPage(f, false);
      }
      if (n === 0) {
        // Nothing inactive: age the active lists wholesale, or give up.
        const moved = this.#shrinkActive(LRU.activeFile, LRU.inactiveFile) +
          this.#shrinkActive(LRU.activeAnon, LRU.inactiveAnon);
        if (moved === 0) break;
        n = moved;
      }
      scanned += n;
    }
    return reclaimed;
  }

  /** Moves up to a batch of pages from the tail of `active` to `inactive` (exec file pages stay). */
  #shrinkActive(active: number, inactive: number): number {
    const fr = this.#frames;
    let n = 0;
    for (let k = 0; k < SCAN_BATCH; k++) {
      const f = fr.lruTail[active]!;
      if (f === NONE) break;
      n++;
      if (fr.flags[f]! & PG.pinned) {
        fr.lruMove(f, active);
        continue;
      }
      if (fr.mapcount[f]! > 0) {
        const refs = this.#pageReferenced(f);
        if (this.#vLocked) {
          this.#mlockPage(f);
          continue;
        }
        if (refs > 0 && this.#vExec && active === LRU.activeFile) {
          fr.lruMove(f, active);
          continue;
        }
      }
      fr.flags[f] = fr.flags[f]! & ~PG.referenced;
      fr.lruMove(f, inactive);
    }
    return n;
  }

  #mlockPage(f: number): void {
    this.#frames.flags[f]! |= PG.mlocked;
    this.#frames.lruMove(f, LRU.unevictable);
  }

  #activate(f: number): void {
    const fl = this.#frames.flags[f]!;
    this.#frames.lruMove(f, (fl & PG.swapBacked) ? LRU.activeAnon : LRU.activeFile);
  }

  /**
   * shrink_folio_list for one page from an inactive list: second chance from the accessed bits
   * (through the rmap), then unmap, write and free. `force` (madvise pageout) skips the
   * references. Returns 1 when the frame was freed.
   */
  #shrinkPage(f: number, force: boolean): number {
    const frames = this.#frames;
    const fl = frames.flags;
    const flags = fl[f]!;
    if (flags & PG.pinned) {
      frames.lruMove(f, frames.lru[f]!);
      return 0;
    }
    if (flags & PG.mlocked) {
      this.#mlockPage(f);
      return 0;
    }
    const mapped = frames.mapcount[f]! > 0;
    if (!force) {
      const refs = mapped ? this.#pageReferenced(f) : 0;
      if (mapped && this.#vLocked) {
        this.#mlockPage(f);
        return 0;
      }
      const wasRef = (flags & PG.referenced) !== 0;
      if (refs > 0) {
        fl[f] = fl[f]! | PG.referenced;
        if (wasRef || refs > 1 || (this.#vExec && !(flags & PG.swapBacked))) this.#activate(f);
        else frames.lruMove(f, frames.lru[f]!);
        return 0;
      }
      fl[f] = fl[f]! & ~PG.referenced;
    }
    // A slot on a device being swapped off is given up rather than written again.
    if (
      (flags & PG.swapCache) && this.#swap.refs[frames.swap[f]!] === 0 &&
      this.#swap.deviceOf(frames.swap[f]!).removing
    ) {
      this.#dropSwapCache(f);
    }
    // Anonymous page not yet in the swap cache: give it a slot first.
    if ((fl[f]! & PG.anon) && !(fl[f]! & PG.swapCache)) {
      const slot = this.#swap.alloc(false);
      if (slot === NONE) {
        this.#activate(f);
        return 0;
      }
      fl[f] = fl[f]! | PG.swapCache | PG.dirty;
      frames.swap[f] = slot;
      this.#swap.cache[slot] = f;
    }
    if (mapped) {
      this.#unmapAll(f);
      if (frames.mapcount[f]! > 0) {
        if (this.#vLocked) this.#mlockPage(f);
        else this.#activate(f);
        return 0;
      }
    }
    return this.#reclaimUnmapped(f);
  }

  /**
   * Frees unmapped frame `f`: writes it back first when dirty (file) or not on swap (tmpfs, shm,
   * anon). Returns 1 when freed, 0 when it cannot be (no swap left).
   */
  #reclaimUnmapped(f: number): number {
    const frames = this.#frames;
    const fl = frames.flags;
    const flags = fl[f]!;
    const c = this.counters;
    if (flags & PG.pageCache) {
      const obj = this.#objById.get(frames.owner[f]!)!;
      const index = frames.index[f]!;
      if (obj.swapBacked) {
        const slot = this.#swap.alloc(obj.kind === "anon");
        if (slot === NONE) {
          this.#activate(f);
          return 0;
        }
        this.#writeSlot(f, slot);
        this.#swap.refs[slot] = 1;
        obj.swap.set(index, slot);
      } else if (flags & PG.dirty) {
        c[C.file_write_pages]!++;
        obj.disk.set(index, frames.stamp[f]!);
      }
      obj.pages.delete(index);
      frames.release(f);
      c[C.pages_reclaimed]!++;
      return 1;
    }
    if (flags & PG.swapCache) {
      const slot = frames.swap[f]!;
      if (flags & PG.dirty) this.#writeSlot(f, slot);
      this.#swap.cache[slot] = NONE;
      if (this.#swap.refs[slot] === 0) this.#swap.free(slot);
      if (flags & PG.anon) this.#strategy.pageFreed(f);
      frames.release(f);
      c[C.pages_reclaimed]!++;
      return 1;
    }
    // An unmapped anonymous page outside the swap cache does not survive unmapping.
    return 0;
  }

  /** Walks the rmap of mapped frame `f`, clearing accessed bits; returns how many were set. */
  #pageReferenced(f: number): number {
    this.#mode = Mode.Referenced;
    this.#vFrame = f;
    this.#vRefs = 0;
    this.#vLocked = false;
    this.#vExec = false;
    this.#strategy.rmapWalk(f, this.#visitor);
    return this.#vRefs;
  }

  /** Unmaps every PTE of `f` through the rmap (swap entries for swap-cache pages). */
  #unmapAll(f: number): void {
    this.#mode = Mode.Unmap;
    this.#vFrame = f;
    this.#vLocked = false;
    this.#vUnmapped = 0;
    const fl = this.#frames.flags[f]!;
    this.#vSlot = (fl & PG.anon) && (fl & PG.swapCache) ? this.#frames.swap[f]! : NONE;
    this.#strategy.rmapWalk(f, this.#visitor);
  }

  #visitVma(vma: Vma, vpage: number): boolean {
    const c = this.counters;
    c[C.rmap_vma_visits]!++;
    if (vpage < vma.start || vpage >= vma.end) {
      c[C.rmap_wasted_visits]!++;
      return false;
    }
    c[C.pte_walks]!++;
    const mm = vma.mm;
    const s = this.#pt.lookup(mm, vpage);
    const f = this.#vFrame;
    if (s < 0 || (this.#pt.flags[s]! & P) === 0 || this.#pt.num[s] !== f) {
      c[C.rmap_wasted_visits]!++;
      return false;
    }
    const pf = this.#pt.flags;
    switch (this.#mode) {
      case Mode.Referenced:
        if (vma.locked) {
          this.#vLocked = true;
          return true;
        }
        if (pf[s]! & A) {
          pf[s] = pf[s]! & ~A;
          this.#vRefs++;
          if (vma.prot & PROT_EXEC) this.#vExec = true;
        }
        return false;
      case Mode.Unmap: {
        if (vma.locked) {
          this.#vLocked = true;
          return true;
        }
        if (this.#tracks) this.#strategy.pteRemoved(f, vma, vpage);
        if (pf[s]! & D) this.#frames.flags[f]! |= PG.dirty;
        if (this.#vSlot !== NONE) {
          this.#setPte(s, PTE_SWAP, this.#vSlot);
          this.#swap.refs[this.#vSlot]!++;
        } else this.#setPte(s, 0, 0);
        this.#frames.mapcount[f]!--;
        mm.rss--;
        this.#vUnmapped++;
        this.#flushPage(mm, vpage);
        return this.#frames.mapcount[f] === 0;
      }
      case Mode.MkClean:
        if (pf[s]! & (W | D)) {
          pf[s] = pf[s]! & ~(D | (this.#writeNotify(vma) ? W : 0));
          this.#flushPage(mm, vpage);
        }
        return false;
      case Mode.Collect:
        this.#collect.push(mm.id, vpage);
        return false;
    }
  }

  /** The default rmap of page-cache pages: the areas of the object's i_mmap covering the index. */
  #walkObject(frame: number, visit: RmapVisitor): void {
    const obj = this.#objById.get(this.#frames.owner[frame]!);
    if (obj === undefined) return;
    const index = this.#frames.index[frame]!;
    for (const vma of obj.mappings) {
      if (index < vma.pgoff || index >= vma.pgoff + (vma.end - vma.start)) continue;
      if (visit.vma(vma, vma.addressOf(index))) return;
    }
  }

  /**
   * Linux 2.4's reclaim for the `scan` strategy: free unmapped cache pages, then walk the address
   * spaces' page tables round-robin (`swap_out`), giving accessed PTEs a second chance and
   * unmapping the others one at a time; a page is freed when its last PTE goes.
   */
  #swapOutScan(target: number): number {
    const frames = this.#frames;
    let reclaimed = 0;
    // shrink_cache: unmapped pages first, oldest first.
    for (const list of [LRU.inactiveFile, LRU.activeFile, LRU.inactiveAnon, LRU.activeAnon]) {
      let f = frames.lruTail[list]!;
      let budget = frames.lruSize[list]!;
      while (f !== NONE && reclaimed < target && budget-- > 0) {
        const prev = frames.lruPrev[f]!;
        const fl = frames.flags[f]!;
        if (frames.mapcount[f] === 0 && !(fl & (PG.pinned | PG.mlocked))) {
          reclaimed += this.#reclaimUnmapped(f);
        }
        f = prev;
      }
    }
    if (reclaimed >= target) return reclaimed;
    // swap_out: round-robin over address spaces by id, resuming where the last pass stopped.
    let rss = 0;
    for (const mm of this.#mms.values()) rss += mm.rss;
    let budget = 2 * rss + 512;
    const ids = [...this.#mms.keys()];
    if (ids.length === 0) return reclaimed;
    let k = ids.findIndex((id) => id >= this.#scanMm);
    if (k < 0) {
      k = 0;
      this.#scanPage = 0;
    } else if (ids[k] !== this.#scanMm) this.#scanPage = 0;
    let laps = 0;
    while (reclaimed < target && budget > 0 && laps <= ids.length * 2) {
      const mm = this.#mms.get(ids[k]!)!;
      this.#scanMm = mm.id;
      const r = this.#swapOutMm(mm, target - reclaimed, budget);
      reclaimed += r.freed;
      budget -= r.walked;
      if (r.done) {
        k = (k + 1) % ids.length;
        this.#scanMm = ids[k]!;
        this.#scanPage = 0;
        laps++;
      }
    }
    return reclaimed;
  }

  /** Scans `mm` from the cursor; `done` when it reached the end of the address space. */
  #swapOutMm(
    mm: Mm,
    want: number,
    budget: number,
  ): { freed: number; walked: number; done: boolean } {
    const frames = this.#frames;
    const pt = this.#pt;
    let freed = 0, walked = 0;
    for (let k = mm.lowerBound(this.#scanPage); k < mm.vmas.length; k++) {
      const vma = mm.vmas[k]!;
      if (vma.locked) continue;
      let v = Math.max(vma.start, this.#scanPage);
      while (v < vma.end) {
        const base = pt.pteBase(mm, v);
        if (base < 0) {
          v = Math.min(vma.end, pt.skipTo);
          continue;
        }
        const stop = Math.min(vma.end, (Math.floor(v / 512) + 1) * 512);
        for (; v < stop; v++) {
          const s = base + (v & 511);
          const f = pt.flags[s]!;
          if ((f & P) === 0) continue;
          const fr = pt.num[s]!;
          if (fr === ZERO_FRAME) continue;
          walked++;
          this.counters[C.pte_walks]!++;
          if (f & A) {
            pt.flags[s] = f & ~A;
            continue;
          }
          const fl = frames.flags[fr]!;
          if (fl & (PG.pinned | PG.mlocked)) continue;
          if ((fl & PG.anon) && !(fl & PG.swapCache)) {
            const slot = this.#swap.alloc(false);
            if (slot === NONE) continue;
            frames.flags[fr] = fl | PG.swapCache | PG.dirty;
            frames.swap[fr] = slot;
            this.#swap.cache[slot] = fr;
          }
          if (this.#tracks) this.#strategy.pteRemoved(fr, vma, v);
          if (f & D) frames.flags[fr]! |= PG.dirty;
          if (frames.flags[fr]! & PG.anon) {
            const slot = frames.swap[fr]!;
            this.#setPte(s, PTE_SWAP, slot);
            this.#swap.refs[slot]!++;
          } else this.#setPte(s, 0, 0);
          frames.mapcount[fr]!--;
          mm.rss--;
          this.#flushPage(mm, v);
          if (frames.mapcount[fr] === 0) freed += this.#reclaimUnmapped(fr);
          if (freed >= want || walked >= budget) {
            this.#scanPage = v + 1;
            return { freed, walked, done: false };
          }
        }
      }
    }
    return { freed, walked, done: true };
  }

  // ---------------------------------------------------------------- areas

  #mmap(mm: Mm, b: EventBatch, i: number): void {
    const start = b.page[i]!;
    const len = b.n1[i]!;
    const pages = Math.ceil(len / PAGE_SIZE);
    if (pages <= 0) {
      this.#warn(`mmap ${hex(start)}: length ${len} maps nothing`);
      return;
    }
    const small = b.small[i]!;
    const prot = small & PROT_MASK;
    const flags = (small >> FLAGS_SHIFT) & FLAGS_MASK;
    const sIdx = b.str[i]!;
    let obj: VmObject | null = null;
    let pgoff = start;
    if (sIdx >= 0) {
      obj = this.#object(b.strings[sIdx]!);
      pgoff = Math.floor(b.n2[i]! / PAGE_SIZE);
    } else if (flags & MAP_SHARED) {
      obj = new VmObject(this.#nextObj++, "anon", `anon:${this.#nextObj - 1}`, pages * PAGE_SIZE);
      this.#objById.set(obj.id, obj);
      pgoff = 0;
    }
    this.#unmapRange(mm, start, start + pages);
    const vflags = flags & (MAP_SHARED | MAP_PRIVATE | MAP_ANON | MAP_LOCKED | MAP_GROWSDOWN);
    const vma = new Vma(this.#nextVma++, mm, start, start + pages, prot, vflags, obj, pgoff);
    mm.insert(vma);
    obj?.mappings.add(vma);
    this.#strategy.vmaCreate(vma);
    this.#tryMerge(vma);
    if (flags & (MAP_POPULATE | MAP_LOCKED)) this.#populate(mm, start, start + pages);
  }

  /** The named object, created implicitly (unbounded) when used before `create`. */
  #object(name: string): VmObject {
    let o = this.#objects.get(name);
    if (o === undefined) {
      o = new VmObject(this.#nextObj++, VmObject.kindOf(name) ?? "file", name, Infinity);
      this.#objects.set(name, o);
      this.#objById.set(o.id, o);
    }
    return o;
  }

  /** Faults in `[start, end)` as GUP does: write faults for private writable areas. */
  #populate(mm: Mm, start: number, end: number): void {
    for (let v = start; v < end; v++) {
      const vma = mm.find(v);
      if (vma === null || vma.prot === 0) continue;
      if (vma.obj !== null && vma.linearIndex(v) * PAGE_SIZE >= vma.obj.size) continue;
      const write = vma.writable && !vma.shared;
      const s = this.#pt.ensure(mm, v);
      this.#ptPeak();
      const f = this.#pt.flags[s]!;
      if ((f & P) && (!write || (f & W))) continue;
      if (!this.#faultIn(mm, vma, v, s, write)) return;
    }
  }

  #compatible(a: Vma, b: Vma): boolean {
    return a.end === b.start && a.prot === b.prot && a.flags === b.flags && a.obj === b.obj &&
      b.pgoff === a.pgoff + (a.end - a.start) && this.#strategy.canMerge(a, b);
  }

  /** Merges `vma` with its neighbours where Linux would; returns the surviving area. */
  #tryMerge(vma: Vma): Vma {
    const mm = vma.mm;
    let k = mm.vmas.indexOf(vma);
    const prev = k > 0 ? mm.vmas[k - 1]! : null;
    if (prev !== null && this.#compatible(prev, vma)) {
      prev.end = vma.end;
      prev.anon ||= vma.anon;
      this.#strategy.vmaMerge(prev, vma);
      this.#removeVma(vma);
      vma = prev;
      k--;
    }
    const next = mm.vmas[k + 1];
    if (next !== undefined && this.#compatible(vma, next)) {
      vma.end = next.end;
      vma.anon ||= next.anon;
      this.#strategy.vmaMerge(vma, next);
      this.#removeVma(next);
    }
    mm.forgetLast();
    return vma;
  }

  #removeVma(vma: Vma): void {
    vma.mm.remove(vma);
    if (vma.obj !== null) {
      vma.obj.mappings.delete(vma);
      this.#maybeFreeObject(vma.obj);
    }
  }

  /** Splits `vma` at `at` (strictly inside); returns the new upper piece. */
  #split(vma: Vma, at: number): Vma {
    const created = new Vma(
      this.#nextVma++,
      vma.mm,
      at,
      vma.end,
      vma.prot,
      vma.flags,
      vma.obj,
      vma.pgoff + (at - vma.start),
    );
    created.anon = vma.anon;
    vma.end = at;
    vma.mm.insert(created);
    vma.mm.forgetLast();
    vma.obj?.mappings.add(created);
    this.#strategy.vmaSplit(vma, created);
    return created;
  }

  /** Splits areas at `start` and `end`; returns the areas inside `[start, end)`. */
  #isolate(mm: Mm, start: number, end: number): Vma[] {
    const a = mm.find(start);
    if (a !== null && a.start < start) this.#split(a, start);
    const b = mm.find(end);
    if (b !== null && b.start < end) this.#split(b, end);
    const out: Vma[] = [];
    for (let k = mm.lowerBound(start); k < mm.vmas.length; k++) {
      const v = mm.vmas[k]!;
      if (v.start >= end) break;
      out.push(v);
    }
    return out;
  }

  /** Zaps every PTE of `vma` in `[start, end)`. */
  #zapRange(vma: Vma, start: number, end: number): void {
    const pt = this.#pt;
    const mm = vma.mm;
    for (let v = start; v < end;) {
      const base = pt.pteBase(mm, v);
      if (base < 0) {
        v = Math.min(end, pt.skipTo);
        continue;
      }
      const stop = Math.min(end, (Math.floor(v / 512) + 1) * 512);
      for (; v < stop; v++) {
        const s = base + (v & 511);
        if (pt.flags[s] !== 0) this.#zapPte(vma, v, s);
      }
    }
  }

  #zapPte(vma: Vma, vpage: number, s: number): void {
    const f = this.#pt.flags[s]!;
    const n = this.#pt.num[s]!;
    if (f & P) {
      if (n !== ZERO_FRAME) {
        if (this.#tracks) this.#strategy.pteRemoved(n, vma, vpage);
        if (f & D) this.#frames.flags[n]! |= PG.dirty;
        this.#setPte(s, 0, 0);
        vma.mm.rss--;
        this.#unmapFrame(n);
        return;
      }
    } else if (f & PTE_SWAP) {
      this.#setPte(s, 0, 0);
      this.#slotPut(n);
      return;
    }
    this.#setPte(s, 0, 0);
  }

  /** munmap: returns false when nothing was mapped in the range. */
  #unmapRange(mm: Mm, start: number, end: number): boolean {
    if (!mm.overlaps(start, end)) return false;
    const vs = this.#isolate(mm, start, end);
    for (const v of vs) this.#zapRange(v, v.start, v.end);
    for (const v of vs) {
      this.#strategy.vmaUnlink(v);
      this.#removeVma(v);
    }
    this.#flushRange(mm, start, end);
    if (this.#pt.freeUnused(mm, start, end) > 0) mm.tlbGen = (mm.tlbGen + 1) | 0;
    return true;
  }

  #mprotect(mm: Mm, start: number, end: number, prot: number): void {
    if (!mm.overlaps(start, end)) {
      this.#warn(`mprotect ${hex(start)}: nothing mapped there`);
      return;
    }
    const vs = this.#isolate(mm, start, end);
    const pt = this.#pt;
    let changed = false;
    for (const vma of vs) {
      vma.prot = prot;
      const bits = this.#protBits(vma);
      const notify = this.#writeNotify(vma);
      for (let v = vma.start; v < vma.end;) {
        const base = pt.pteBase(mm, v);
        if (base < 0) {
          v = Math.min(vma.end, pt.skipTo);
          continue;
        }
        const stop = Math.min(vma.end, (Math.floor(v / 512) + 1) * 512);
        for (; v < stop; v++) {
          const s = base + (v & 511);
          const f = pt.flags[s]!;
          if ((f & P) === 0) continue;
          let nf = (f & (P | A | D | W)) | bits;
          if (!(prot & PROT_WRITE)) nf &= ~W;
          else if (!(f & W)) {
            const fr = pt.num[s]!;
            const pf = this.#frames.flags[fr]!;
            if (
              vma.shared ? (!notify || (f & D)) : (fr !== ZERO_FRAME && (pf & PG.anon) &&
                (pf & PG.exclusive))
            ) nf |= W;
          }
          if (nf !== f) {
            pt.flags[s] = nf;
            changed = true;
          }
        }
      }
    }
    if (changed) this.#flushRange(mm, start, end);
    for (const v of vs) if (mm.vmas.includes(v)) this.#tryMerge(v);
  }

  #mlock(mm: Mm, start: number, end: number, lock: boolean): void {
    if (!mm.overlaps(start, end)) {
      this.#warn(`${lock ? "mlock" : "munlock"} ${hex(start)}: nothing mapped there`);
      return;
    }
    const vs = this.#isolate(mm, start, end);
    for (const v of vs) v.flags = lock ? v.flags | MAP_LOCKED : v.flags & ~MAP_LOCKED;
    if (lock) this.#populate(mm, start, end);
    const pt = this.#pt;
    const frames = this.#frames;
    for (const vma of vs) {
      for (let v = vma.start; v < vma.end;) {
        const base = pt.pteBase(mm, v);
        if (base < 0) {
          v = Math.min(vma.end, pt.skipTo);
          continue;
        }
        const stop = Math.min(vma.end, (Math.floor(v / 512) + 1) * 512);
        for (; v < stop; v++) {
          const s = base + (v & 511);
          if ((pt.flags[s]! & P) === 0) continue;
          const fr = pt.num[s]!;
          if (fr === ZERO_FRAME) continue;
          const fl = frames.flags[fr]!;
          if (lock && !(fl & PG.mlocked)) this.#mlockPage(fr);
          else if (!lock && (fl & PG.mlocked)) {
            frames.flags[fr] = fl & ~PG.mlocked;
            frames.lruMove(fr, (fl & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
          }
        }
      }
    }
    for (const v of vs) if (mm.vmas.includes(v)) this.#tryMerge(v);
  }

  #madvise(mm: Mm, start: number, end: number, advice: number): void {
    if (!mm.overlaps(start, end)) {
      this.#warn(`madvise ${hex(start)}: nothing mapped there`);
      return;
    }
    const k0 = mm.lowerBound(start);
    const vs: Vma[] = [];
    for (let k = k0; k < mm.vmas.length && mm.vmas[k]!.start < end; k++) vs.push(mm.vmas[k]!);
    if (advice === ADVICE_DONTNEED || advice === ADVICE_PAGEOUT) {
      const pageout: number[] = [];
      for (const vma of vs) {
        if (vma.locked) {
          this.#warn(`madvise ${hex(start)}: locked area at ${hex(vma.start)} (EINVAL)`);
          break;
        }
        const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
        if (advice === ADVICE_DONTNEED) this.#zapRange(vma, s, e);
        else this.#collectPageout(vma, s, e, pageout);
      }
      if (advice === ADVICE_DONTNEED) this.#flushRange(mm, start, end);
      else this.#pageout(mm, pageout);
      return;
    }
    // willneed: read what the range will need into the page cache or swap cache, unmapped.
    for (const vma of vs) {
      const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
      if (vma.obj !== null) {
        const obj = vma.obj;
        for (let v = s; v < e; v++) {
          const idx = vma.linearIndex(v);
          if (idx * PAGE_SIZE >= obj.size) break;
          if (obj.pages.has(idx)) continue;
          if (!obj.swapBacked) {
            if (this.#readFilePage(obj, idx) === NONE) return;
          } else {
            const slot = obj.swap.get(idx);
            if (slot !== undefined && this.#swap.cache[slot] === NONE) {
              if (this.#swapIn(slot, false) === NONE) return;
            }
          }
        }
      } else {
        for (let v = s; v < e; v++) {
          const sl = this.#pt.lookup(mm, v);
          if (sl < 0 || !(this.#pt.flags[sl]! & PTE_SWAP)) continue;
          const slot = this.#pt.num[sl]!;
          if (this.#swap.cache[slot] === NONE && this.#swapIn(slot, false) === NONE) return;
        }
      }
    }
  }

  /** Frames of `[s, e)` of `vma` that madvise pageout may reclaim: mapped once, not locked. */
  #collectPageout(vma: Vma, s: number, e: number, out: number[]): void {
    for (let v = s; v < e; v++) {
      const sl = this.#pt.lookup(vma.mm, v);
      if (sl < 0 || !(this.#pt.flags[sl]! & P)) continue;
      const fr = this.#pt.num[sl]!;
      if (fr === ZERO_FRAME || this.#frames.mapcount[fr] !== 1) continue;
      if (this.#frames.flags[fr]! & PG.mlocked) continue;
      out.push(fr, v);
    }
  }

  #pageout(mm: Mm, list: number[]): void {
    this.#reclaiming = true;
    this.#ioLast = -2;
    this.#ensureSwapDevice();
    try {
      for (let k = 0; k < list.length; k += 2) {
        const fr = list[k]!, v = list[k + 1]!;
        if (this.#frames.isFree(fr)) continue;
        if (this.#strategy.hasRmap) this.#shrinkPage(fr, true);
        else this.#pageoutDirect(mm, v, fr);
      }
    } finally {
      this.#reclaiming = false;
    }
  }

  /** madvise pageout without an rmap: the page's only PTE is known. */
  #pageoutDirect(mm: Mm, v: number, fr: number): void {
    const s = this.#pt.lookup(mm, v);
    if (s < 0 || this.#pt.num[s] !== fr || !(this.#pt.flags[s]! & P)) return;
    const vma = mm.find(v)!;
    const frames = this.#frames;
    let fl = frames.flags[fr]!;
    if ((fl & PG.anon) && !(fl & PG.swapCache)) {
      const slot = this.#swap.alloc(false);
      if (slot === NONE) return;
      fl = fl | PG.swapCache | PG.dirty;
      frames.flags[fr] = fl;
      frames.swap[fr] = slot;
      this.#swap.cache[slot] = fr;
    }
    if (this.#tracks) this.#strategy.pteRemoved(fr, vma, v);
    if (this.#pt.flags[s]! & D) frames.flags[fr]! |= PG.dirty;
    if (fl & PG.anon) {
      this.#setPte(s, PTE_SWAP, frames.swap[fr]!);
      this.#swap.refs[frames.swap[fr]!]!++;
    } else this.#setPte(s, 0, 0);
    frames.mapcount[fr]!--;
    mm.rss--;
    this.#flushPage(mm, v);
    this.counters[C.pte_walks]!++;
    this.#reclaimUnmapped(fr);
  }

  #msync(mm: Mm, start: number, end: number): void {
    if (!mm.overlaps(start, end)) {
      this.#warn(`msync ${hex(start)}: nothing mapped there (ENOMEM)`);
      return;
    }
    for (let k = mm.lowerBound(start); k < mm.vmas.length && mm.vmas[k]!.start < end; k++) {
      const vma = mm.vmas[k]!;
      if (!vma.shared || vma.obj === null || vma.obj.kind !== "file") continue;
      const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
      for (let v = s; v < e; v++) {
        const sl = this.#pt.lookup(mm, v);
        if (sl < 0 || !(this.#pt.flags[sl]! & P)) continue;
        const fr = this.#pt.num[sl]!;
        if ((this.#pt.flags[sl]! & D) || (this.#frames.flags[fr]! & PG.dirty)) {
          this.#writeback(fr);
        }
      }
    }
  }

  /** Writes dirty file page `fr` to its file and cleans its PTEs (`page_mkclean`). */
  #writeback(fr: number): void {
    const obj = this.#objById.get(this.#frames.owner[fr]!)!;
    this.counters[C.file_write_pages]!++;
    obj.disk.set(this.#frames.index[fr]!, this.#frames.stamp[fr]!);
    this.#frames.flags[fr]! &= ~PG.dirty;
    if (this.#frames.mapcount[fr]! > 0) {
      this.#mode = Mode.MkClean;
      this.#vFrame = fr;
      this.#walkObject(fr, this.#visitor);
    }
  }

  #mremap(mm: Mm, old: number, oldPages: number, dst: number, newPages: number): void {
    const what = `mremap ${hex(old)}`;
    const first = mm.find(old);
    if (first === null || oldPages === 0 || newPages === 0) {
      this.#warn(`${what}: ${first === null ? "nothing mapped there" : "zero length"} (EFAULT)`);
      return;
    }
    // The old range must lie in one area (or in areas Linux would have merged).
    let k = mm.vmas.indexOf(first);
    let last = first;
    while (last.end < old + oldPages) {
      const next = mm.vmas[++k];
      if (
        next === undefined || next.start !== last.end || next.prot !== last.prot ||
        next.flags !== last.flags || next.obj !== last.obj ||
        (next.obj !== null && next.pgoff !== last.pgoff + (last.end - last.start))
      ) {
        this.#warn(`${what}: the range is not one mapping (EFAULT)`);
        return;
      }
      last = next;
    }
    if (dst !== old && dst < old + oldPages && old < dst + newPages) {
      this.#warn(`${what}: new range overlaps the old one (EINVAL)`);
      return;
    }
    if (newPages < oldPages) {
      this.#unmapRange(mm, old + newPages, old + oldPages);
      oldPages = newPages;
    }
    let pieces = this.#isolate(mm, old, old + oldPages);
    if (dst !== old) {
      this.#unmapRange(mm, dst, dst + newPages);
      const moved: Vma[] = [];
      for (const p of pieces) moved.push(this.#moveVma(p, dst - old));
      this.#flushRange(mm, old, old + oldPages);
      if (this.#pt.freeUnused(mm, old, old + oldPages) > 0) mm.tlbGen = (mm.tlbGen + 1) | 0;
      pieces = moved;
    } else if (newPages > oldPages) {
      this.#unmapRange(mm, old + oldPages, old + newPages);
    }
    const tail = pieces[pieces.length - 1]!;
    const grownFrom = tail.end;
    tail.end = dst + newPages;
    mm.forgetLast();
    for (const p of pieces) if (mm.vmas.includes(p)) this.#tryMerge(p);
    if (newPages > oldPages && tail.locked) this.#populate(mm, grownFrom, dst + newPages);
  }

  /** Moves area `p` by `delta` pages, carrying its PTEs (move_page_tables). */
  #moveVma(p: Vma, delta: number): Vma {
    const mm = p.mm;
    const moved = new Vma(
      this.#nextVma++,
      mm,
      p.start + delta,
      p.end + delta,
      p.prot,
      p.flags,
      p.obj,
      p.pgoff,
    );
    moved.anon = p.anon;
    mm.insert(moved);
    moved.obj?.mappings.add(moved);
    this.#strategy.vmaMove(p, moved);
    const pt = this.#pt;
    const c = this.counters;
    for (let v = p.start; v < p.end;) {
      const base = pt.pteBase(mm, v);
      if (base < 0) {
        v = Math.min(p.end, pt.skipTo);
        continue;
      }
      const stop = Math.min(p.end, (Math.floor(v / 512) + 1) * 512);
      for (; v < stop; v++) {
        const s = base + (v & 511);
        const f = pt.flags[s]!;
        if (f === 0) continue;
        const n = pt.num[s]!;
        const nv = v + delta;
        const ds = pt.ensure(mm, nv);
        this.#ptPeak();
        const isSwap = (f & PTE_SWAP) !== 0;
        const frame = isSwap ? NONE : n;
        // Every PTE but the zero page's is reported (pte_chain rewrites its entry for file pages
        // too); only anonymous pages and swap entries may be copied instead of moved.
        const cached = isSwap ? NONE : this.#frames.swap[n]!;
        const slotShared = isSwap
          ? this.#swap.refs[n]! > 1
          : cached !== NONE && this.#swap.refs[cached]! > 0;
        if (
          frame !== ZERO_FRAME &&
          this.#strategy.movePte(frame, slotShared, p, v, moved, nv) &&
          (isSwap || (this.#frames.flags[n]! & PG.anon)) &&
          this.#copyForMove(p, v, s, moved, nv, ds)
        ) {
          c[C.mremap_pages_copied]!++;
          continue;
        }
        pt.flags[ds] = pt.flags[s]!;
        pt.num[ds] = pt.num[s]!;
        this.#setPte(s, 0, 0);
        c[C.mremap_ptes_moved]!++;
      }
    }
    this.#strategy.vmaUnlink(p);
    this.#removeVma(p);
    return moved;
  }

  /** anonmm's mremap: a private copy at the new place instead of the shared page. */
  #copyForMove(p: Vma, v: number, s: number, moved: Vma, nv: number, ds: number): boolean {
    const pt = this.#pt;
    const f = pt.flags[s]!;
    let src = pt.num[s]!;
    if (f & PTE_SWAP) {
      const cached = this.#swap.cache[src]!;
      if (cached !== NONE) src = cached;
      else {
        const r = this.#swapIn(src, false);
        if (r === NONE) return false;
        src = r;
      }
    }
    this.#frames.flags[src]! |= PG.pinned;
    this.#prepare(moved);
    const nf = this.#allocFrame();
    this.#frames.flags[src]! &= ~PG.pinned;
    if (nf === NONE) return false;
    const stamp = this.#frames.stamp[src]!;
    if (f & PTE_SWAP) {
      const slot = pt.num[s]!;
      this.#setPte(s, 0, 0);
      this.#slotPut(slot);
    } else {
      if (this.#tracks) this.#strategy.pteRemoved(src, p, v);
      this.#setPte(s, 0, 0);
      this.#unmapFrame(src);
      p.mm.rss--;
    }
    const fl = this.#frames.flags;
    fl[nf] = PG.anon | PG.swapBacked | PG.dirty | PG.exclusive;
    this.#frames.stamp[nf] = stamp;
    this.#frames.mapcount[nf] = 1;
    moved.mm.rss++;
    this.#setPte(ds, P | A | D | (moved.writable ? W : 0) | this.#protBits(moved), nf);
    this.#strategy.newAnonPage(nf, moved, nv, true);
    this.#lruAddNew(nf, moved);
    return true;
  }

  // ---------------------------------------------------------------- processes

  #fork(parent: Mm): Mm {
    const child = this.#newMm(parent);
    const pt = this.#pt;
    const frames = this.#frames;
    const c = this.counters;
    let copied = false;
    for (const pv of parent.vmas) {
      const cv = new Vma(
        this.#nextVma++,
        child,
        pv.start,
        pv.end,
        pv.prot,
        pv.flags & ~MAP_LOCKED,
        pv.obj,
        pv.pgoff,
      );
      cv.anon = pv.anon;
      child.vmas.push(cv);
      pv.obj?.mappings.add(cv);
      this.#strategy.vmaFork(pv, cv);
      if (!pv.anon) continue;
      const cow = !pv.shared;
      for (let v = pv.start; v < pv.end;) {
        const base = pt.pteBase(parent, v);
        if (base < 0) {
          v = Math.min(pv.end, pt.skipTo);
          continue;
        }
        const stop = Math.min(pv.end, (Math.floor(v / 512) + 1) * 512);
        let cbase = -1; // the child's PTE table for this block, made on the first PTE to copy
        let pf = pt.flags, pn = pt.num;
        for (; v < stop; v++) {
          const s = base + (v & 511);
          const f = pf[s]!;
          if (f === 0) continue;
          if (cbase < 0) {
            cbase = pt.ensure(child, v) - (v & 511);
            pf = pt.flags;
            pn = pt.num;
          }
          const n = pn[s]!;
          const cs = cbase + (v & 511);
          let cf = f & ~A;
          if (f & P) {
            if (n !== ZERO_FRAME) {
              if (cow && (f & W)) {
                pf[s] = f & ~W;
                cf &= ~W;
                copied = true;
              }
              frames.flags[n] = frames.flags[n]! & ~PG.exclusive;
              frames.mapcount[n]!++;
              child.rss++;
            }
          } else if (f & PTE_SWAP) {
            this.#swap.refs[n]!++;
          }
          pf[cs] = cf;
          pn[cs] = n;
          c[C.fork_ptes_copied]!++;
          if (this.#tracks && (f & P) && n !== ZERO_FRAME) this.#strategy.pteAdded(n, cv, v);
        }
      }
    }
    this.#ptPeak();
    if (copied) this.#flushMm(parent);
    return child;
  }

  /** One user of `mm` is gone; the last tears it down (exit_mmap). */
  #dropMm(mm: Mm): void {
    if (--mm.users > 0) return;
    for (const v of mm.vmas) this.#zapRange(v, v.start, v.end);
    for (const v of [...mm.vmas]) {
      this.#strategy.vmaUnlink(v);
      this.#removeVma(v);
    }
    this.#pt.destroy(mm);
    this.#strategy.mmDestroy(mm);
    this.#mms.delete(mm.id);
    if (this.#lastMm === mm) {
      this.#lastMm = null;
      this.#lastPid = -1;
    }
    this.counters[C.tlb_flushes]!++;
  }

  // ---------------------------------------------------------------- objects

  #objectEvent(b: EventBatch, i: number, op: number, seq: number): void {
    const name = b.strings[b.str[i]!] ?? "";
    switch (op) {
      case OP.create: {
        const size = b.n1[i]!;
        const o = this.#objects.get(name);
        if (o === undefined) {
          const n = new VmObject(this.#nextObj++, VmObject.kindOf(name) ?? "file", name, size);
          this.#objects.set(name, n);
          this.#objById.set(n.id, n);
        } else this.#truncate(o, size);
        return;
      }
      case OP.truncate:
        this.#truncate(this.#object(name), b.n1[i]!);
        return;
      case OP.read:
      case OP.write:
        this.#rw(this.#object(name), b.n1[i]!, b.n2[i]!, op === OP.write, seq);
        return;
      case OP.unlink: {
        const o = this.#objects.get(name);
        if (o === undefined) {
          this.#warn(`unlink ${name}: no such object`);
          return;
        }
        this.#objects.delete(name);
        o.named = false;
        this.#maybeFreeObject(o);
        return;
      }
      case OP.fsync: {
        const o = this.#objects.get(name);
        if (o === undefined) {
          this.#warn(`fsync ${name}: no such object`);
          return;
        }
        if (o.swapBacked) return;
        for (const fr of [...o.pages.values()]) {
          if (this.#frames.flags[fr]! & PG.dirty) this.#writeback(fr);
        }
        return;
      }
    }
  }

  /** read(2) / write(2) of `[off, off+len)` through the page cache. */
  #rw(obj: VmObject, off: number, len: number, write: boolean, seq: number): void {
    if (len <= 0) return;
    let end = off + len;
    if (!write) end = Math.min(end, obj.size);
    if (end <= off) return;
    const first = Math.floor(off / PAGE_SIZE);
    const last = Math.floor((end - 1) / PAGE_SIZE);
    for (let idx = first; idx <= last; idx++) {
      let fr = obj.pages.get(idx);
      if (fr === undefined) {
        if (!obj.swapBacked) {
          const full = write && off <= idx * PAGE_SIZE && end >= (idx + 1) * PAGE_SIZE;
          if (full) {
            fr = this.#allocFrame();
            if (fr === NONE) return this.#oom(`write ${obj.name}`);
            this.#frames.flags[fr] = PG.pageCache;
            this.#frames.owner[fr] = obj.id;
            this.#frames.index[fr] = idx;
            obj.pages.set(idx, fr);
            this.#lruAddNew(fr, null);
          } else {
            fr = this.#readFilePage(obj, idx);
            if (fr === NONE) return this.#oom(`${write ? "write" : "read"} ${obj.name}`);
          }
        } else if (write || obj.swap.has(idx)) {
          fr = this.#getPage(obj, idx, false);
          if (fr === NONE) return this.#oom(`${write ? "write" : "read"} ${obj.name}`);
        } else continue; // a tmpfs hole reads as zeros without a page
      }
      this.#markAccessed(fr);
      if (write) {
        this.#frames.stamp[fr] = seq;
        this.#frames.flags[fr]! |= PG.dirty;
      }
    }
    if (write && end > obj.size) obj.size = end;
  }

  /** mark_page_accessed: a second touch of an inactive page activates it. */
  #markAccessed(fr: number): void {
    const fl = this.#frames.flags[fr]!;
    const l = this.#frames.lru[fr]!;
    if ((fl & PG.referenced) && (l === LRU.inactiveAnon || l === LRU.inactiveFile)) {
      this.#frames.flags[fr] = fl & ~PG.referenced;
      this.#activate(fr);
    } else this.#frames.flags[fr] = fl | PG.referenced;
  }

  /** Sets `obj`'s size; pages past it vanish from the cache, swap and every mapping. */
  #truncate(obj: VmObject, size: number): void {
    const oldSize = obj.size;
    obj.size = size;
    if (size >= oldSize) return;
    const keep = Math.ceil(size / PAGE_SIZE);
    for (const vma of obj.mappings) {
      const from = Math.max(vma.start, vma.addressOf(keep));
      if (from >= vma.end) continue;
      this.#zapRange(vma, from, vma.end);
      this.#flushRange(vma.mm, from, vma.end);
    }
    for (const [idx, fr] of [...obj.pages]) {
      if (idx < keep) continue;
      obj.pages.delete(idx);
      this.#frames.release(fr);
    }
    for (const [idx, slot] of [...obj.swap]) {
      if (idx < keep) continue;
      obj.swap.delete(idx);
      this.#slotPut(slot);
    }
    for (const idx of [...obj.disk.keys()]) if (idx >= keep) obj.disk.delete(idx);
  }

  /** Frees an object nothing keeps alive: its cached pages and swap entries. */
  #maybeFreeObject(obj: VmObject): void {
    if (!obj.orphan) return;
    for (const fr of obj.pages.values()) this.#frames.release(fr);
    obj.pages.clear();
    for (const slot of obj.swap.values()) this.#slotPut(slot);
    obj.swap.clear();
    this.#objById.delete(obj.id);
  }

  // ---------------------------------------------------------------- swap devices

  #swapon(b: EventBatch, i: number): void {
    const name = b.strings[b.str[i]!] ?? "";
    const pages = Math.floor(b.n1[i]! / PAGE_SIZE);
    if (this.#swap.find(name) !== undefined) {
      this.#warn(`swapon ${name}: already enabled`);
      return;
    }
    if (pages <= 0) {
      this.#warn(`swapon ${name}: size ${b.n1[i]} holds no page`);
      return;
    }
    this.#defaultSwapPending = false;
    const prio = (b.small[i]! & HAS_PRIO) ? b.n2[i]! : this.#nextPrio--;
    this.#swap.add(name, pages, prio);
  }

  /**
   * swapoff: every page on `d` comes back: objects' pages, then every swap PTE (try_to_unuse).
   * Reclaim during the pass may push a page back to a slot of `d` it still caches, so passes
   * repeat until the device is empty (or a pass makes no progress).
   */
  #swapoff(d: SwapDevice): void {
    d.removing = true;
    this.#ioLast = -2;
    let before = Infinity;
    while (d.used > 0 && d.used < before) {
      before = d.used;
      if (!this.#unusePass(d)) return this.#swapoffFailed(d);
    }
    if (d.used > 0) {
      this.#warn(`swapoff ${d.name}: ${d.used} slots still in use`);
      d.removing = false;
      return;
    }
    this.#swap.remove(d);
  }

  /** One pass of try_to_unuse over `d`; false when memory ran out. */
  #unusePass(d: SwapDevice): boolean {
    const sw = this.#swap;
    const lo = d.base, hi = d.base + d.size;
    const inDev = (slot: number) => slot >= lo && slot < hi;
    // shmem_unuse: objects, mapped or not.
    for (const obj of [...this.#objById.values()]) {
      for (const [idx, slot] of [...obj.swap]) {
        if (!inDev(slot)) continue;
        if (this.#getPageForSwapoff(obj, idx) === NONE) return false;
      }
    }
    // unuse_mm: every address space's page tables.
    const pt = this.#pt;
    for (const mm of [...this.#mms.values()]) {
      for (const vma of [...mm.vmas]) {
        if (!vma.anon || !mm.vmas.includes(vma)) continue;
        for (let v = vma.start; v < vma.end;) {
          const base = pt.pteBase(mm, v);
          if (base < 0) {
            v = Math.min(vma.end, pt.skipTo);
            continue;
          }
          const stop = Math.min(vma.end, (Math.floor(v / 512) + 1) * 512);
          for (; v < stop; v++) {
            const s = base + (v & 511);
            this.counters[C.pte_walks]!++;
            const f = pt.flags[s]!;
            if (!(f & PTE_SWAP) || !inDev(pt.num[s]!)) continue;
            if (!this.#unusePte(mm, vma, v, s)) return false;
          }
        }
      }
    }
    // Swap-cache pages left (readahead, or mapped pages still backed by the slot).
    for (let slot = lo; slot < hi; slot++) {
      if (!sw.inUse[slot]) continue;
      const fr = sw.cache[slot]!;
      if (fr === NONE || sw.refs[slot]! > 0) continue;
      if (this.#frames.mapcount[fr] === 0) {
        sw.cache[slot] = NONE;
        sw.free(slot);
        if (this.#frames.flags[fr]! & PG.anon) this.#strategy.pageFreed(fr);
        this.#frames.release(fr);
      } else this.#dropSwapCache(fr);
    }
    return true;
  }

  #swapoffFailed(d: SwapDevice): void {
    d.removing = false;
    this.#oom(`swapoff ${d.name}`);
  }

  #getPageForSwapoff(obj: VmObject, idx: number): number {
    const fr = this.#getPage(obj, idx, false);
    if (fr !== NONE) this.#frames.flags[fr]! |= PG.dirty;
    return fr;
  }

  /** unuse_pte: maps the page of a swap PTE back (read-only, as `vm_page_prot`). */
  #unusePte(mm: Mm, vma: Vma, v: number, s: number): boolean {
    const sw = this.#swap;
    const slot = this.#pt.num[s]!;
    let fr = sw.cache[slot]!;
    if (fr === NONE) {
      fr = this.#swapIn(slot, false);
      if (fr === NONE) return false;
      s = this.#pt.lookup(mm, v);
    }
    sw.refs[slot]!--;
    const fl = this.#frames.flags;
    const fresh = (fl[fr]! & PG.anon) === 0;
    const exclusive = sw.refs[slot] === 0 && this.#frames.mapcount[fr] === 0;
    fl[fr] = fl[fr]! | PG.anon | (exclusive ? PG.exclusive : 0);
    this.#frames.mapcount[fr]!++;
    mm.rss++;
    this.#setPte(s, P | this.#protBits(vma), fr);
    if (fresh) this.#strategy.newAnonPage(fr, vma, v, exclusive);
    else if (this.#tracks) this.#strategy.pteAdded(fr, vma, v);
    if (sw.refs[slot] === 0) this.#dropSwapCache(fr);
    return true;
  }

  // ---------------------------------------------------------------- check

  #runCheck(): void {
    const saved = this.counters.slice();
    this.#checking = true;
    const errors = checkInvariants({
      frames: this.#frames,
      pt: this.#pt,
      swap: this.#swap,
      mms: [...this.#mms.values()],
      objects: [...this.#objById.values()],
      hasRmap: this.#strategy.hasRmap,
      rmapOf: (fr) => {
        this.#mode = Mode.Collect;
        this.#vFrame = fr;
        this.#collect = [];
        this.#strategy.rmapWalk(fr, this.#visitor);
        return this.#collect;
      },
    });
    this.counters.set(saved);
    this.#checking = false;
    for (const message of errors) {
      this.#checkErrors++;
      this.#cfg.onDiagnostic?.({ kind: "check", line: this.#line, message });
    }
  }
}

function hex(vpage: number): string {
  return "0x" + (BigInt(vpage) * 4096n).toString(16);
}

function opName(op: number): string {
  return op === OP.w ? "w" : op === OP.x ? "x" : "r";
}

function protName(prot: number): string {
  return (prot & 1 ? "r" : "-") + (prot & 2 ? "w" : "-") + (prot & 4 ? "x" : "-");
}
