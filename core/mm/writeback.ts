/**
 * Writeback: of a dirty file page (msync, fsync), written to its file, then its PTEs cleaned and,
 * in write-notify mappings, write-protected again (`page_mkclean`); and, in a memory cgroup
 * (`Kernel.lateWriteback`), of the pages reclaim writes to swap, which stay in the swap cache
 * until their writes complete.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";

/** Writes dirty file page `fr` to its file and cleans its PTEs (`page_mkclean`). */
export function writeback(k: Kernel, fr: number): void {
  const obj = k.objAt[k.frames.owner[fr]!]!;
  k.counters[C.file_write_pages]!++;
  obj.disk.set(k.frames.index[fr]!, k.frames.stamp[fr]!);
  k.frames.flags[fr]! &= ~PG.dirty;
  if (k.frames.mapcount[fr]! > 0) k.walker.mkclean(fr);
}

/**
 * Reclaim wrote unmapped frame `f` to swap (`lateWriteback`): it stays in the swap cache at the
 * head of its list, as `shrink_folio_list` keeps a page under writeback, until the write completes
 * ({@linkcode completeWriteback}, {@linkcode completeWritesBefore}).
 */
export function startWriteback(k: Kernel, f: number): void {
  k.frames.flags[f]! |= PG.writeback;
  k.frames.lruMove(f, k.frames.lru[f]!);
  k.inFlight.push(f);
  k.inFlightAt.push(k.scanClock);
}

/**
 * Every swap write reclaim started has completed: each page still waiting goes to the tail of its
 * inactive list (`folio_rotate_reclaimable`), where the next scan frees it.
 */
export function completeWriteback(k: Kernel): void {
  completeFirst(k, k.inFlight.length);
}

/**
 * The swap writes reclaim started when its scan clock (`Kernel.scanClock`, pages scanned) was at
 * `clock` or earlier have completed (see {@linkcode completeWriteback}).
 */
export function completeWritesBefore(k: Kernel, clock: number): void {
  const at = k.inFlightAt;
  let n = 0;
  while (n < at.length && at[n]! <= clock) n++;
  if (n > 0) completeFirst(k, n);
}

/** The first `n` writes of `Kernel.inFlight` have completed. */
function completeFirst(k: Kernel, n: number): void {
  const fr = k.frames;
  const list = k.inFlight;
  for (let q = 0; q < n; q++) {
    const f = list[q]!;
    fr.flags[f] = fr.flags[f]! & ~PG.writeback; // no page is freed while it is written
    const l = fr.lru[f]!;
    if (l === LRU.inactiveAnon || l === LRU.inactiveFile) fr.lruMoveTail(f, l);
  }
  if (n === list.length) {
    list.length = 0;
    k.inFlightAt.length = 0;
  } else {
    list.splice(0, n);
    k.inFlightAt.splice(0, n);
  }
}
