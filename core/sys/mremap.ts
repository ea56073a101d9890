/**
 * `mremap`: shrinking, growing in place and moving, carrying the page tables along (or copying
 * pages when the strategy asks, as anonmm does for pages still shared after fork).
 *
 * A system-call entry point: it takes the decoded arguments of an event (`machine.ts` decodes
 * them) and works through the primitives of `core/mm/`.
 *
 * @module
 */
import { isolate, tryMerge, unmapRange } from "../mm/areas.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { moveVma } from "../mm/move.ts";
import { populate } from "../mm/populate.ts";
import { hex } from "../mm/report.ts";
import type { Vma } from "../mm/vma.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/**
 * mremap of `oldLen` bytes at virtual page `old` to `newLen` bytes at `dst` (in place when `dst` is
 * `old`): shrinks, grows in place, or moves with the page tables.
 */
export function mremap(
  k: Kernel,
  mm: Mm,
  old: number,
  oldLen: number,
  dst: number,
  newLen: number,
): void {
  let oldPages = Math.ceil(oldLen / PAGE_SIZE);
  const newPages = Math.ceil(newLen / PAGE_SIZE);
  const first = mm.find(old);
  if (first === null || oldPages === 0 || newPages === 0) {
    const why = first === null ? "nothing mapped there" : "zero length";
    k.report.warn(`mremap ${hex(old)}: ${why} (EFAULT)`);
    return;
  }
  // The old range must lie in one area (or in areas Linux would have merged).
  let q = mm.vmas.indexOf(first);
  let last = first;
  while (last.end < old + oldPages) {
    const next = mm.vmas[++q];
    if (
      next === undefined || next.start !== last.end || next.prot !== last.prot ||
      next.flags !== last.flags || next.obj !== last.obj ||
      (next.obj !== null && next.pgoff !== last.pgoff + (last.end - last.start))
    ) {
      k.report.warn(`mremap ${hex(old)}: the range is not one mapping (EFAULT)`);
      return;
    }
    last = next;
  }
  if (dst !== old && dst < old + oldPages && old < dst + newPages) {
    k.report.warn(`mremap ${hex(old)}: new range overlaps the old one (EINVAL)`);
    return;
  }
  if (newPages < oldPages) {
    unmapRange(k, mm, old + newPages, old + oldPages);
    oldPages = newPages;
  }
  let pieces = isolate(k, mm, old, old + oldPages);
  if (dst !== old) {
    unmapRange(k, mm, dst, dst + newPages);
    const moved: Vma[] = [];
    for (const p of pieces) {
      const m = moveVma(k, p, dst - old, true);
      if (m !== null) {
        moved.push(m);
        continue;
      }
      // A page the strategy wants copied could not be (no memory): the mremap fails with
      // ENOMEM and the pieces already moved go back (Linux's move_vma error path).
      for (let j = 0; j < moved.length; j++) {
        const q = moved[j]!;
        pieces[j] = moveVma(k, q, old - dst, false)!;
      }
      k.tlb.flushRange(mm, old, old + oldPages);
      k.tlb.flushRange(mm, dst, dst + oldPages);
      if (k.pt.freeUnused(mm, dst, dst + oldPages) > 0) mm.tlbGen = (mm.tlbGen + 1) | 0;
      mm.forgetLast();
      for (const q of pieces) if (mm.vmas.includes(q)) tryMerge(k, q);
      k.report.oom(`mremap ${hex(old)}`);
      return;
    }
    k.tlb.flushRange(mm, old, old + oldPages);
    if (k.pt.freeUnused(mm, old, old + oldPages) > 0) mm.tlbGen = (mm.tlbGen + 1) | 0;
    pieces = moved;
  } else if (newPages > oldPages) {
    unmapRange(k, mm, old + oldPages, old + newPages);
  }
  const tail = pieces[pieces.length - 1]!;
  const grownFrom = tail.end;
  tail.end = dst + newPages;
  mm.forgetLast();
  for (const p of pieces) if (mm.vmas.includes(p)) tryMerge(k, p);
  if (newPages > oldPages && tail.locked) populate(k, mm, grownFrom, dst + newPages);
}
