/**
 * The slow path of a load, store or fetch: the area and permission checks of a whole access
 * (all or nothing), then, page by page, the TLB, the page-table walk, the fault and the access
 * itself (accessed and dirty bits, the store's stamp).
 *
 * Internal to the machine: functions over its state (`Kernel`), called by `machine.ts` when the
 * fast path (`_machine_fast.ts`) cannot serve an access.
 *
 * @module
 */
import { C } from "../counters.ts";
import { PG } from "./frames.ts";
import { faultIn } from "./fault.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { A, D, P, PTE_NOACCESS, PTE_NX, W } from "./pte.ts";
import { SEGV_BUS, SEGV_PROT, SEGV_UNMAPPED } from "./report.ts";
import { Op, PAGE_SIZE, Prot, PROT_MASK } from "../../uapi/event.ts";

/** Checks a multi-page access as a whole; counts and reports the segv when it fails. */
export function accessOk(k: Kernel, mm: Mm, op: number, first: number, count: number): boolean {
  const need = op === Op.w ? Prot.write : op === Op.x ? Prot.exec : PROT_MASK;
  const end = first + count;
  for (let p = first; p < end;) {
    const vma = mm.find(p);
    if (vma === null) {
      k.report.segvAccess(op, p, SEGV_UNMAPPED, null);
      return false;
    }
    if ((vma.prot & need) === 0) {
      k.report.segvAccess(op, p, SEGV_PROT, vma);
      return false;
    }
    const stop = Math.min(vma.end, end);
    if (vma.obj !== null && vma.linearIndex(stop - 1) * PAGE_SIZE >= vma.obj.size) {
      k.report.segvAccess(op, stop - 1, SEGV_BUS, vma);
      return false;
    }
    p = stop;
  }
  return true;
}

/** One page of an access: TLB, walk, fault, then the access itself. False: stop the event. */
export function touch(k: Kernel, mm: Mm, vpage: number, op: number, seq: number): boolean {
  const tlb = k.tlb;
  const h = tlb.index(mm.id, vpage);
  let s = -1, hit = false;
  if (tlb.hit(h, mm.id, mm.tlbGen, vpage)) {
    s = tlb.slot(h);
    const f = k.pt.flags[s]!;
    const ok = op === Op.w
      ? (f & (P | W)) === (P | W)
      : (f & (P | PTE_NOACCESS | (op === Op.x ? PTE_NX : 0))) === P;
    if (ok) {
      k.counters[C.tlb_hits]!++;
      hit = true;
    } else s = -1;
  }
  if (s < 0) {
    k.counters[C.tlb_misses]!++;
    const vma = mm.find(vpage);
    if (vma === null) {
      k.report.segvAccess(op, vpage, SEGV_UNMAPPED, null);
      return false;
    }
    const need = op === Op.w ? Prot.write : op === Op.x ? Prot.exec : PROT_MASK;
    if ((vma.prot & need) === 0) {
      k.report.segvAccess(op, vpage, SEGV_PROT, vma);
      return false;
    }
    if (vma.obj !== null && vma.linearIndex(vpage) * PAGE_SIZE >= vma.obj.size) {
      k.report.segvAccess(op, vpage, SEGV_BUS, vma);
      return false;
    }
    s = k.pt.ensure(mm, vpage);
    k.ptPeak();
    if (!faultIn(k, vma, vpage, s, op === Op.w)) return false;
    tlb.fillAt(h, mm.id, mm.tlbGen, vpage, s);
  }
  const pf = k.pt.flags;
  const fr = k.pt.num[s]!;
  // A hit sets the accessed bit only where the machine's TLB does (`hitAccessed`).
  const f = pf[s]!;
  if (op === Op.w) {
    pf[s] = hit && (f & D) !== 0 ? f | k.hitAccessed : f | A | D;
    k.frames.flags[fr]! |= PG.dirty;
    k.frames.stamp[fr] = seq;
  } else {
    pf[s] = hit ? f | k.hitAccessed : f | A;
    if (k.record) {
      const n = k.loadCount++;
      k.loadVpage[n] = vpage;
      k.loadStamp[n] = k.frames.stamp[fr]!;
    }
  }
  return true;
}
