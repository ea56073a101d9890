/**
 * {@linkcode traceStats}: what a trace holds, without replaying it — events by op, processes,
 * the address range it uses and the pages it touches.
 *
 * @module
 */
import { type EventBatch, joinAddr } from "./batch.ts";
import { Op, type OpName, OPS } from "./event.ts";
import { formatAddr } from "./syntax.ts";

/** Pages of one access counted at most (an access of more than 4 GiB counts its first 4 GiB). */
export const MAX_PAGES_PER_ACCESS = 1 << 20;

/** The figures {@linkcode traceStats} computes. */
export interface TraceStats {
  /** Number of events. */
  events: number;
  /** Events per op, for the ops that occur. */
  by_op: Partial<Record<OpName, number>>;
  /** Distinct process (and thread) ids, including children named by fork and clone. */
  processes: number;
  /** Lowest and highest pid, or null when there are none. */
  pid_range: [number, number] | null;
  /** Lowest address used by a mapping or access, and the end of the highest, as hex strings. */
  extent: { low: string; high: string } | null;
  /** Bytes mapped by mmap events (sum of LEN, rounded up to pages). */
  mapped_bytes: number;
  /** Distinct (process, page) pairs loaded, stored or fetched. */
  pages_touched: number;
  /** Distinct virtual page numbers touched, whatever the process. */
  virtual_pages_touched: number;
  /** Distinct (process, page) pairs touched by each access op. */
  pages_touched_by_op: { r: number; w: number; x: number };
  /** Phase labels of `mark` events, in order. */
  marks: string[];
  /** Distinct object names (files, tmpfs files, shm segments). */
  objects: number;
}

/**
 * A set of (pid, page) pairs in open-addressing typed arrays: no object per page, so tracking
 * millions of pages stays compact.
 */
class PageSet {
  #pages = new Float64Array(1 << 12);
  #pids = new Int32Array(1 << 12);
  #mask = (1 << 12) - 1;
  size = 0;

  add(pid: number, page: number): void {
    if ((this.size + 1) * 2 > this.#pages.length) this.#grow();
    const pages = this.#pages, pids = this.#pids, mask = this.#mask;
    const key = page + 1; // 0 marks an empty slot
    let h = (Math.imul((page % 0x40000000) | 0, 0x9e3779b1) ^
      Math.imul(pid, 0x85ebca6b) ^ ((page / 0x40000000) | 0)) & mask;
    while (pages[h] !== 0) {
      if (pages[h] === key && pids[h] === pid) return;
      h = (h + 1) & mask;
    }
    pages[h] = key;
    pids[h] = pid;
    this.size++;
  }

  #grow(): void {
    const oldPages = this.#pages, oldPids = this.#pids;
    this.#pages = new Float64Array(oldPages.length * 2);
    this.#pids = new Int32Array(oldPages.length * 2);
    this.#mask = oldPages.length * 2 - 1;
    this.size = 0;
    for (let i = 0; i < oldPages.length; i++) {
      if (oldPages[i] !== 0) this.add(oldPids[i]!, oldPages[i]! - 1);
    }
  }
}

/**
 * Accumulates {@linkcode TraceStats} over batches: {@linkcode StatsCollector.add} each batch,
 * then {@linkcode StatsCollector.result}.
 *
 * @example
 * ```ts
 * import { StatsCollector } from "./stats.ts";
 * import { TraceBuilder } from "./builder.ts";
 * const t = new TraceBuilder().mmap(1, 0x10000, "16K", "rw-", "private,anon")
 *   .w(1, 0x10ffe, 4).fork(1, 2).r(2, 0x10000);
 * const s = new StatsCollector();
 * s.add(t.batch());
 * const r = s.result();
 * if (r.pages_touched !== 3 || r.virtual_pages_touched !== 2 || r.processes !== 2) {
 *   throw new Error(JSON.stringify(r));
 * }
 * ```
 */
export class StatsCollector {
  #events = 0;
  #byOp = new Float64Array(OPS.length);
  #pids = new Set<number>();
  #lowPage = Infinity;
  #lowOff = 0;
  #highPage = -1;
  #mapped = 0;
  #touched = new PageSet();
  #virtual = new PageSet();
  #byAccess = [new PageSet(), new PageSet(), new PageSet()];
  #marks: string[] = [];
  #objects = new Set<string>();

  /** Adds the events of a batch. */
  add(b: EventBatch): void {
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i]!;
      const pid = b.pid[i]!;
      this.#events++;
      this.#byOp[op]!++;
      if (pid !== 0) this.#pids.add(pid);
      switch (op) {
        case Op.fork:
        case Op.clone:
          this.#pids.add(b.n1[i]!);
          break;
        case Op.mark:
          this.#marks.push(b.strings[b.str[i]!]!);
          break;
        case Op.mmap:
          this.#mapped += Math.ceil(b.n1[i]! / 4096) * 4096;
          this.#range(b.page[i]!, b.off[i]!, b.n1[i]!);
          break;
        case Op.mremap:
          this.#range(b.page2[i]!, b.off2[i]!, b.n2[i]!);
          break;
        case Op.r:
        case Op.w:
        case Op.x: {
          const page = b.page[i]!, len = Math.max(1, b.n1[i]!);
          this.#range(page, b.off[i]!, len);
          const span = Math.min(MAX_PAGES_PER_ACCESS, Math.floor((b.off[i]! + len - 1) / 4096) + 1);
          const set = this.#byAccess[op - Op.r]!;
          for (let k = 0; k < span; k++) {
            this.#touched.add(pid, page + k);
            this.#virtual.add(0, page + k);
            set.add(pid, page + k);
          }
          break;
        }
      }
      const s = b.str[i]!;
      if (s >= 0 && op !== Op.mark && op !== Op.swapon && op !== Op.swapoff) {
        this.#objects.add(b.strings[s]!);
      }
    }
  }

  #range(page: number, off: number, len: number): void {
    if (page < this.#lowPage || (page === this.#lowPage && off < this.#lowOff)) {
      this.#lowPage = page;
      this.#lowOff = off;
    }
    const end = page + Math.ceil((off + len) / 4096);
    if (end > this.#highPage) this.#highPage = end;
  }

  /** The statistics so far. */
  result(): TraceStats {
    const byOp: Partial<Record<OpName, number>> = {};
    OPS.forEach((name, k) => {
      if (this.#byOp[k]! > 0) byOp[name] = this.#byOp[k]!;
    });
    let lo = Infinity, hi = -Infinity;
    for (const p of this.#pids) {
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    return {
      events: this.#events,
      by_op: byOp,
      processes: this.#pids.size,
      pid_range: this.#pids.size > 0 ? [lo, hi] : null,
      extent: this.#highPage < 0 ? null : {
        low: formatAddr(joinAddr(this.#lowPage, this.#lowOff)),
        high: formatAddr(joinAddr(this.#highPage, 0)),
      },
      mapped_bytes: this.#mapped,
      pages_touched: this.#touched.size,
      virtual_pages_touched: this.#virtual.size,
      pages_touched_by_op: {
        r: this.#byAccess[0]!.size,
        w: this.#byAccess[1]!.size,
        x: this.#byAccess[2]!.size,
      },
      marks: this.#marks,
      objects: this.#objects.size,
    };
  }
}

/**
 * Statistics of a whole trace, from its batches (for example {@linkcode TraceReader.batches}).
 *
 * @example
 * ```ts
 * import { traceStats } from "./stats.ts";
 * import { readTraceBytes } from "./read.ts";
 * const text = "vmtrace 1\n1 mmap 0x1000 8K rw- private,anon\n1 w 0x1000\n1 w 0x2000\n";
 * const r = await readTraceBytes(new TextEncoder().encode(text), { name: "t.vmt" });
 * const s = await traceStats(r.batches());
 * if (s.by_op.w !== 2 || s.extent?.high !== "0x3000") throw new Error(JSON.stringify(s));
 * ```
 */
export async function traceStats(
  batches: AsyncIterable<EventBatch>,
  onBatch?: (events: number) => void,
): Promise<TraceStats> {
  const c = new StatsCollector();
  let n = 0;
  for await (const b of batches) {
    c.add(b);
    n += b.length;
    onBatch?.(n);
  }
  return c.result();
}
