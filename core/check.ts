/**
 * The invariant checker behind `check` mode: cross-checks frames, page tables, swap slots, objects
 * and the strategy's reverse map against a brute-force scan of every page table.
 *
 * Invariants:
 * - every present PTE lies inside an area of its address space, maps an allocated frame (or the
 *   zero page), and is writable only in a writable area; every swap PTE holds an allocated slot;
 * - each frame's `mapcount` equals the number of PTEs mapping it, each address space's `rss` the
 *   number of its present PTEs (zero page excluded);
 * - no frame is both free and in use, and every allocated frame is mapped, in a page cache or in
 *   the swap cache (no leak), and on exactly the LRU lists the counts say;
 * - each slot's reference count equals its swap PTEs plus object swap-map entries, and a slot is
 *   allocated exactly while it has references or a swap-cache page;
 * - the strategy's rmap walk finds exactly the PTEs the scan finds (strategies with an rmap).
 *
 * @module
 */
import { type FrameTable, LRU, NONE, PG, ZERO_FRAME } from "./mm/frames.ts";
import type { Kernel } from "./mm/kernel.ts";
import type { Mm } from "./mm/mm.ts";
import type { VmObject } from "./mm/object.ts";
import type { PageTables } from "./mm/page_table.ts";
import { PTE_PRESENT, PTE_SWAP, PTE_WRITE } from "./mm/pte.ts";
import type { SwapSpace } from "./mm/swap.ts";

/** What the checker looks at. */
export interface CheckState {
  /** The frames. */
  frames: FrameTable;
  /** The page-table pool. */
  pt: PageTables;
  /** The swap slots. */
  swap: SwapSpace;
  /** Every live address space. */
  mms: Mm[];
  /** Every live object. */
  objects: VmObject[];
  /** Whether the strategy has a reverse map to cross-check. */
  hasRmap: boolean;
  /** The strategy's rmap of a mapped frame, as (address-space id, virtual page) pairs. */
  rmapOf(frame: number): number[];
  /** The frames whose swap writes are in flight (`Kernel.inFlight`), when there may be any. */
  inFlight?: readonly number[];
}

const MAX_MESSAGES = 10;

/**
 * The invariants of a whole machine's state, `k` (what `Machine` checks after an event): the rmap
 * walks the check makes count nothing (`Kernel.checking`), and the counters are left as they were.
 */
export function checkKernel(k: Kernel): string[] {
  const saved = k.counters.slice();
  k.checking = true;
  try {
    return checkInvariants({
      frames: k.frames,
      pt: k.pt,
      swap: k.swap,
      mms: [...k.mms.values()],
      objects: [...k.objById.values()],
      hasRmap: k.strategy.hasRmap,
      rmapOf: (fr) => k.walker.collect(fr),
      inFlight: k.inFlight,
    });
  } finally {
    k.counters.set(saved);
    k.checking = false;
  }
}

/**
 * Returns the violated invariants (at most 10 messages), empty when all hold.
 *
 * @example
 * ```ts
 * import { checkInvariants } from "./check.ts";
 * import { FrameTable } from "./mm/frames.ts";
 * import { PageTables } from "./mm/page_table.ts";
 * import { SwapSpace } from "./mm/swap.ts";
 * const errors = checkInvariants({
 *   frames: new FrameTable(4), pt: new PageTables(), swap: new SwapSpace(),
 *   mms: [], objects: [], hasRmap: true, rmapOf: () => [],
 * });
 * if (errors.length !== 0) throw new Error(errors.join("\n"));
 * ```
 */
export function checkInvariants(st: CheckState): string[] {
  const out: string[] = [];
  const err = (m: string) => {
    if (out.length < MAX_MESSAGES) out.push(m);
  };
  const { frames, pt, swap } = st;
  // A write in flight is that of a page still under writeback: no page is freed (and its frame
  // given to another) while it is written.
  for (const f of st.inFlight ?? []) {
    if (!(frames.flags[f]! & PG.writeback)) {
      err(`frame ${f}: a write in flight, but the frame is not under writeback (freed?)`);
    }
  }
  // Frames above the extent were never handed out: they are free, and the arrays end before them.
  const n = frames.extent;
  const maps = new Int32Array(n + 1);
  const where = new Map<number, string[]>();
  // By slot: slot numbers may be far apart (a device of terabytes before a small one).
  const slotCount = new Map<number, number>();
  const held = (slot: number) => slotCount.set(slot, (slotCount.get(slot) ?? 0) + 1);
  for (const mm of st.mms) {
    let rss = 0;
    pt.forEachPte(mm, (v, s) => {
      const f = pt.flags[s]!;
      const num = pt.num[s]!;
      const vma = mm.find(v);
      if (vma === null) {
        err(`mm ${mm.id}: PTE at page ${v} outside every area`);
        return;
      }
      if (f & PTE_PRESENT) {
        if ((f & PTE_WRITE) && !vma.writable) {
          err(`mm ${mm.id}: writable PTE at page ${v} in a read-only area`);
        }
        if (num === ZERO_FRAME) return;
        if (num < 1 || num > frames.count || frames.isFree(num)) {
          err(`mm ${mm.id}: PTE at page ${v} maps free or bad frame ${num}`);
          return;
        }
        maps[num]!++;
        rss++;
        if (st.hasRmap) {
          const key = `${mm.id}:${v}`;
          const l = where.get(num);
          if (l === undefined) where.set(num, [key]);
          else l.push(key);
        }
      } else if (f & PTE_SWAP) {
        if (num >= swap.inUse.length || !swap.inUse[num]) {
          err(`mm ${mm.id}: swap PTE at page ${v} holds free slot ${num}`);
          return;
        }
        held(num);
      } else err(`mm ${mm.id}: PTE at page ${v} neither present nor swap (flags ${f})`);
    });
    if (rss !== mm.rss) err(`mm ${mm.id}: rss ${mm.rss}, page tables map ${rss} pages`);
  }
  const inCache = new Uint8Array(n + 1);
  for (const o of st.objects) {
    o.pages.forEach((fr, idx) => {
      if (frames.isFree(fr)) err(`${o.name}: page ${idx} is free frame ${fr}`);
      if (frames.owner[fr] !== o.id || frames.index[fr] !== idx) {
        err(
          `${o.name}: frame ${fr} of page ${idx} says owner ${frames.owner[fr]} index ${
            frames.index[fr]
          }`,
        );
      }
      if (!(frames.flags[fr]! & PG.pageCache)) err(`${o.name}: frame ${fr} lacks PG.pageCache`);
      inCache[fr] = 1;
    });
    o.swap.forEach((slot, idx) => {
      if (!swap.inUse[slot]) err(`${o.name}: page ${idx} on free slot ${slot}`);
      else held(slot);
      if (o.pages.has(idx)) err(`${o.name}: page ${idx} both cached and on swap`);
    });
  }
  const lruCount = new Int32Array(6);
  for (let fr = 1; fr <= n; fr++) {
    const fl = frames.flags[fr]!;
    if (fl & PG.free) {
      if (maps[fr] !== 0) err(`frame ${fr} is free but mapped ${maps[fr]} times`);
      if (frames.lru[fr] !== LRU.none) err(`free frame ${fr} on LRU list ${frames.lru[fr]}`);
      continue;
    }
    if (frames.mapcount[fr] !== maps[fr]) {
      err(`frame ${fr}: mapcount ${frames.mapcount[fr]}, page tables map it ${maps[fr]} times`);
    }
    if ((fl & PG.pageCache) && !inCache[fr]) err(`frame ${fr}: PG.pageCache but in no object`);
    if (fl & PG.swapCache) {
      const slot = frames.swap[fr]!;
      if (slot === NONE || swap.cache[slot] !== fr) {
        err(
          `frame ${fr}: PG.swapCache but slot ${slot} caches ${
            slot === NONE ? "-" : swap.cache[slot]
          }`,
        );
      }
    }
    if (maps[fr] === 0 && !(fl & (PG.pageCache | PG.swapCache)) && !(fl & PG.pinned)) {
      err(`frame ${fr} leaked: allocated, unmapped, in no cache (flags ${fl})`);
    }
    if (frames.lru[fr] === LRU.none) err(`frame ${fr} in use but on no LRU list`);
    lruCount[frames.lru[fr]!]!++;
  }
  for (let l = 1; l < 6; l++) {
    if (lruCount[l] !== frames.lruSize[l]) {
      err(`LRU list ${l}: size ${frames.lruSize[l]}, ${lruCount[l]} frames on it`);
    }
  }
  // Every slot in use, device by device (a removed device has none); a free slot held by an entry
  // was reported above. Only the clusters with slots in use hold any, and they count them.
  for (const d of swap.devices) {
    const ranges = d.clusters.rangesInUse();
    let used = 0;
    for (let q = 0; q < ranges.length; q += 2) {
      const first = d.base + ranges[q]!, last = d.base + ranges[q + 1]!;
      let n = 0;
      for (let slot = first; slot <= last; slot++) {
        if (swap.inUse[slot]) n++;
        checkSlot(slot);
      }
      const counted = d.clusters.used(d.clusters.clusterOf(ranges[q]!));
      if (n !== counted) {
        err(`swap ${d.name}: slots ${first}-${last}: ${n} in use, ${counted} counted`);
      }
      used += n;
    }
    if (used !== d.used) {
      err(`swap ${d.name}: ${used} slots in use in its clusters, ${d.used} counted`);
    }
  }
  function checkSlot(slot: number): void {
    if (!swap.inUse[slot]) return;
    const count = slotCount.get(slot) ?? 0;
    if (swap.refs[slot] !== count) {
      err(`slot ${slot}: refs ${swap.refs[slot]}, held ${count} times`);
    }
    const c = swap.cache[slot]!;
    if (swap.refs[slot] === 0 && c === NONE) err(`slot ${slot} leaked: no references, no cache`);
    if (c !== NONE && (frames.isFree(c) || frames.swap[c] !== slot)) {
      err(`slot ${slot}: swap cache frame ${c} does not point back`);
    }
  }
  if (st.hasRmap) {
    for (const [fr, expect] of where) {
      const got = st.rmapOf(fr);
      const found = new Set<string>();
      for (let k = 0; k < got.length; k += 2) found.add(`${got[k]}:${got[k + 1]}`);
      for (const key of expect) {
        if (!found.has(key)) err(`rmap of frame ${fr} misses the PTE at ${key} (mm:page)`);
      }
      if (found.size !== expect.length) {
        err(`rmap of frame ${fr} finds ${found.size} PTEs, page tables have ${expect.length}`);
      }
    }
  }
  return out;
}
