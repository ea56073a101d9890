/**
 * Areas of an address space (Linux's `mm/vma.c`): merging neighbours Linux would merge, splitting,
 * isolating a range into whole areas, unlinking an area, and unmapping a range (`do_munmap`:
 * split, zap, unlink, free the page tables nothing covers).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { maybeFreeObject } from "./objects.ts";
import { Vma } from "./vma.ts";
import { zapRange } from "./zap.ts";

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
  created.inheritRa(vma);
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
