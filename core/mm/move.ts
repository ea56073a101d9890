/**
 * Moving an area with its page tables (Linux's `move_vma` and `move_page_tables`), or copying the
 * pages a strategy asks to have copied (anonmm), and moving back when a copy fails.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { removeVma } from "./areas.ts";
import { C } from "../counters.ts";
import { anonPrepare } from "./fault.ts";
import { NONE, PG, ZERO_FRAME } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { lruAddNew } from "./lru.ts";
import { allocFrame } from "./page_alloc.ts";
import { A, D, P, protBits, PTE_SWAP, W } from "./pte.ts";
import { slotPut, unmapFrame } from "./release.ts";
import { swapIn } from "./swap_in.ts";
import { Vma } from "./vma.ts";

/**
 * Moves area `p` by `delta` pages, carrying its PTEs (move_page_tables); returns the new area. When
 * `mayCopy` and a page the strategy wants copied cannot be (no memory), the PTEs already moved go
 * back, the new area is removed, `p` stays and the result is null (Linux's move_vma on error).
 */
export function moveVma(k: Kernel, p: Vma, delta: number, mayCopy: boolean): Vma | null {
  const mm = p.mm;
  const moved = new Vma(
    k.nextVma++,
    mm,
    p.start + delta,
    p.end + delta,
    p.prot,
    p.flags,
    p.obj,
    p.pgoff,
  );
  moved.anon = p.anon;
  moved.inheritRa(p);
  mm.insert(moved);
  moved.obj?.mappings.add(moved);
  k.strategy.vmaMove(p, moved);
  const stop = movePtes(k, p, moved, p.end, mayCopy);
  if (stop < p.end) {
    // Back where they were: nothing moved forward needs a copy to go back (copies and moved pages
    // are the mover's alone), so this cannot fail.
    movePtes(k, moved, p, stop + delta, false);
    k.strategy.vmaUnlink(moved);
    removeVma(k, moved);
    return null;
  }
  k.strategy.vmaUnlink(p);
  removeVma(k, p);
  return moved;
}

/**
 * Moves the PTEs of `from` below `end` into `to` (the same pages `to.start - from.start` pages
 * away), or copies the pages the strategy asks to (when `mayCopy`). Returns `end`, or the page
 * whose copy failed (left in place).
 */
function movePtes(k: Kernel, from: Vma, to: Vma, end: number, mayCopy: boolean): number {
  const mm = from.mm;
  const start = from.start, delta = to.start - from.start;
  const pt = k.pt;
  const c = k.counters;
  for (let v = start; v < end;) {
    const first = pt.pteRun(mm, v, end), stop = pt.runEnd;
    if (first < 0) v = stop;
    for (let s = first; v < stop; v++, s++) {
      const f = pt.flags[s]!;
      if (f === 0) continue;
      const n = pt.num[s]!;
      const nv = v + delta;
      const ds = pt.ensure(mm, nv);
      k.ptPeak();
      const isSwap = (f & PTE_SWAP) !== 0;
      const frame = isSwap ? NONE : n;
      // Every PTE but the zero page's is reported (pte_chain rewrites its entry for file pages
      // too); only anonymous pages and swap entries may be copied instead of moved.
      // A swap entry is shared when other PTEs or objects hold its slot, or when its swap-cache
      // page is mapped (a relative swapped it in); a page, when its swap slot is held.
      const cached = isSwap ? k.swap.cache[n]! : k.frames.swap[n]!;
      const slotShared = isSwap
        ? k.swap.refs[n]! > 1 || (cached !== NONE && k.frames.mapcount[cached]! > 0)
        : cached !== NONE && k.swap.refs[cached]! > 0;
      if (
        frame !== ZERO_FRAME &&
        k.strategy.movePte(frame, slotShared, from, v, to, nv) &&
        mayCopy && (isSwap || (k.frames.flags[n]! & PG.anon))
      ) {
        if (!copyForMove(k, from, v, s, to, nv, ds)) return v;
        c[C.mremap_pages_copied]!++;
        continue;
      }
      pt.flags[ds] = pt.flags[s]!;
      pt.num[ds] = pt.num[s]!;
      k.pt.set(s, 0, 0);
      c[C.mremap_ptes_moved]!++;
    }
  }
  return end;
}

/** anonmm's mremap: a private copy at the new place instead of the shared page. */
export function copyForMove(
  k: Kernel,
  p: Vma,
  v: number,
  s: number,
  moved: Vma,
  nv: number,
  ds: number,
): boolean {
  const pt = k.pt;
  const f = pt.flags[s]!;
  let src = pt.num[s]!;
  if (f & PTE_SWAP) {
    const cached = k.swap.cache[src]!;
    if (cached !== NONE) src = cached;
    else {
      const r = swapIn(k, src);
      if (r === NONE) return false;
      src = r;
    }
  }
  k.frames.flags[src]! |= PG.pinned;
  anonPrepare(k, moved);
  const nf = allocFrame(k);
  k.frames.flags[src]! &= ~PG.pinned;
  if (nf === NONE) return false;
  const stamp = k.frames.stamp[src]!;
  if (f & PTE_SWAP) {
    const slot = pt.num[s]!;
    k.pt.set(s, 0, 0);
    slotPut(k, slot);
  } else {
    if (k.tracks) k.strategy.pteRemoved(src, p, v);
    k.pt.set(s, 0, 0);
    unmapFrame(k, src);
    p.mm.rss--;
  }
  const fl = k.frames.flags;
  fl[nf] = PG.anon | PG.swapBacked | PG.dirty | PG.exclusive;
  k.frames.stamp[nf] = stamp;
  k.frames.mapcount[nf] = 1;
  moved.mm.rss++;
  k.pt.set(ds, P | A | D | (moved.writable ? W : 0) | protBits(moved), nf);
  k.strategy.newAnonPage(nf, moved, nv, true);
  lruAddNew(k.frames, nf, moved);
  return true;
}
