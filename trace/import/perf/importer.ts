/**
 * Importing `perf script` output of a page-fault recording (see `command.ts` for the exact
 * `perf record` and `perf script` commands) into vmtrace events.
 *
 * Every page fault the program tree took (`exceptions:page_fault_user`, and
 * `exceptions:page_fault_kernel` at user addresses: the kernel writing to a buffer of the
 * program) becomes an access of its page by its thread: `w` when the error code's bit 1 is set,
 * `x` for bit 4 (instruction fetch), else `r`. The faults a program takes are the accesses that
 * matter to a VM design (first touches, copy-on-write, swap-ins); replayed, they fault where the
 * kernel faulted.
 *
 * Mappings come from two sources. The mapping system calls (`syscalls:sys_enter_*` with their
 * `sys_exit_*`: mmap, munmap, mremap, mprotect, pkey_mprotect, madvise, brk, mlock, mlock2,
 * munlock, mlockall, munlockall, msync) become the same operations as in an strace trace, by the
 * strace importer's handlers; the MMAP2 record perf writes during an `mmap` names its file. MMAP2
 * records outside those calls are the mappings the kernel makes itself: at `exec` the program,
 * its interpreter, the stack, the vdso and vvar pages, later the stack's growth; each is mapped
 * (`[stack]` as `growsdown`, `[vdso]` as the shared object `tmpfs:[vdso]`, so that a fork child
 * faults on it again as Linux's does; other `[...]` areas as anonymous memory). A fault just
 * below a `growsdown` area grows it; a fault anywhere else outside every known area maps the
 * `areaSize` block around it, with a warning.
 *
 * Processes: `PERF_RECORD_FORK` with `task:task_newtask`'s clone flags make `fork` (no
 * `CLONE_VM`) or `clone` (threads, and `vfork`/`posix_spawn` children, which share the address
 * space until they exec); `PERF_RECORD_COMM exec` is `exec`; `PERF_RECORD_EXIT` is `exit`. A
 * vmtrace PID is the kernel's thread id.
 *
 * @module
 */
import { EventBatch } from "../../batch.ts";
import { type Event, MapFlag, PAGE_SIZE } from "../../event.ts";
import { type Area, AreaMap, eventOfArea, type PageRange } from "../area_map.ts";
import { ImportError, type ImportStats, newImportStats, recordWarning } from "../import_stats.ts";
import { inferArea } from "../inferred_areas.ts";
import { type ByteSource, readerOf } from "../../_io.ts";
import { LineReader } from "../../_lines.ts";
import {
  type CallContext,
  hex,
  makeProc,
  mappedParts,
  MEMORY_SYSCALLS,
  type Mm,
  objectForPath,
  objectState,
  pageSpan,
  type Proc,
  sanitize,
} from "../strace/_context.ts";
import {
  brkCall,
  lockAllCall,
  madviseCall,
  mmapCall,
  mprotectCall,
  mremapCall,
  munmapCall,
  rangeCall,
} from "../strace/calls.ts";
import {
  type EnterRecord,
  type ExitRecord,
  type FaultRecord,
  type ForkRecord,
  type MmapRecord,
  parsePerfScriptLine,
} from "./line.ts";

/** Options of {@linkcode PerfImporter}. */
export interface PerfImportOptions {
  /** Input name used in messages (default `perf`). */
  name?: string;
  /** Size in bytes of the block mapped around a fault outside every known area (default 1 MiB). */
  areaSize?: number;
}

/** The system calls whose `sys_enter_*`/`sys_exit_*` pairs the importer acts on. */
export const PERF_SYSCALLS: readonly string[] = MEMORY_SYSCALLS;
const HANDLED = new Set(PERF_SYSCALLS);

const CLONE_VM = 0x100;
const WRITE = 0x2;
const FETCH = 0x10;
/** How far below a `growsdown` area a fault still grows it (Linux's default stack limit). */
const STACK_REACH_PAGES = (8 << 20) / PAGE_SIZE;
/** `madvise` advice numbers, by the names the strace importer's handler knows. */
const ADVICE_NAMES: Record<number, string> = {
  0: "MADV_NORMAL",
  1: "MADV_RANDOM",
  2: "MADV_SEQUENTIAL",
  3: "MADV_WILLNEED",
  4: "MADV_DONTNEED",
  8: "MADV_FREE",
  9: "MADV_REMOVE",
  10: "MADV_DONTFORK",
  11: "MADV_DOFORK",
  12: "MADV_MERGEABLE",
  13: "MADV_UNMERGEABLE",
  14: "MADV_HUGEPAGE",
  15: "MADV_NOHUGEPAGE",
  16: "MADV_DONTDUMP",
  17: "MADV_DODUMP",
  18: "MADV_WIPEONFORK",
  19: "MADV_KEEPONFORK",
  20: "MADV_COLD",
  21: "MADV_PAGEOUT",
  22: "MADV_POPULATE_READ",
  23: "MADV_POPULATE_WRITE",
  24: "MADV_DONTNEED_LOCKED",
  25: "MADV_COLLAPSE",
};

/** A mapping system call between its `sys_enter` and its `sys_exit`. */
interface Window {
  name: string;
  args: string[];
  line: number;
  /** The MMAP2 records the call produced (an mmap's names its file). */
  mmaps: MmapRecord[];
}

/**
 * Turns `perf script` output, line by line, into vmtrace events. Feed every line with
 * {@linkcode PerfImporter.feed}, then call {@linkcode PerfImporter.finish}; both return the events
 * produced so far (the same array, emptied on each call).
 *
 * @example
 * ```ts
 * import { PerfImporter } from "./importer.ts";
 * const imp = new PerfImporter();
 * const lines = [
 *   "7/7 PERF_RECORD_COMM exec: app:7/7",
 *   "7/7 PERF_RECORD_MMAP2 7/7: [0x7ffd0000(0x21000) @ 0x7ffffffde000 00:00 0 0]: rw-p [stack]",
 *   "7/7 exceptions:page_fault_user: address=0x7ffd0100 ip=0x401000 error_code=0x6",
 *   "7/7 PERF_RECORD_FORK(8:8):(7:7)",
 *   "7/7 task:task_newtask: pid=8 comm=app clone_flags=1200011 oom_score_adj=0",
 *   "8/8 exceptions:page_fault_user: address=0x7ffd0100 ip=0x401000 error_code=0x7",
 *   "8/8 PERF_RECORD_EXIT(8:8):(7:7)",
 * ];
 * const ops = lines.flatMap((l, i) => imp.feed(l, i + 1).map((e) => `${e.pid} ${e.op}`));
 * if (ops.join(",") !== "7 mmap,7 w,7 fork,8 w,8 exit") throw new Error(ops.join(","));
 * ```
 */
export class PerfImporter {
  /** Counts and warnings. */
  readonly stats: ImportStats = newImportStats();
  #name: string;
  #areaPages: number;
  #procs = new Map<number, Proc>();
  #windows = new Map<number, Window>();
  /** Children whose FORK came before their clone flags: child → parent. */
  #pendingForks = new Map<number, number>();
  /** Clone flags that came before their FORK: child → flags. */
  #flags = new Map<number, number>();
  #out: Event[] = [];
  #line = 0;
  #ctx: CallContext;
  /** The object the current `mmap` call maps (from its MMAP2 record). */
  #mmapObject: string | null = null;
  #unnamed = new Set<string>();

  /** Makes an importer; see {@linkcode PerfImportOptions}. */
  constructor(opts: PerfImportOptions = {}) {
    this.#name = opts.name ?? "perf";
    this.#areaPages = Math.max(1, Math.ceil((opts.areaSize ?? 1 << 20) / PAGE_SIZE));
    this.#ctx = {
      emit: (ev) => this.#emit(ev),
      warn: (message) => this.#warn(message),
      fail: (message) => {
        throw new ImportError(this.#name, this.#line, message);
      },
      who: (pid) => `PID ${pid}`,
      mapped: (proc, name, addr, len) => this.#mapped(proc, name, addr, len),
      touchRange: () => {},
      touchAreas: () => {},
      objectForFd: (proc, fd) => this.#objectForFd(proc, fd),
      mapArea: (proc, area, ev) => {
        this.#emit(ev);
        proc.mm.areas.map(area);
      },
      ...objectState(this.stats),
    };
  }

  /** Processes one line (1-based number `lineNo`); returns the events it produced. */
  feed(text: string, lineNo: number): Event[] {
    this.#out.length = 0;
    this.#line = lineNo;
    this.stats.lines++;
    const r = parsePerfScriptLine(text);
    if (r === null) {
      const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
      throw new ImportError(
        this.#name,
        lineNo,
        `expected a 'perf script' line (PID/TID or COMM TID [CPU] TIME:, then an event such as ` +
          `exceptions:page_fault_user: or PERF_RECORD_MMAP2), found '${shown}'`,
      );
    }
    switch (r.kind) {
      case "fault":
        this.#settle(r.tid);
        this.#fault(r);
        break;
      case "enter":
        this.#settle(r.tid);
        this.#enter(r);
        break;
      case "exit":
        this.#settle(r.tid);
        this.#exit(r);
        break;
      case "newtask":
        this.#newTask(r.tid, r.child, r.flags);
        break;
      case "mmap": {
        this.#settle(r.tid);
        const w = this.#windows.get(r.tid);
        if (w) w.mmaps.push(r);
        else this.#kernelMapping(r);
        break;
      }
      case "fork":
        this.#settle(r.ptid);
        this.#fork(r);
        break;
      case "task_exit":
        this.#settle(r.tid);
        this.#taskExit(r.tid);
        break;
      case "exec":
        this.#settle(r.tid);
        this.#exec(r.tid);
        break;
      case "lost":
        this.stats.ignored["events perf lost"] = (this.stats.ignored["events perf lost"] ?? 0) +
          r.count;
        this.#warn(
          `perf lost ${r.count} events here (its buffer overflowed): the trace misses faults ` +
            `or calls; record again with a larger -m`,
        );
        break;
      case "other":
        this.stats.ignored[r.event] = (this.stats.ignored[r.event] ?? 0) + 1;
        break;
      case "noise":
        break;
    }
    return this.#out;
  }

  /** Ends the input: settles forks still waiting for their flags; returns the last events. */
  finish(): Event[] {
    this.#out.length = 0;
    for (const child of [...this.#pendingForks.keys()]) this.#settle(child);
    for (const [tid, w] of this.#windows) {
      if (this.#procs.get(tid)?.alive) {
        recordWarning(this.stats, w.line, `${w.name} by PID ${tid} never completed`);
      }
    }
    return this.#out;
  }

  #emit(ev: Event): void {
    this.stats.events++;
    const p = this.#procs.get(ev.pid);
    if (p) p.emitted = true;
    this.#out.push(ev);
  }

  #warn(message: string): void {
    recordWarning(this.stats, this.#line, message);
  }

  // --- processes ---------------------------------------------------------------------------

  #newProc(tid: number, mm?: Mm): Proc {
    const p = makeProc(tid, mm);
    this.#procs.set(tid, p);
    return p;
  }

  /** The live thread `tid`; one seen for the first time (not forked in the trace) is new. */
  #proc(tid: number): Proc {
    const p = this.#procs.get(tid);
    if (p?.alive) return p;
    if (this.#procs.size > 0) {
      this.#warn(
        `PID ${tid} first appears without a fork in the trace (recorded with -p or -a?); ` +
          `its earlier memory is unknown`,
      );
    }
    return this.#newProc(tid);
  }

  /** A FORK record: a thread is cloned at once; a process waits for its clone flags. */
  #fork(r: ForkRecord): void {
    const flags = this.#flags.get(r.tid);
    if (flags !== undefined) {
      this.#flags.delete(r.tid);
      this.#spawn(r.ptid, r.tid, flags);
    } else if (r.pid === r.ppid) this.#spawn(r.ptid, r.tid, CLONE_VM);
    else this.#pendingForks.set(r.tid, r.ptid);
  }

  /** `task:task_newtask` (comes right after the FORK record, in the parent). */
  #newTask(parent: number, child: number, flags: number): void {
    if (this.#pendingForks.get(child) === parent) {
      this.#pendingForks.delete(child);
      this.#spawn(parent, child, flags);
    } else if (!this.#procs.get(child)?.alive) this.#flags.set(child, flags);
  }

  /**
   * Before a record of thread `tid`: a fork it is the child or the parent of and whose clone
   * flags never came (not recorded) is a plain fork.
   */
  #settle(tid: number): void {
    if (this.#pendingForks.size === 0) return;
    for (const [child, parent] of this.#pendingForks) {
      if (child === tid || parent === tid) {
        this.#pendingForks.delete(child);
        this.#spawn(parent, child, 0);
      }
    }
  }

  /** Creates `child` of thread `parentTid` and emits `fork` or `clone`. */
  #spawn(parentTid: number, child: number, flags: number): void {
    const parent = this.#proc(parentTid);
    if (this.#procs.get(child)?.alive) {
      this.#warn(`PID ${parentTid} created PID ${child}, which is already running`);
      return;
    }
    this.stats.processes++;
    if (flags & CLONE_VM) {
      this.#newProc(child, parent.mm).emitted = true;
      this.#emit({ pid: parentTid, op: "clone", child });
    } else {
      const mm: Mm = { areas: parent.mm.areas.clone(), brk: parent.mm.brk, lockFuture: false };
      this.#newProc(child, mm).emitted = true;
      this.#emit({ pid: parentTid, op: "fork", child });
    }
  }

  #taskExit(tid: number): void {
    const p = this.#procs.get(tid);
    if (!p?.alive) return;
    p.alive = false;
    this.#windows.delete(tid);
    this.#emit({ pid: tid, op: "exit" });
  }

  /** `PERF_RECORD_COMM exec`: a new, empty address space (the kernel's mappings follow). */
  #exec(tid: number): void {
    const known = this.#procs.get(tid);
    const p = known?.alive ? known : this.#newProc(tid);
    this.#windows.delete(tid);
    p.mm = { areas: new AreaMap(), brk: null, lockFuture: false };
    if (p.emitted) this.#emit({ pid: tid, op: "exec" });
  }

  // --- faults ------------------------------------------------------------------------------

  #fault(r: FaultRecord): void {
    if (r.address < 0) {
      this.stats.ignored["kernel address"] = (this.stats.ignored["kernel address"] ?? 0) + 1;
      return;
    }
    const p = this.#proc(r.tid);
    const page = Math.floor(r.address / PAGE_SIZE);
    if (!p.mm.areas.find(page)) this.#uncovered(p, page, r.address);
    this.stats.touches++;
    const op = r.errorCode & FETCH ? "x" : r.errorCode & WRITE ? "w" : "r";
    this.#emit({ pid: r.tid, op, addr: r.address, len: 1 });
  }

  /** A fault outside every known area: stack growth, else an inferred block. */
  #uncovered(p: Proc, page: number, addr: number): void {
    const areas = p.mm.areas;
    const next = areas.covered(page, page + STACK_REACH_PAGES)[0];
    const above = next ? areas.find(next.start) : undefined;
    if (above && above.flags & MapFlag.growsdown) {
      const grown: Area = { ...above, start: page, end: above.start };
      this.#ctx.mapArea(p, grown, eventOfArea(p.pid, grown));
      return;
    }
    const area = inferArea(areas, page, this.#areaPages);
    this.stats.inferredAreas++;
    this.#warn(
      `fault at ${hex(addr)} by PID ${p.pid} outside every area the trace mapped; ` +
        `${hex(area.start * PAGE_SIZE)}+${(area.end - area.start) * PAGE_SIZE} mapped rwx`,
    );
    this.#ctx.mapArea(p, area, eventOfArea(p.pid, area));
  }

  // --- mappings ----------------------------------------------------------------------------

  #enter(r: EnterRecord): void {
    if (!HANDLED.has(r.name)) {
      const k = `sys_enter_${r.name}`;
      this.stats.ignored[k] = (this.stats.ignored[k] ?? 0) + 1;
      return;
    }
    const open = this.#windows.get(r.tid);
    if (open) this.#warn(`${open.name} by PID ${r.tid} never completed (no sys_exit_${open.name})`);
    this.#windows.set(r.tid, { name: r.name, args: r.args, line: this.#line, mmaps: [] });
  }

  #exit(r: ExitRecord): void {
    if (!HANDLED.has(r.name)) return;
    const w = this.#windows.get(r.tid);
    if (!w || w.name !== r.name) {
      this.#warn(`sys_exit_${r.name} by PID ${r.tid} without its sys_enter_${r.name}; skipped`);
      return;
    }
    this.#windows.delete(r.tid);
    this.stats.syscalls++;
    if (r.failed) {
      this.stats.failed++;
      return;
    }
    this.stats.handled++;
    const p = this.#proc(r.tid);
    const ctx = this.#ctx;
    const a = w.args;
    switch (w.name) {
      case "mmap": {
        // The fd as a signed 32-bit number; the MMAP2 record names the file.
        const fd = (parseInt(a[4] ?? "0", 16) | 0).toString();
        const ret = parseInt(r.ret, 16);
        const m = w.mmaps.find((m) => m.addr <= ret && ret < m.addr + m.len);
        this.#mmapObject = m && !m.path.startsWith("//") ? objectOf(m) : null;
        return mmapCall(
          ctx,
          p,
          [a[0] ?? "", a[1] ?? "", a[2] ?? "", a[3] ?? "", fd, a[5] ?? ""],
          r.ret,
        );
      }
      case "munmap":
        return munmapCall(ctx, p, a);
      case "mremap":
        return mremapCall(ctx, p, a, r.ret);
      case "mprotect":
      case "pkey_mprotect":
        return mprotectCall(ctx, p, a);
      case "madvise": {
        const n = parseInt(a[2] ?? "", 16);
        return madviseCall(ctx, p, [a[0] ?? "", a[1] ?? "", ADVICE_NAMES[n] ?? `MADV_${n}`]);
      }
      case "brk":
        return brkCall(ctx, p, r.ret);
      case "mlockall":
      case "munlockall":
        return lockAllCall(ctx, p, a, w.name);
      default:
        return rangeCall(ctx, p, a, w.name);
    }
  }

  /** The object the current mmap maps, from its MMAP2 record. */
  #objectForFd(proc: Proc, fd: number): string {
    if (this.#mmapObject !== null) return this.#mmapObject;
    const name = `file:unknown/pid${proc.pid}.fd${fd}`;
    if (!this.#unnamed.has(name)) {
      this.#unnamed.add(name);
      this.#warn(
        `fd ${fd} of PID ${proc.pid} is mapped but perf wrote no MMAP2 record naming its file ` +
          `(record with -d); named ${name}`,
      );
    }
    return name;
  }

  /**
   * The mapped parts of a range: a call wholly on memory the trace never mapped is counted in
   * `outsideCalls`, one partly on it is a warning.
   */
  #mapped(proc: Proc, name: string, addr: number, len: number): PageRange[] {
    const { parts, missing, pages } = mappedParts(proc, addr, len, this.stats);
    if (missing > 0) {
      this.#warn(
        `${name} of ${hex(addr)}+${len} by PID ${proc.pid}: ${missing} of ${pages} pages the ` +
          `trace never mapped; only the mapped part kept`,
      );
    }
    return parts;
  }

  /**
   * An MMAP2 record outside a mapping call: a mapping the kernel made itself (exec's, the
   * stack's growth, a System V attach). One that only extends areas of the same kind (the stack
   * growing, the heap merged) maps the new part; anything else replaces what it overlaps.
   */
  #kernelMapping(r: MmapRecord): void {
    if (r.pid < 0) return;
    const p = this.#proc(r.tid);
    const area = areaOf(r);
    const areas = p.mm.areas;
    const overlap = areas.areas.filter((a) => a.start < area.end && a.end > area.start);
    const onlyExtends = overlap.length > 0 &&
      overlap.every((a) =>
        a.start >= area.start && a.end <= area.end && a.prot === area.prot &&
        a.flags === area.flags && a.object === area.object
      );
    if (!onlyExtends) {
      this.#ctx.mapArea(p, area, eventOfArea(p.pid, area));
      return;
    }
    let at = area.start;
    const gaps: PageRange[] = [];
    for (const c of areas.covered(area.start, area.end)) {
      if (c.start > at) gaps.push({ start: at, end: c.start });
      at = c.end;
    }
    if (at < area.end) gaps.push({ start: at, end: area.end });
    for (const g of gaps) {
      const part: Area = { ...area, ...g, pgoff: area.pgoff + (g.start - area.start) };
      this.#ctx.mapArea(p, part, eventOfArea(p.pid, part));
    }
  }
}

/** The vmtrace object a file-backed MMAP2 record maps. */
function objectOf(r: MmapRecord): string {
  const path = r.path.replace(/ \(deleted\)$/, "");
  if (/^\/SYSV[0-9a-fA-F]+$/.test(path)) return `shm:${r.inode}`;
  return objectForPath(path);
}

/** The area an MMAP2 record outside a mapping call maps. */
function areaOf(r: MmapRecord): Area {
  const [start, end] = pageSpan(r.addr, r.len);
  const share = r.shared ? MapFlag.shared : MapFlag.private;
  const area: Area = { start, end, prot: r.prot, flags: share | MapFlag.anon, pgoff: 0 };
  if (r.path === "[stack]") area.flags |= MapFlag.growsdown;
  else if (r.path === "[vdso]") {
    // Linux's vdso has no anonymous pages: a fork child faults on it again. A shared object
    // does the same in the replay.
    area.flags = MapFlag.shared;
    area.object = `tmpfs:${sanitize(r.path)}`;
  } else if (!r.path.startsWith("[") && !r.path.startsWith("//")) {
    const object = objectOf(r);
    if (!(r.shared && object === "file:/dev/zero")) {
      area.flags = share;
      area.object = object;
      area.pgoff = Math.floor(r.pgoff / PAGE_SIZE);
    }
  }
  return area;
}

/**
 * Imports `perf script` output from `src` (file chunks, a stream or bytes), yielding batches of
 * events as each chunk is parsed. A batch is valid until the next one is requested (one batch
 * is reused), which is what `writeTraceBatches` expects.
 *
 * @example
 * ```ts
 * import { importPerfBatches } from "./importer.ts";
 * const text = [
 *   "9/9 PERF_RECORD_COMM exec: true:9/9",
 *   "9/9 PERF_RECORD_MMAP2 9/9: [0x400000(0x1000) @ 0 fe:00 12 0]: r-xp /usr/bin/true",
 *   "9/9 exceptions:page_fault_user: address=0x400010 ip=0x400010 error_code=0x14",
 *   "9/9 PERF_RECORD_EXIT(9:9):(1:1)",
 * ].join("\n");
 * const ops: string[] = [];
 * for await (const b of importPerfBatches(new TextEncoder().encode(text))) {
 *   for (let i = 0; i < b.length; i++) ops.push(b.get(i).op);
 * }
 * if (ops.join(" ") !== "mmap x exit") throw new Error(ops.join(" "));
 * ```
 */
export async function* importPerfBatches(
  src: ByteSource,
  opts: PerfImportOptions & { stats?: (s: ImportStats) => void; batchSize?: number } = {},
): AsyncIterableIterator<EventBatch> {
  const imp = new PerfImporter(opts);
  const batch = new EventBatch(opts.batchSize ?? 4096);
  const reader = readerOf(src);
  const lines = new LineReader(reader, opts.name ?? "perf");
  try {
    for (let line; (line = lines.lineSync() ?? await lines.line()) !== null;) {
      for (const ev of imp.feed(line, lines.lineNo)) {
        batch.push(ev);
        if (batch.full) {
          yield batch;
          batch.clear();
        }
      }
    }
  } finally {
    await reader.close();
  }
  for (const ev of imp.finish()) {
    batch.push(ev);
    if (batch.full) {
      yield batch;
      batch.clear();
    }
  }
  if (batch.length > 0) yield batch;
  opts.stats?.(imp.stats);
}
