/**
 * `msync`.
 *
 * A system-call entry point: it takes the decoded arguments of an event (`machine.ts` decodes
 * them) and works through the primitives of `core/mm/`.
 *
 * @module
 */
import { PG } from "../mm/frames.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { D, P } from "../mm/pte.ts";
import { hex } from "../mm/report.ts";
import { writeback } from "../mm/writeback.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** msync of `len` bytes at page `start`: writes back the dirty pages of shared `file:` mappings. */
export function msync(k: Kernel, mm: Mm, start: number, len: number): void {
  const end = start + Math.ceil(len / PAGE_SIZE);
  if (!mm.overlaps(start, end)) {
    k.report.warn(`msync ${hex(start)}: nothing mapped there (ENOMEM)`);
    return;
  }
  for (let q = mm.lowerBound(start); q < mm.vmas.length && mm.vmas[q]!.start < end; q++) {
    const vma = mm.vmas[q]!;
    if (!vma.shared || vma.obj === null || vma.obj.kind !== "file") continue;
    const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
    const dirty: number[] = [];
    k.pt.forEachInRange(mm, s, e, (_v, sl) => {
      const f = k.pt.flags[sl]!;
      if ((f & P) && ((f & D) || (k.frames.flags[k.pt.num[sl]!]! & PG.dirty))) {
        dirty.push(k.pt.num[sl]!);
      }
    });
    for (const fr of dirty) if (k.frames.flags[fr]! & PG.dirty) writeback(k, fr);
  }
}
