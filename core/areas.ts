/**
 * Areas: mmap (MAP_FIXED semantics, populate, locked), merging and splitting, zapping PTEs,
 * munmap (with page-table freeing), mprotect and mlock/munlock.
 *
 * Internal to the machine: functions over its state (`Kernel`), called by `machine.ts` and each
 * other.
 *
 * @module
 */
import { faultIn } from "./access.ts";
import { LRU, PG, ZERO_FRAME } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { mlockPage } from "./lru.ts";
import { hex } from "./report.ts";
import type { Mm } from "./mm.ts";
import { VmObject } from "./object.ts";
import { FLAGS_MASK, FLAGS_SHIFT, MapFlag, PAGE_SIZE, Prot, PROT_MASK } from "../uapi/event.ts";
import { maybeFreeObject, object } from "./page_cache.ts";
import { slotPut, unmapFrame } from "./pages.ts";
import { A, D, P, protBits, PTE_SWAP, W, writeNotify } from "./pte.ts";
import { Vma } from "./vma.ts";
import type { EventColumns } from "../uapi/event.ts";

/** mmap (event `i` of `b`): replaces whatever was mapped there, merges, populates when asked. */
export function mmap(k: Kernel, mm: Mm, b: EventColumns, i: number): void {
  const start = b.page[i]!;
  const len = b.n1[i]!;
  const pages = Math.ceil(len / PAGE_SIZE);
  if (pages <= 0) {
    k.report.warn(`mmap ${hex(start)}: length ${len} maps nothing`);
    return;
  }
  const small = b.small[i]!;
  const prot = small & PROT_MASK;
  const flags = (small >> FLAGS_SHIFT) & FLAGS_MASK;
  const sIdx = b.str[i]!;
  let obj: VmObject | null = null;
  let pgoff = start;
  if (sIdx >= 0) {
    obj = object(k, b.strings[sIdx]!);
    pgoff = Math.floor(b.n2[i]! / PAGE_SIZE);
  } else if (flags & MapFlag.shared) {
    obj = new VmObject(k.nextObj++, "anon", `anon:${k.nextObj - 1}`, pages * PAGE_SIZE);
    k.addObject(obj);
    pgoff = 0;
  }
  unmapRange(k, mm, start, start + pages);
  const vflags = flags &
    (MapFlag.shared | MapFlag.private | MapFlag.anon | MapFlag.locked | MapFlag.growsdown);
  const vma = new Vma(k.nextVma++, mm, start, start + pages, prot, vflags, obj, pgoff);
  mm.insert(vma);
  obj?.mappings.add(vma);
  k.strategy.vmaCreate(vma);
  tryMerge(k, vma);
  if (flags & (MapFlag.populate | MapFlag.locked)) populate(k, mm, start, start + pages);
}

/** Faults in `[start, end)` as GUP does: write faults for private writable areas. */
export function populate(k: Kernel, mm: Mm, start: number, end: number): void {
  for (let v = start; v < end; v++) {
    const vma = mm.find(v);
    if (vma === null) {
      // A hole: on to the next area.
      const next = mm.vmas[mm.lowerBound(v)];
      if (next === undefined) return;
      v = next.start - 1;
      continue;
    }
    if (
      vma.prot === 0 || (vma.obj !== null && vma.linearIndex(v) * PAGE_SIZE >= vma.obj.size)
    ) {
      v = vma.end - 1; // nothing to fault in the rest of this area
      continue;
    }
    const write = vma.writable && !vma.shared;
    const s = k.pt.ensure(mm, v);
    k.ptPeak();
    const f = k.pt.flags[s]!;
    if ((f & P) && (!write || (f & W))) continue;
    if (!faultIn(k, mm, vma, v, s, write)) return;
  }
}

/** True when `b` directly follows `a` and Linux would merge them (the strategy having its say). */
export function compatible(k: Kernel, a: Vma, b: Vma): boolean {
  return a.end === b.start && a.prot === b.prot && a.flags === b.flags && a.obj === b.obj &&
    b.pgoff === a.pgoff + (a.end - a.start) && k.strategy.canMerge(a, b);
}

/** Merges `vma` with its neighbours where Linux would; returns the surviving area. */
export function tryMerge(k: Kernel, vma: Vma): Vma {
  const mm = vma.mm;
  let q = mm.vmas.indexOf(vma);
  const prev = q > 0 ? mm.vmas[q - 1]! : null;
  if (prev !== null && compatible(k, prev, vma)) {
    prev.end = vma.end;
    prev.anon ||= vma.anon;
    k.strategy.vmaMerge(prev, vma);
    removeVma(k, vma);
    vma = prev;
    q--;
  }
  const next = mm.vmas[q + 1];
  if (next !== undefined && compatible(k, vma, next)) {
    vma.end = next.end;
    vma.anon ||= next.anon;
    k.strategy.vmaMerge(vma, next);
    removeVma(k, next);
  }
  mm.forgetLast();
  return vma;
}

/** Unlinks `vma` from its address space and its object (freeing an object nothing keeps alive). */
export function removeVma(k: Kernel, vma: Vma): void {
  vma.mm.remove(vma);
  if (vma.obj !== null) {
    vma.obj.mappings.delete(vma);
    maybeFreeObject(k, vma.obj);
  }
}

/** Splits `vma` at `at` (strictly inside); returns the new upper piece. */
export function split(k: Kernel, vma: Vma, at: number): Vma {
  const created = new Vma(
    k.nextVma++,
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
  k.strategy.vmaSplit(vma, created);
  return created;
}

/** Splits areas at `start` and `end`; returns the areas inside `[start, end)`. */
export function isolate(k: Kernel, mm: Mm, start: number, end: number): Vma[] {
  const a = mm.find(start);
  if (a !== null && a.start < start) split(k, a, start);
  const b = mm.find(end);
  if (b !== null && b.start < end) split(k, b, end);
  const out: Vma[] = [];
  for (let q = mm.lowerBound(start); q < mm.vmas.length; q++) {
    const v = mm.vmas[q]!;
    if (v.start >= end) break;
    out.push(v);
  }
  return out;
}

/** Zaps every PTE of `vma` in `[start, end)`. */
export function zapRange(k: Kernel, vma: Vma, start: number, end: number): void {
  const pt = k.pt;
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
      if (pt.flags[s] !== 0) zapPte(k, vma, v, s);
    }
  }
}

/** Clears the PTE at pool index `s` (`vpage` of `vma`), dropping its page or swap reference. */
export function zapPte(k: Kernel, vma: Vma, vpage: number, s: number): void {
  const f = k.pt.flags[s]!;
  const n = k.pt.num[s]!;
  if (f & P) {
    if (n !== ZERO_FRAME) {
      if (k.tracks) k.strategy.pteRemoved(n, vma, vpage);
      if (f & D) k.frames.flags[n]! |= PG.dirty;
      k.pt.set(s, 0, 0);
      vma.mm.rss--;
      unmapFrame(k, n);
      return;
    }
  } else if (f & PTE_SWAP) {
    k.pt.set(s, 0, 0);
    slotPut(k, n);
    return;
  }
  k.pt.set(s, 0, 0);
}

/** munmap: returns false when nothing was mapped in the range. */
export function unmapRange(k: Kernel, mm: Mm, start: number, end: number): boolean {
  if (!mm.overlaps(start, end)) return false;
  const vs = isolate(k, mm, start, end);
  for (const v of vs) zapRange(k, v, v.start, v.end);
  for (const v of vs) {
    k.strategy.vmaUnlink(v);
    removeVma(k, v);
  }
  k.tlb.flushRange(mm, start, end);
  if (k.pt.freeUnused(mm, start, end) > 0) mm.tlbGen = (mm.tlbGen + 1) | 0;
  return true;
}

/**
 * mprotect: splits, sets the protection, updates the PTEs (making exclusive anonymous pages
 * writable again), flushes and merges.
 */
export function mprotect(k: Kernel, mm: Mm, start: number, end: number, prot: number): void {
  if (!mm.overlaps(start, end)) {
    k.report.warn(`mprotect ${hex(start)}: nothing mapped there`);
    return;
  }
  const vs = isolate(k, mm, start, end);
  const pt = k.pt;
  let changed = false;
  for (const vma of vs) {
    vma.prot = prot;
    const bits = protBits(vma);
    const notify = writeNotify(vma);
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
        if (!(prot & Prot.write)) nf &= ~W;
        else if (!(f & W)) {
          const fr = pt.num[s]!;
          const pf = k.frames.flags[fr]!;
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
  if (changed) k.tlb.flushRange(mm, start, end);
  for (const v of vs) if (mm.vmas.includes(v)) tryMerge(k, v);
}

/**
 * mlock/munlock: sets or clears VM_LOCKED on the range; mlock faults everything in and makes the
 * pages unevictable, munlock puts them back on the LRU.
 */
export function mlock(k: Kernel, mm: Mm, start: number, end: number, lock: boolean): void {
  if (!mm.overlaps(start, end)) {
    k.report.warn(`${lock ? "mlock" : "munlock"} ${hex(start)}: nothing mapped there`);
    return;
  }
  const vs = isolate(k, mm, start, end);
  for (const v of vs) v.flags = lock ? v.flags | MapFlag.locked : v.flags & ~MapFlag.locked;
  if (lock) populate(k, mm, start, end);
  const pt = k.pt;
  const frames = k.frames;
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
        if (lock && !(fl & PG.mlocked)) mlockPage(k.frames, fr);
        else if (!lock && (fl & PG.mlocked)) {
          frames.flags[fr] = fl & ~PG.mlocked;
          frames.lruMove(fr, (fl & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
        }
      }
    }
  }
  for (const v of vs) if (mm.vmas.includes(v)) tryMerge(k, v);
}
