/**
 * The machine's fast path, apart from `machine.ts` so that the event-by-event machine and the hot
 * loop each read on their own: {@linkcode runEvents}'s loop over a run of events, which applies
 * loads, stores and fetches that need no fault (a TLB hit, or a miss whose PTE allows the access)
 * without a call per event, and the TLB-hit path of one access event ({@linkcode accessEvent}).
 * Anything else goes back to `Machine.apply`.
 *
 * @module
 */
import { C } from "./counters.ts";
import { accessOk, touch } from "./mm/access.ts";
import { mmOf } from "./mm/address_space.ts";
import { PG } from "./mm/frames.ts";
import { type Kernel, PID_CACHE } from "./mm/kernel.ts";
import type { Mm } from "./mm/mm.ts";
import { WALK_LIMIT, walkPte } from "./mm/page_table.ts";
import { A, D, P, PTE_NOACCESS, PTE_NX, W } from "./mm/pte.ts";
import { tlbIndexSalted } from "./mm/tlb.ts";
import { type EventColumns, Op, PAGE_SIZE } from "../uapi/event.ts";

// Hot-path constants as plain numbers.
const OP_R = Op.r, OP_W = Op.w, OP_X = Op.x, OP_MARK = Op.mark;
const C_EVENTS = C.events, C_TLB_HITS = C.tlb_hits, C_TLB_MISSES = C.tlb_misses;
const C_PT_PEAK = C.page_table_pages_peak;
const PG_DIRTY = PG.dirty;

/** What {@linkcode runEvents} hands the events it does not apply itself to. */
export interface EventApplier {
  /** Applies event `i` of `b`, numbered `seq`. */
  apply(b: EventColumns, i: number, seq: number): void;
}

/** Offset in `Tlb.e` of the entry that may hold `vpage` of an address space with TLB salt `salt`. */
function tlbEntry(vpage: number, salt: number, size: number): number {
  return tlbIndexSalted(vpage, salt, size) * 4;
}

// The TLB entries (as -1 - x for misses) and PTE slots of a multi-page access's pages
// (fewPages), grown for a longer access.
let pagesX = new Int32Array(16), pagesS = new Int32Array(16);
/** Most pages `fewPages` takes (one page table's worth). */
const FEW_PAGES_MAX = 512;

/** True when a PTE with flags `f` allows access `op` without a fault (what a TLB hit checks). */
function allows(f: number, op: number): boolean {
  return op === OP_W
    ? (f & (P | W)) === (P | W)
    : (f & (P | PTE_NOACCESS | (op === OP_X ? PTE_NX : 0))) === P;
}

/** Fills the TLB entry at offset `x` of `te` with PTE `s` of `vpage` (address space `id`, `gen`). */
function fillTlb(te: Float64Array, x: number, vpage: number, id: number, gen: number, s: number) {
  te[x] = vpage;
  te[x + 1] = id;
  te[x + 2] = gen;
  te[x + 3] = s;
}

/**
 * `Machine.applyRun` on the machine whose state is `k`: applies events `from` to `to - 1` of `b`,
 * numbered `seq + 1` onwards, stopping before a `mark`; returns the index it stopped at. Events it
 * cannot apply in its loop go to `m.apply`.
 */
export function runEvents(
  m: EventApplier,
  k: Kernel,
  b: EventColumns,
  from: number,
  to: number,
  seq: number,
): number {
  const c = k.counters;
  const ops = b.op;
  if (k.check || k.record) {
    // Checking and recording loads take the event-by-event path.
    for (let i = from; i < to; i++) {
      if (ops[i] === OP_MARK) return i;
      m.apply(b, i, seq + i - from + 1);
    }
    return to;
  }
  const pids = b.pid, pages = b.page, offs = b.off, lens = b.n1;
  const te = k.tlb.e, size = k.tlb.size;
  const byPid = k.mmByPid;
  // The address space of the last process, its TLB tag, its PGD, the page tables and the frames'
  // arrays (which are replaced when they grow): reloaded after every event that leaves this loop.
  let pf = k.pt.flags, pn = k.pt.num;
  let ff = k.frames.flags, fs = k.frames.stamp;
  let lastPid = k.lastMm === null ? -1 : k.lastPid;
  let id = -1, gen = 0, salt = 0, pgd = 0;
  if (k.lastMm !== null) ({ id, tlbGen: gen, tlbSalt: salt, pgd } = k.lastMm);
  const hitA = k.hitAccessed;
  let events = 0, hits = 0, misses = 0;
  let i = from;
  for (; i < to; i++) {
    const op = ops[i]!;
    if (op >= OP_R && op <= OP_X) {
      const pid = pids[i]!;
      if (pid !== lastPid) {
        // mmOf's cache of small pids, without the call; anything else goes the slow way.
        const mm = pid >= 0 && pid < PID_CACHE ? byPid[pid] : undefined;
        if (mm !== undefined) {
          k.lastPid = lastPid = pid;
          k.lastMm = mm;
          id = mm.id, gen = mm.tlbGen, salt = mm.tlbSalt, pgd = mm.pgd;
        }
      }
      const len = lens[i]!;
      const endOff = offs[i]! + len;
      if (pid === lastPid && len > 0) {
        const first = pages[i]!;
        if (endOff <= PAGE_SIZE) {
          const x = tlbEntry(first, salt, size);
          if (te[x] === first && te[x + 1] === id && te[x + 2] === gen) {
            const s = te[x + 3]!;
            const f = pf[s]!;
            if (op === OP_W) {
              if ((f & (P | W)) === (P | W)) {
                pf[s] = (f & D) !== 0 ? f | hitA : f | A | D;
                const fr = pn[s]!;
                ff[fr]! |= PG_DIRTY;
                fs[fr] = seq + i - from + 1;
                hits++;
                events++;
                continue;
              }
            } else if ((f & (P | PTE_NOACCESS | (op === OP_X ? PTE_NX : 0))) === P) {
              pf[s] = f | hitA;
              hits++;
              events++;
              continue;
            }
          } else if (first < WALK_LIMIT) {
            // A miss: what the hardware's walk finds. A present PTE that allows the access
            // needs no fault, so no call either.
            const s = walkPte(pn, pgd, first);
            if (s >= 0 && allows(pf[s]!, op)) {
              if (op === OP_W) {
                pf[s] = pf[s]! | A | D;
                const fr = pn[s]!;
                ff[fr]! |= PG_DIRTY;
                fs[fr] = seq + i - from + 1;
              } else pf[s] = pf[s]! | A;
              fillTlb(te, x, first, id, gen, s);
              // The page-table peak, as the event-by-event path keeps it after each walk;
              // without a branch, whose untaken side would deoptimize this code when taken.
              const live = k.pt.live, peak = c[C_PT_PEAK]!;
              c[C_PT_PEAK] = live > peak ? live : peak;
              misses++;
              events++;
              continue;
            }
          }
        } else if (
          fewPages(
            k,
            k.lastMm!,
            op,
            first,
            Math.floor((endOff - 1) / PAGE_SIZE) + 1,
            seq + i - from + 1,
          )
        ) {
          events++;
          continue;
        }
      }
    } else if (op === OP_MARK) break;
    // Anything else: the event-by-event path, after the counts of the fast events so far.
    c[C_EVENTS]! += events;
    c[C_TLB_HITS]! += hits;
    c[C_TLB_MISSES]! += misses;
    events = hits = misses = 0;
    m.apply(b, i, seq + i - from + 1);
    pf = k.pt.flags;
    pn = k.pt.num;
    ff = k.frames.flags;
    fs = k.frames.stamp;
    const mm = k.lastMm;
    lastPid = mm === null ? -1 : k.lastPid;
    if (mm !== null) id = mm.id, gen = mm.tlbGen, salt = mm.tlbSalt, pgd = mm.pgd;
  }
  c[C_EVENTS]! += events;
  c[C_TLB_HITS]! += hits;
  c[C_TLB_MISSES]! += misses;
  return i;
}

/**
 * Applies r/w/x event `i` of `b` on the machine whose state is `k`; true when it was a TLB hit
 * (nothing allocated or freed).
 */
export function accessEvent(
  k: Kernel,
  b: EventColumns,
  i: number,
  op: number,
  seq: number,
): boolean {
  const pid = b.pid[i]!;
  const mm = pid === k.lastPid && k.lastMm !== null ? k.lastMm : mmOf(k, pid);
  const first = b.page[i]!;
  const len = b.n1[i]!;
  k.loadCount = 0;
  k.report.pid = pid;
  if (len <= 0) return true;
  const endOff = b.off[i]! + len;
  const count = endOff <= PAGE_SIZE ? 1 : Math.floor((endOff - 1) / PAGE_SIZE) + 1;
  if (count === 1) {
    // Fast path: a TLB hit with the right permission.
    const tlb = k.tlb;
    const te = tlb.e, x = tlbEntry(first, mm.tlbSalt, tlb.size);
    if (te[x] === first && te[x + 1] === mm.id && te[x + 2] === mm.tlbGen) {
      const s = te[x + 3]!;
      const pf = k.pt.flags;
      const f = pf[s]!;
      if (op === OP_W) {
        if ((f & (P | W)) === (P | W)) {
          pf[s] = (f & D) !== 0 ? f | k.hitAccessed : f | A | D;
          const fr = k.pt.num[s]!;
          k.frames.flags[fr]! |= PG_DIRTY;
          k.frames.stamp[fr] = seq;
          k.counters[C_TLB_HITS]!++;
          return true;
        }
      } else if ((f & (P | PTE_NOACCESS | (op === OP_X ? PTE_NX : 0))) === P) {
        pf[s] = f | k.hitAccessed;
        k.counters[C_TLB_HITS]!++;
        if (k.record) {
          k.loadVpage[0] = first;
          k.loadStamp[0] = k.frames.stamp[k.pt.num[s]!]!;
          k.loadCount = 1;
        }
        return true;
      }
    }
    k.report.line = b.line[i]! || seq;
  } else if (!k.record && fewPages(k, mm, op, first, count, seq)) {
    return true;
  } else {
    k.report.line = b.line[i]! || seq;
    if (!accessOk(k, mm, op, first, count)) return false;
  }
  if (k.record && count > k.loadVpage.length) {
    k.loadVpage = new Float64Array(count * 2);
    k.loadStamp = new Float64Array(count * 2);
  }
  for (let n = 0; n < count; n++) {
    if (!touch(k, mm, first + n, op, seq)) return false;
  }
  return false;
}

/**
 * A multi-page access of `mm` to the `count` pages from `first`, applied here when each page is
 * a TLB hit or a miss whose PTE allows it, without the area lookups of `accessOk` (a present PTE
 * that allows the access implies the page is mapped and allowed); counted in the counters
 * themselves. False, with nothing changed, when anything else is needed, or when a page shares
 * its TLB entry with an earlier page that misses (the order of the fills would then matter): the
 * caller takes the slow path.
 */
function fewPages(
  k: Kernel,
  mm: Mm,
  op: number,
  first: number,
  count: number,
  seq: number,
): boolean {
  // Larger accesses take the slow path (same result): the scratch stays small.
  if (count > FEW_PAGES_MAX) return false;
  const te = k.tlb.e, size = k.tlb.size, pf = k.pt.flags, pn = k.pt.num;
  const id = mm.id, gen = mm.tlbGen, salt = mm.tlbSalt;
  if (count > pagesX.length) pagesX = new Int32Array(count), pagesS = new Int32Array(count);
  const xs = pagesX, ss = pagesS;
  let missed = 0;
  for (let n = 0; n < count; n++) {
    const v = first + n;
    const x = tlbEntry(v, salt, size);
    // An earlier page's fill of this entry would come first: its status here would be stale.
    for (let j = 0; missed > 0 && j < n; j++) if (xs[j] === -1 - x) return false;
    const hit = te[x] === v && te[x + 1] === id && te[x + 2] === gen;
    const s = hit ? te[x + 3]! : v < WALK_LIMIT ? walkPte(pn, mm.pgd, v) : -1;
    if (s < 0 || !allows(pf[s]!, op)) return false;
    xs[n] = hit ? x : -1 - x; // a miss: its entry, as -1 - x, to fill
    ss[n] = s;
    if (!hit) missed++;
  }
  const ff = k.frames.flags, fs = k.frames.stamp;
  for (let n = 0; n < count; n++) {
    const s = ss[n]!;
    const f = pf[s]!;
    // A hit sets the accessed bit only where the machine's TLB does (`Kernel.hitAccessed`).
    const hitA = xs[n]! >= 0 ? k.hitAccessed : A;
    if (op === OP_W) {
      pf[s] = (f & D) !== 0 ? f | hitA : f | A | D;
      const fr = pn[s]!;
      ff[fr]! |= PG_DIRTY;
      fs[fr] = seq;
    } else pf[s] = f | hitA;
    const x = xs[n]!;
    if (x < 0) fillTlb(te, -1 - x, first + n, id, gen, s);
  }
  const c = k.counters;
  c[C_TLB_HITS]! += count - missed;
  c[C_TLB_MISSES]! += missed;
  if (missed > 0) k.ptPeak();
  return true;
}
