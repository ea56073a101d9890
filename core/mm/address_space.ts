/**
 * Address spaces: the one of a pid (made empty on its first event), a new one, the copy fork
 * makes (areas and page tables), and the teardown by its last user (`exit_mmap`).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { removeVma } from "./areas.ts";
import { C } from "../counters.ts";
import { PG, ZERO_FRAME } from "./frames.ts";
import { type Kernel, PID_CACHE } from "./kernel.ts";
import { Mm } from "./mm.ts";
import { A, P, PTE_SWAP, W } from "./pte.ts";
import { Vma } from "./vma.ts";
import { zapRange } from "./zap.ts";
import { MapFlag } from "../../uapi/event.ts";

/** The address space of `pid`, created empty for a pid seen for the first time. */
export function mmOf(k: Kernel, pid: number): Mm {
  if (pid === k.lastPid && k.lastMm !== null) return k.lastMm;
  const small = pid >= 0 && pid < PID_CACHE;
  let mm = small ? k.mmByPid[pid] : undefined;
  if (mm === undefined) {
    mm = k.procs.get(pid);
    if (mm === undefined) {
      mm = newMm(k, null);
      k.procs.set(pid, mm);
    }
    if (small) k.mmByPid[pid] = mm;
  }
  k.lastPid = pid;
  k.lastMm = mm;
  return mm;
}

/** A new address space (its PGD allocated), announced to the strategy. */
export function newMm(k: Kernel, parent: Mm | null): Mm {
  const mm = new Mm(k.nextMm++, k.pt.alloc());
  k.mms.set(mm.id, mm);
  k.ptPeak();
  k.strategy.mmCreate(mm, parent);
  return mm;
}

/**
 * The copy of `parent` a fork makes (`dup_mmap`): every area, and the PTEs of private areas with
 * anonymous pages, copied and write-protected in both (`copy_page_range`, `fork_ptes_copied`).
 */
export function dupMm(k: Kernel, parent: Mm): Mm {
  const child = newMm(k, parent);
  const pt = k.pt;
  const frames = k.frames;
  const c = k.counters;
  let copied = false;
  for (const pv of parent.vmas) {
    const cv = new Vma(
      k.nextVma++,
      child,
      pv.start,
      pv.end,
      pv.prot,
      pv.flags & ~MapFlag.locked,
      pv.obj,
      pv.pgoff,
    );
    cv.anon = pv.anon;
    cv.inheritRa(pv);
    child.vmas.push(cv);
    pv.obj?.mappings.add(cv);
    k.strategy.vmaFork(pv, cv);
    if (!pv.anon) continue;
    const cow = !pv.shared;
    for (let v = pv.start; v < pv.end;) {
      const first = pt.pteRun(parent, v, pv.end), stop = pt.runEnd;
      if (first < 0) v = stop;
      let cbase = -1; // the child's PTE table for this block, made on the first PTE to copy
      let pf = pt.flags, pn = pt.num;
      for (let s = first; v < stop; v++, s++) {
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
          k.swap.refs[n]!++;
        }
        pf[cs] = cf;
        pn[cs] = n;
        c[C.fork_ptes_copied]!++;
        if (k.tracks && (f & P) && n !== ZERO_FRAME) k.strategy.pteAdded(n, cv, v);
      }
    }
  }
  k.ptPeak();
  if (copied) k.tlb.flushMm(parent);
  return child;
}

/** One user of `mm` is gone; the last tears it down (exit_mmap). */
export function dropMm(k: Kernel, mm: Mm): void {
  if (--mm.users > 0) return;
  for (const v of mm.vmas) zapRange(k, v, v.start, v.end);
  for (const v of [...mm.vmas]) {
    k.strategy.vmaUnlink(v);
    removeVma(k, v);
  }
  k.pt.destroy(mm);
  k.strategy.mmDestroy(mm);
  k.mms.delete(mm.id);
  if (k.lastMm === mm) {
    k.lastMm = null;
    k.lastPid = -1;
  }
  k.counters[C.tlb_flushes]!++;
}
