/**
 * Refault detection (`mm/workingset.c`), part of the memory cgroup reclaim model (`memcg`; see
 * `memcg_reclaim.ts`): a page reclaim frees leaves a shadow, the machine's count of evictions and
 * activations (`nonresident_age`) at that moment; a page read back (a swap-in, readahead included,
 * or a file page read from disk) whose shadow is younger than the workingset could hold is put
 * straight on the active list (`workingset_refault`). The workingset is the active file list, plus
 * the inactive file list for an anonymous page, plus, while swap has room, the active anonymous
 * list (and the inactive one for a file page), in the sizes of the cgroup's last statistics flush
 * (`Kernel.memcgStat`: 0 in a new cgroup, so no refault is activated: the refault distance is at
 * least 1, since a page's own eviction ages the counter after its shadow is taken, as
 * `workingset_eviction` does; measured: no refault activation in a probe's first 2 seconds).
 *
 * Shadows of swap-backed pages sit in their slot (`SwapSpace.shadow`), those of file pages in
 * their object (`VmObject.shadow`). A shadow also remembers whether the page had been active
 * (PG_workingset); such a refault counts as reclaim cost of its list, as `lru_note_cost_refault`
 * does.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { LRU, PG } from "./frames.ts";
import { noteCost } from "./lru.ts";
import type { Kernel } from "./kernel.ts";

/** Slot of `Kernel.memcgStat` holding the refault activations of anonymous pages. */
export const STAT_REFAULTS_ANON = 6;
/** Slot of `Kernel.memcgStat` holding the refault activations of file pages. */
export const STAT_REFAULTS_FILE = 7;

/** The shadow page `fr`'s eviction leaves (`workingset_eviction`); ages the machine by one. */
export function evictionShadow(k: Kernel, fr: number): number {
  const shadow = k.nrAge * 2 + ((k.frames.flags[fr]! & PG.workingset) !== 0 ? 1 : 0);
  k.nrAge++;
  return shadow;
}

/**
 * Page `fr`, just read back and on its inactive list, left `shadow` when it was evicted
 * (`workingset_refault`): activates it when it was evicted recently enough. `file`: a file page.
 */
export function refault(k: Kernel, fr: number, shadow: number, file: boolean): void {
  const fl = k.frames;
  const size = k.memcgStat; // as of the last flush (workingset_test_recent)
  const eviction = Math.floor(shadow / 2);
  const distance = k.nrAge - eviction;
  let workingset = size[LRU.activeFile]!;
  if (!file) workingset += size[LRU.inactiveFile]!;
  if (k.swap.used < k.swap.total) {
    workingset += size[LRU.activeAnon]!;
    if (file) workingset += size[LRU.inactiveAnon]!;
  }
  if (distance > workingset) return;
  fl.lruMove(fr, file ? LRU.activeFile : LRU.activeAnon);
  k.nrAge++;
  if (shadow % 2 === 1) {
    fl.flags[fr]! |= PG.workingset;
    noteCost(k, file, 1, 0);
  }
}
