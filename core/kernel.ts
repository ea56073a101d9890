/**
 * The machine's state, shared by the modules that implement it (`access.ts`, `areas.ts`,
 * `reclaim.ts`, ...): frames, page tables, TLB, swap, the strategy, processes and objects, plus
 * the small helpers every part uses (diagnostics, PTE bits, TLB flushes, LRU placement).
 *
 * Internal: the public face is `Machine` (`machine.ts`).
 *
 * @module
 */
import { C } from "./counters.ts";
import { FrameTable, LRU, NONE, PG } from "./frames.ts";
import type { MachineConfig } from "./machine.ts";
import type { Mm } from "./mm.ts";
import type { VmObject } from "./object.ts";
import { Op, Prot } from "../uapi/event.ts";
import { PageTables } from "./page_table.ts";
import { PTE_ACCESSED, PTE_DIRTY, PTE_NOACCESS, PTE_NX, PTE_PRESENT, PTE_WRITE } from "./pte.ts";
import { strategyInfo } from "./rmap/registry.ts";
import type { RmapContext, RmapStrategy, RmapVisitor } from "./rmap/strategy.ts";
import { SwapSpace } from "./swap.ts";
import { FLUSH_CEILING, Tlb } from "./tlb.ts";
import { withDefaults } from "../uapi/knobs.ts";
import type { Vma } from "./vma.ts";

/** Default TLB size. */
export const DEFAULT_TLB_ENTRIES = 1536;
/** Pages of file read-around on a major fault (`ra_pages`, 128 KiB). */
export const READ_AROUND = 32;
/** Pages mapped by one fault-around (`fault_around_bytes` 64 KiB). */
export const FAULT_AROUND = 16;
/** Swap readahead cluster in pages (`page-cluster` 3). */
export const SWAP_CLUSTER = 8;
/** Pages reclaim takes from a list per round (`SWAP_CLUSTER_MAX`). */
export const SCAN_BATCH = 32;

/** Pids below this are looked up in an array (`Kernel.mmByPid`) rather than the `procs` Map. */
export const PID_CACHE = 65536;

/** Why an access faults with a segv (`Kernel.segvAccess`): no area, no permission, past the end. */
export const SEGV_UNMAPPED = 0, SEGV_PROT = 1, SEGV_BUS = 2;

/** Short names of the PTE bits used everywhere. */
export const P = PTE_PRESENT, W = PTE_WRITE, A = PTE_ACCESSED, D = PTE_DIRTY;

/** What the rmap visitor does with each PTE it finds. */
export const Mode = { Referenced: 0, Unmap: 1, MkClean: 2, Collect: 3 } as const;
/** One of {@linkcode Mode}. */
export type Mode = typeof Mode[keyof typeof Mode];

/** The PTE work of rmap walks, supplied by `reclaim.ts` (kept out of this module's imports). */
export interface KernelHooks {
  visitVma(k: Kernel, vma: Vma, vpage: number): boolean;
  walkObject(k: Kernel, frame: number, visit: RmapVisitor): void;
}

/** The state of one machine. */
export class Kernel {
  readonly cfg: MachineConfig;
  /** Whether read faults of private anonymous memory may map the zero page (`zero_page`). */
  readonly zeroPage: boolean;
  readonly counters: Float64Array;
  readonly frames: FrameTable;
  readonly pt: PageTables = new PageTables(256);
  readonly tlb: Tlb;
  readonly swap: SwapSpace = new SwapSpace();
  readonly strategy: RmapStrategy;
  /** Whether the strategy wants `pteAdded`/`pteRemoved` (they cost a call per PTE). */
  readonly tracks: boolean;
  /** Processes and threads by pid. */
  readonly procs: Map<number, Mm> = new Map();
  /** Live address spaces by id (creation order). */
  readonly mms: Map<number, Mm> = new Map();
  /** Objects by name. */
  readonly objects: Map<string, VmObject> = new Map();
  /** Every live object by id (unnamed ones included), in creation order; see `addObject`. */
  readonly objById: Map<number, VmObject> = new Map();
  /** The same objects in an array indexed by id (a lookup per reclaimed page-cache page). */
  readonly objAt: (VmObject | undefined)[] = [];
  readonly record: boolean;
  readonly check: boolean;
  /** Events between two checks of the invariants (`MachineConfig.checkEvery`). */
  readonly checkEvery: number;
  checkErrors = 0;
  /** Checks of the invariants run so far. */
  checks = 0;
  /** Events applied since the last check. */
  sinceCheck = 0;
  /** Line of the event after which the invariants were last checked, and held (0: none yet). */
  checkedLine = 0;
  nextVma = 1;
  nextMm = 1;
  nextObj = 1;
  /** The strategy's metadata, bytes. */
  meta = 0;
  readonly lowWater: number;
  readonly highWater: number;
  /** The `swap` device of `swapPages` is still to be made (no swapon came yet). */
  defaultSwapPending: boolean;
  /** True while `check` walks the rmap for its comparison (strategies then count nothing). */
  checking = false;
  nextPrio = -1;
  /** Line of the event being applied. */
  line = 0;
  /** Pid of the event being applied (0: a system event), which its reports name. */
  pid = 0;
  lastPid = -1;
  lastMm: Mm | null = null;
  /**
   * `procs` for pids below {@linkcode PID_CACHE}, filled by `mmOf` (an array index is cheaper
   * than a Map lookup on every access of interleaved processes); see {@linkcode Kernel.forgetPid}.
   */
  readonly mmByPid: (Mm | undefined)[] = [];
  reclaiming = false;
  /** Last slot written in this reclaim pass (request merging). */
  ioLast = -2;
  /** `scan`'s swap_out cursor: address space id and page. */
  scanMm = 0;
  scanPage = 0;
  /**
   * Segv diagnostics still to report (`segvReports` of the configuration, when given: a caller
   * that keeps only the first few diagnostics saves building the others' messages); every segv
   * is counted all the same.
   */
  segvLeft: number;
  /** Whether the last `getPage` waited for I/O. */
  major = false;
  // rmap visitor state
  mode: Mode = Mode.Referenced;
  vFrame = 0;
  vRefs = 0;
  vLocked = false;
  vExec = false;
  vSlot: number = NONE;
  vUnmapped = 0;
  collect: number[] = [];
  readonly visitor: RmapVisitor;
  readonly ctx: RmapContext;
  /** Pages and stamps the last r/x event loaded (with `recordLoads`). */
  loadCount = 0;
  loadVpage: Float64Array = new Float64Array(16);
  loadStamp: Float64Array = new Float64Array(16);

  /** Makes the state; throws a RangeError for impossible options or an unknown strategy. */
  constructor(cfg: MachineConfig, counters: Float64Array, hooks: KernelHooks) {
    const mem = cfg.memPages;
    if (!Number.isInteger(mem) || mem < 1 || mem > 2 ** 30) {
      throw new RangeError(`Machine memPages: expected an integer in 1..2^30, found ${mem}`);
    }
    if (!Number.isInteger(cfg.swapPages) || cfg.swapPages < 0 || cfg.swapPages > 2 ** 30) {
      throw new RangeError(
        `Machine swapPages: expected an integer in 0..2^30, found ${cfg.swapPages}`,
      );
    }
    this.cfg = cfg;
    this.counters = counters;
    this.frames = new FrameTable(mem);
    this.tlb = new Tlb(cfg.tlbEntries ?? DEFAULT_TLB_ENTRIES);
    this.record = cfg.recordLoads === true;
    this.zeroPage = withDefaults(cfg.vm).zero_page;
    this.check = cfg.check === true;
    const every = cfg.checkEvery ?? 1;
    if (!Number.isInteger(every) || every < 1) {
      throw new RangeError(`Machine checkEvery: expected a positive integer, found ${every}`);
    }
    this.checkEvery = every;
    const reports = (cfg as MachineConfig & { segvReports?: number }).segvReports;
    if (reports !== undefined && !(reports >= 0)) {
      throw new RangeError(`Machine segvReports: expected a number >= 0, found ${reports}`);
    }
    this.segvLeft = reports ?? Infinity;
    // Watermarks: min_free_kbytes = sqrt(16 * KiB), clamped, at most 1/32 of memory.
    const minKb = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(mem * 4 * 16))));
    const min = Math.max(1, Math.min(Math.floor(minKb / 4), Math.floor(mem / 32)));
    const delta = Math.max(1, min >> 2, Math.floor(mem / 1000));
    this.lowWater = min + delta;
    this.highWater = min + 2 * delta;
    this.defaultSwapPending = cfg.swapPages > 0;
    const sa = cfg.sharedAnonSwapPages ?? 0;
    if (sa > 0) this.swap.add("shared-anon", sa, 32767, true);
    this.visitor = {
      vma: (vma, vpage) => hooks.visitVma(this, vma, vpage),
      mm: (mm, vpage) => {
        const vma = mm.find(vpage);
        if (vma === null) {
          this.counters[C.rmap_vma_visits]!++;
          this.counters[C.rmap_wasted_visits]!++;
          return false;
        }
        return hooks.visitVma(this, vma, vpage);
      },
    };
    const isChecking = () => this.checking;
    this.ctx = {
      frames: this.frames,
      counters: this.counters,
      addMeta: (bytes) => {
        this.meta += bytes;
        if (this.meta > this.counters[C.rmap_meta_bytes_peak]!) {
          this.counters[C.rmap_meta_bytes_peak] = this.meta;
        }
      },
      walkObject: (frame, visit) => hooks.walkObject(this, frame, visit),
      mms: () => this.mms.values(),
      get checking() {
        return isChecking();
      },
    };
    this.strategy = strategyInfo(cfg.strategy).create(this.ctx);
    this.tracks = this.strategy.tracksPtes !== false;
  }

  /** Registers a new object under its id (`objById`, `objAt`). */
  addObject(o: VmObject): void {
    this.objById.set(o.id, o);
    this.objAt[o.id] = o;
  }

  /** Forgets a freed object. */
  removeObject(o: VmObject): void {
    this.objById.delete(o.id);
    this.objAt[o.id] = undefined;
  }

  /** Removes `pid` from `procs` (exit, exec) and from the caches of `mmOf`. */
  forgetPid(pid: number): void {
    this.procs.delete(pid);
    if (pid >= 0 && pid < PID_CACHE) this.mmByPid[pid] = undefined;
    if (this.lastPid === pid) this.lastPid = -1;
  }

  warn(message: string): void {
    this.counters[C.warnings]!++;
    this.cfg.onDiagnostic?.({ kind: "warning", line: this.line, message: this.#who() + message });
  }

  segv(message: string): void {
    this.counters[C.segv]!++;
    this.cfg.onDiagnostic?.({ kind: "segv", line: this.line, message: this.#who() + message });
  }

  /** `pid N: ` for a report about a process's event; nothing for a system event (pid `-`). */
  #who(): string {
    return this.pid > 0 ? `pid ${this.pid}: ` : "";
  }

  /**
   * Counts the segv of access `op` at `vpage` and reports it when wanted (see
   * {@linkcode Kernel.segvLeft}): `why` {@linkcode SEGV_UNMAPPED}, {@linkcode SEGV_PROT} (not
   * allowed by `vma`'s protection) or {@linkcode SEGV_BUS} (past the end of `vma`'s object). The
   * message is built only when reported: a trace can hold many segvs, and a run keeps a few.
   */
  segvAccess(op: number, vpage: number, why: number, vma: Vma | null): void {
    this.counters[C.segv]!++;
    const report = this.cfg.onDiagnostic;
    if (report === undefined || this.segvLeft <= 0) return;
    this.segvLeft--;
    const what = `${this.#who()}${opName(op)} ${hex(vpage)}`;
    const message = why === SEGV_UNMAPPED || vma === null
      ? `${what}: no mapping`
      : why === SEGV_PROT
      ? `${what}: not permitted by ${protName(vma.prot)}`
      : `${what}: past the end of ${vma.obj?.name} (SIGBUS)`;
    report({ kind: "segv", line: this.line, message });
  }

  oom(what: string): void {
    this.warn(`${what}: out of memory (no frame left after reclaim)`);
  }

  ptPeak(): void {
    if (this.pt.live > this.counters[C.page_table_pages_peak]!) {
      this.counters[C.page_table_pages_peak] = this.pt.live;
    }
  }

  /** PTE protection bits an area implies (beyond present/write). */
  protBits(vma: Vma): number {
    return ((vma.prot & Prot.exec) ? 0 : PTE_NX) | (vma.prot === 0 ? PTE_NOACCESS : 0);
  }

  setPte(s: number, flags: number, num: number): void {
    this.pt.flags[s] = flags;
    this.pt.num[s] = num;
  }

  lruAddNew(fr: number, vma: Vma | null): void {
    const fl = this.frames.flags[fr]!;
    if (vma !== null && vma.locked) {
      this.frames.flags[fr] = fl | PG.mlocked;
      this.frames.lruAdd(fr, LRU.unevictable);
    } else {
      this.frames.lruAdd(fr, (fl & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
    }
  }

  prepare(vma: Vma): void {
    if (!vma.anon) {
      this.strategy.anonPrepare(vma);
      vma.anon = true;
    }
  }

  /** True when a shared writable `file:` mapping must catch the first write (dirty tracking). */
  writeNotify(vma: Vma): boolean {
    return vma.shared && vma.obj !== null && vma.obj.kind === "file";
  }

  /** PTE bits for mapping a page-cache page into `vma` without a write. */
  cacheBits(vma: Vma): number {
    const w = vma.shared && vma.writable && !this.writeNotify(vma) ? W : 0;
    return P | w | this.protBits(vma);
  }

  flushPage(mm: Mm, vpage: number): void {
    this.counters[C.tlb_flushes]!++;
    this.tlb.invalidate(mm.id, vpage);
  }

  flushRange(mm: Mm, start: number, end: number): void {
    this.counters[C.tlb_flushes]!++;
    if (end - start <= FLUSH_CEILING) {
      for (let v = start; v < end; v++) this.tlb.invalidate(mm.id, v);
    } else mm.tlbGen = (mm.tlbGen + 1) | 0;
  }

  flushMm(mm: Mm): void {
    this.counters[C.tlb_flushes]!++;
    mm.tlbGen = (mm.tlbGen + 1) | 0;
  }

  ensureSwapDevice(): void {
    if (this.defaultSwapPending) {
      this.defaultSwapPending = false;
      this.swap.add("swap", this.cfg.swapPages, this.nextPrio--);
    }
  }

  /** Writes frame `fr` to slot `slot` (counting pages and merged requests). */
  writeSlot(fr: number, slot: number): void {
    this.swap.stamp[slot] = this.frames.stamp[fr]!;
    this.counters[C.swap_out_pages]!++;
    if (slot !== this.ioLast + 1) this.counters[C.swap_io_requests]!++;
    this.ioLast = slot;
  }

  mlockPage(f: number): void {
    this.frames.flags[f]! |= PG.mlocked;
    this.frames.lruMove(f, LRU.unevictable);
  }

  activate(f: number): void {
    const fl = this.frames.flags[f]!;
    this.frames.lruMove(f, (fl & PG.swapBacked) ? LRU.activeAnon : LRU.activeFile);
  }
}

/** A virtual page as an address, for messages. */
export function hex(vpage: number): string {
  // Exact in doubles below 2^41 pages (addresses below 2^53); BigInt only above.
  if (vpage >= 0 && vpage < 2 ** 41) return "0x" + (vpage * 4096).toString(16);
  return "0x" + (BigInt(vpage) * 4096n).toString(16);
}

/** `r`, `w` or `x`, for messages. */
export function opName(op: number): string {
  return op === Op.w ? "w" : op === Op.x ? "x" : "r";
}

/** A protection as in the trace (`rw-`), for messages. */
export function protName(prot: number): string {
  return (prot & 1 ? "r" : "-") + (prot & 2 ? "w" : "-") + (prot & 4 ? "x" : "-");
}
