/**
 * `mlock` and `munlock`.
 *
 * A system-call entry point: it takes the decoded arguments of an event (`machine.ts` decodes
 * them) and works through the primitives of `core/mm/`.
 *
 * @module
 */
import { isolate, tryMerge } from "../mm/areas.ts";
import { LRU, PG, ZERO_FRAME } from "../mm/frames.ts";
import type { Kernel } from "../mm/kernel.ts";
import { mlockPage } from "../mm/lru.ts";
import type { Mm } from "../mm/mm.ts";
import { populate } from "../mm/populate.ts";
import { P } from "../mm/pte.ts";
import { hex } from "../mm/report.ts";
import { MapFlag, PAGE_SIZE } from "../../uapi/event.ts";

/**
 * mlock (`lock`) or munlock of `len` bytes at virtual page `start`: sets or clears VM_LOCKED on
 * the range; mlock faults everything in and makes the pages unevictable, munlock puts them back on
 * the LRU.
 */
export function mlock(k: Kernel, mm: Mm, start: number, len: number, lock: boolean): void {
  const end = start + Math.ceil(len / PAGE_SIZE);
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
      const first = pt.pteRun(mm, v, vma.end), stop = pt.runEnd;
      if (first < 0) v = stop;
      for (let s = first; v < stop; v++, s++) {
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
