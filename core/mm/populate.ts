/**
 * Populating a range (MAP_POPULATE, MAP_LOCKED, mlock, growing a locked area): every page faulted
 * in as `get_user_pages` would, with write faults for private writable areas, and then touched
 * (`FOLL_TOUCH`: `folio_mark_accessed`, so a page populated once is referenced, and one already
 * referenced is activated), present ones too.
 *
 * Internal to the machine: a function over its state (`Kernel`).
 *
 * @module
 */
import { faultIn } from "./fault.ts";
import { ZERO_FRAME } from "./frames.ts";
import { markAccessed } from "./lru.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { P, W } from "./pte.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/**
 * Faults in `[start, end)` as GUP does: write faults for private writable areas; each page it
 * then finds is marked accessed (`follow_page_pte` with `FOLL_TOUCH`). A fault that waits for a
 * read counts as minor (`Kernel.populating`).
 */
export function populate(k: Kernel, mm: Mm, start: number, end: number): void {
  k.populating = true;
  try {
    populateRange(k, mm, start, end);
  } finally {
    k.populating = false;
  }
}

function populateRange(k: Kernel, mm: Mm, start: number, end: number): void {
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
    if (!(f & P) || (write && !(f & W))) {
      if (!faultIn(k, vma, v, s, write)) return;
    }
    const n = k.pt.num[s]!;
    if ((k.pt.flags[s]! & P) && n !== ZERO_FRAME) markAccessed(k.frames, n);
  }
}
