/**
 * Zapping PTEs (Linux's `zap_pte_range`): clearing the entries of a range of an area, each
 * dropping its page's mapping or its swap slot's reference; a page-cache page's accessed bit is
 * handed to the page (`mark_page_accessed`), as Linux does for every mapping but anonymous ones.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { PG, ZERO_FRAME } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { markAccessed } from "./lru.ts";
import { A, D, P, PTE_SWAP } from "./pte.ts";
import { slotPut, unmapFrame } from "./release.ts";
import type { Vma } from "./vma.ts";

/** Zaps every PTE of `vma` in `[start, end)`. */
export function zapRange(k: Kernel, vma: Vma, start: number, end: number): void {
  const pt = k.pt;
  const mm = vma.mm;
  for (let v = start; v < end;) {
    const first = pt.pteRun(mm, v, end), stop = pt.runEnd;
    if (first < 0) v = stop;
    for (let s = first; v < stop; v++, s++) {
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
      // zap_present_folio_ptes: a page-cache page (not an anonymous one) whose PTE was accessed is
      // marked accessed as its mapping goes (folio_mark_accessed: a second touch activates it).
      if ((f & A) && !(k.frames.flags[n]! & PG.anon)) markAccessed(k.frames, n);
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
