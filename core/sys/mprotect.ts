/**
 * `mprotect`.
 *
 * A system-call entry point: it takes the decoded arguments of an event (`machine.ts` decodes
 * them) and works through the primitives of `core/mm/`.
 *
 * @module
 */
import { isolate, tryMerge } from "../mm/areas.ts";
import { PG, ZERO_FRAME } from "../mm/frames.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { A, D, P, protBits, W, writeNotify } from "../mm/pte.ts";
import { hex } from "../mm/report.ts";
import { PAGE_SIZE, Prot } from "../../uapi/event.ts";

/**
 * mprotect of `len` bytes at virtual page `start` to protection `prot`: splits, sets the
 * protection, updates the PTEs (making exclusive anonymous pages writable again), flushes and
 * merges.
 */
export function mprotect(k: Kernel, mm: Mm, start: number, len: number, prot: number): void {
  const end = start + Math.ceil(len / PAGE_SIZE);
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
      const first = pt.pteRun(mm, v, vma.end), stop = pt.runEnd;
      if (first < 0) v = stop;
      for (let s = first; v < stop; v++, s++) {
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
