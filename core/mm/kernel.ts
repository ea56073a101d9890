/**
 * The machine's state, which every part of it reads and changes: frames, page tables, TLB, swap,
 * the strategy and its reverse-map walker, processes, address spaces and objects, and the
 * bookkeeping of the event being applied.
 *
 * Internal: the public face is `Machine` (`machine.ts`).
 *
 * @module
 */
import type { MachineConfig } from "../config.ts";
import { C } from "../counters.ts";
import { FrameTable, watermarks } from "./frames.ts";
import type { Mm } from "./mm.ts";
import type { VmObject } from "./object.ts";
import { PageTables } from "./page_table.ts";
import { A } from "./pte.ts";
import { Reporter } from "./report.ts";
import { strategyInfo } from "../rmap/registry.ts";
import type { RmapContext, RmapStrategy } from "../rmap/strategy.ts";
import { RmapWalker } from "./rmap_walk.ts";
import { SwapSpace } from "./swap.ts";
import { DEFAULT_TLB_ENTRIES, Tlb } from "./tlb.ts";
import { withDefaults } from "../../uapi/knobs.ts";

/** Pids below this are looked up in an array (`Kernel.mmByPid`) rather than the `procs` Map. */
export const PID_CACHE = 65536;

/** Slot-based swap readahead's history (statics of Linux's `mm/swap_state.c`). */
export interface SlotReadahead {
  /** Readahead hits since the last window (`swapin_readahead_hits`). */
  hits: number;
  /** Device offset of the last readahead that had no hits (`prev_offset`). */
  prevOffset: number;
  /** Pages of the last window (`last_readahead_pages`). */
  lastPages: number;
}

/** The state of one machine. */
export class Kernel {
  readonly cfg: MachineConfig;
  /** Whether read faults of private anonymous memory may map the zero page (`zero_page`). */
  readonly zeroPage: boolean;
  /** Swap readahead reads at most 2^pageCluster pages (`page_cluster`). */
  readonly pageCluster: number;
  /** Anonymous swap-ins read ahead by virtual address (`vma_ra`), else by slot. */
  readonly vmaRa: boolean;
  /** Memory is a memory cgroup's limit (`memcg`): no watermarks, reclaim when it is full. */
  readonly memcg: boolean;
  /** Pages a major fault on a file mapping reads around it (`read_ahead_kb` / 4). */
  readonly raPages: number;
  /** Disk files get large folios from readahead, and faults map them whole (`large_folios`). */
  readonly largeFolios: boolean;
  /** Reclaim's balance of anonymous against file pages, 0..200 (`swappiness`). */
  readonly swappiness: number;
  /** Pages reclaim scans while a swap write is in flight (`write_latency`; `memcg_reclaim.ts`). */
  readonly writeLatency: number;
  /**
   * The accessed bit (`A`) when a TLB hit sets it (`accessed_on_hit`), else 0: a load that hits
   * then sets nothing, a store only where its PTE is not yet dirty (the hardware walks to set the
   * dirty bit, and sets both).
   */
  readonly hitAccessed: number;
  /**
   * Reclaim frees a page it writes to swap only once the write completes (`memcg` with a strategy
   * that has a reverse map; `writeback.ts`).
   */
  readonly lateWriteback: boolean;
  /** Frames reclaim wrote whose writes have not completed (`lateWriteback`; `writeback.ts`). */
  readonly inFlight: number[] = [];
  /**
   * The scan clock (`scanClock`) by which each write of `inFlight` completes: Infinity while a
   * plug still holds it (`writeback.ts`).
   */
  readonly inFlightAt: number[] = [];
  /**
   * Pages memory cgroup reclaim has scanned so far: the clock its writes complete by (a write
   * completes once reclaim has scanned `writeLatency` more pages after it was sent;
   * `memcg_reclaim.ts`).
   */
  scanClock = 0;
  /**
   * A memory cgroup reclaim pass (`shrink_lruvec`, under its `blk_start_plug`) is running outside
   * a swap readahead's plug: the swap writes it starts wait in its plug (`writeback.ts`).
   */
  passPlug = false;
  /**
   * The requests waiting in the plug (the pass's or a swap readahead's): how many, the pages of
   * the first and of the last, the last one's last slot and whether it writes (`writeback.ts`).
   */
  plugRequests = 0;
  plugFirstSize = 0;
  plugLastSize = 0;
  plugLastSlot = -2;
  plugLastWrite = true;
  /** The pages of each write request the plug holds, oldest first (`writeback.ts`). */
  readonly plugWrites: number[] = [];
  /**
   * A swap readahead is submitting its reads (`blk_start_plug`): the writes reclaim starts
   * meanwhile wait in its plug, behind its first read (`swap_in.ts`).
   */
  plugged = false;
  /** Evictions and refault activations so far (`nonresident_age`; `workingset.ts`). */
  nrAge = 0;
  /**
   * The memory cgroup's statistics as reclaim and refault detection read them
   * (`lruvec_page_state`): the LRU lists' sizes (by `LRU` number) and, at `STAT_REFAULTS_ANON` and
   * `STAT_REFAULTS_FILE` (`workingset.ts`), the refault activations, as of the cgroup's last flush
   * of its statistics. Linux flushes them every 2 seconds; vmreplay has no clock and takes a trace
   * to run in a new cgroup for less than that: they stay 0 (`memcg_reclaim.ts`).
   */
  readonly memcgStat: Float64Array = new Float64Array(8);
  /** The flushed refault activations when the last memory cgroup reclaim ended (`snapshot_refaults`). */
  snapRefaultsAnon = 0;
  /** The same for file pages. */
  snapRefaultsFile = 0;
  /** Recent reclaim cost of anonymous pages (`lruvec->anon_cost`; `noteCost` in `lru.ts`). */
  anonCost = 0;
  /** Recent reclaim cost of file pages (`lruvec->file_cost`). */
  fileCost = 0;
  /** Slot-based swap readahead's history, machine-wide (`swap_in.ts`). */
  readonly slotRa: SlotReadahead = { hits: 0, prevOffset: 0, lastPages: 0 };
  readonly counters: Float64Array;
  readonly frames: FrameTable;
  readonly pt: PageTables = new PageTables(256);
  readonly tlb: Tlb;
  readonly swap: SwapSpace = new SwapSpace();
  readonly strategy: RmapStrategy;
  /** Whether the strategy wants `pteAdded`/`pteRemoved` (they cost a call per PTE). */
  readonly tracks: boolean;
  /** Whether the strategy's rmap walks page-cache pages too (`walksFilePages`). */
  readonly fileRmap: boolean;
  /** The reverse-map walks, and the visitor the strategy reports mappings to. */
  readonly walker: RmapWalker;
  /** Counts and reports segvs and warnings, naming the event being applied. */
  readonly report: Reporter;
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
  /** Record what each r/x event loads (`recordLoads`). */
  readonly record: boolean;
  /** Check the invariants (`check`). */
  readonly check: boolean;
  /** Events between two checks of the invariants (`MachineConfig.checkEvery`). */
  readonly checkEvery: number;
  /** True while `check` walks the rmap for its comparison (strategies then count nothing). */
  checking = false;
  nextVma = 1;
  nextMm = 1;
  nextObj = 1;
  /** The strategy's metadata, bytes. */
  meta = 0;
  /** Free frames below which an allocation reclaims (see `watermarks`; 0 with `memcg`). */
  readonly lowWater: number;
  /** Free frames such a reclaim aims for. */
  readonly highWater: number;
  /** The pid whose address space `lastMm` is (-1: none), as `mmOf` last found it. */
  lastPid = -1;
  lastMm: Mm | null = null;
  /**
   * `procs` for pids below {@linkcode PID_CACHE}, filled by `mmOf` (an array index is cheaper
   * than a Map lookup on every access of interleaved processes); see {@linkcode Kernel.forgetPid}.
   */
  readonly mmByPid: (Mm | undefined)[] = [];
  /** A reclaim pass is running (allocations then take no part in it). */
  reclaiming = false;
  /**
   * A write(2) is in progress: reclaim it enters does not wait for the flusher it wakes
   * (`flushDirtyFiles`), as measured on Linux 6.18 (docs/machine.md).
   */
  inFileWrite = false;
  /** Last slot written in this reclaim pass (request merging). */
  ioLast = -2;
  /** `scan`'s swap_out cursor: address space id and page. */
  scanMm = 0;
  scanPage = 0;
  /** Whether the last `getPage` waited for I/O. */
  major = false;
  /**
   * A populate (`populate.ts`: mlock, MAP_POPULATE, MAP_LOCKED) is faulting pages in: a fault
   * that waits for a read counts as minor (`countFault` in `fault.ts`).
   */
  populating = false;
  /** Pages and stamps the last r/x event loaded (with `recordLoads`). */
  loadCount = 0;
  loadVpage: Float64Array = new Float64Array(16);
  loadStamp: Float64Array = new Float64Array(16);

  /** Makes the state; throws a RangeError for impossible options or an unknown strategy. */
  constructor(cfg: MachineConfig, counters: Float64Array) {
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
    this.tlb = new Tlb(cfg.tlbEntries ?? DEFAULT_TLB_ENTRIES, counters);
    this.record = cfg.recordLoads === true;
    const vm = withDefaults(cfg.vm);
    this.zeroPage = vm.zero_page;
    this.pageCluster = vm.page_cluster;
    this.vmaRa = vm.vma_ra;
    this.memcg = vm.memcg;
    this.raPages = Math.floor(vm.read_ahead_kb / 4);
    this.largeFolios = vm.large_folios;
    this.swappiness = vm.swappiness;
    this.writeLatency = vm.write_latency;
    this.hitAccessed = vm.accessed_on_hit ? A : 0;
    this.check = cfg.check === true;
    const every = cfg.checkEvery ?? 1;
    if (!Number.isInteger(every) || every < 1) {
      throw new RangeError(`Machine checkEvery: expected a positive integer, found ${every}`);
    }
    this.checkEvery = every;
    const reports = (cfg as MachineConfig & { segvReports?: number }).segvReports;
    this.report = new Reporter(counters, cfg.onDiagnostic, reports);
    // A memory cgroup has no watermarks: memory fills to its limit (see allocFrame).
    ({ low: this.lowWater, high: this.highWater } = this.memcg
      ? { low: 0, high: 0 }
      : watermarks(mem));
    this.swap.pending = cfg.swapPages;
    const sa = cfg.sharedAnonSwapPages ?? 0;
    if (sa > 0) this.swap.add("shared-anon", sa, 32767, true);
    this.walker = new RmapWalker(this);
    const isChecking = () => this.checking;
    const ctx: RmapContext = {
      frames: this.frames,
      counters: this.counters,
      addMeta: (bytes) => {
        this.meta += bytes;
        if (this.meta > this.counters[C.rmap_meta_bytes_peak]!) {
          this.counters[C.rmap_meta_bytes_peak] = this.meta;
        }
      },
      walkObject: (frame, visit) => this.walker.walkObject(frame, visit),
      mms: () => this.mms.values(),
      get checking() {
        return isChecking();
      },
    };
    this.strategy = strategyInfo(cfg.strategy).create(ctx);
    this.tracks = this.strategy.tracksPtes !== false;
    this.fileRmap = this.strategy.walksFilePages === true;
    this.lateWriteback = this.memcg && this.strategy.hasRmap;
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

  /** Raises `page_table_pages_peak` to the page-table pages in use, if more. */
  ptPeak(): void {
    if (this.pt.live > this.counters[C.page_table_pages_peak]!) {
      this.counters[C.page_table_pages_peak] = this.pt.live;
    }
  }
}
