/**
 * Writeback: of a dirty file page (msync, fsync), written to its file, then its PTEs cleaned and,
 * in write-notify mappings, write-protected again (`page_mkclean`); and, in a memory cgroup
 * (`Kernel.lateWriteback`), of the pages reclaim writes to swap, which stay in the swap cache
 * until their writes complete, and of the dirty file pages the flusher writes when reclaim finds
 * nothing else ({@linkcode flushDirtyFiles}).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { type FrameTable, LRU, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { activate } from "./lru.ts";

/**
 * Writes dirty file page `fr` to its file and cleans its PTEs (`page_mkclean`); the write
 * completes at once (fsync, msync).
 */
export function writeback(k: Kernel, fr: number): void {
  writeOut(k, fr);
  rotateMarked(k.frames, fr);
}

/** Sends the write of dirty file page `fr` to its file and cleans the page and its PTEs. */
function writeOut(k: Kernel, fr: number): void {
  const obj = k.objAt[k.frames.owner[fr]!]!;
  k.counters[C.file_write_pages]!++;
  obj.disk.set(k.frames.index[fr]!, k.frames.stamp[fr]!);
  k.frames.flags[fr]! &= ~PG.dirty;
  if (k.frames.mapcount[fr]! > 0) k.walker.mkclean(fr);
}

/**
 * Reclaim leaves file page `f` to the flusher rather than freeing it (`shrink_folio_list`): marked
 * PG_reclaim and activated; {@linkcode rotateMarked} sends it to the inactive tail once written.
 */
export function markForFlusher(frames: FrameTable, f: number): void {
  frames.flags[f] = frames.flags[f]! | PG.reclaim;
  activate(frames, f);
}

/**
 * `folio_end_writeback` of a file page reclaim marked (PG_reclaim): to the inactive file list's
 * tail, active or not (`lru_move_tail`), where the next scan frees it.
 */
function rotateMarked(frames: FrameTable, f: number): void {
  if (!(frames.flags[f]! & PG.reclaim)) return;
  frames.flags[f] = frames.flags[f]! & ~PG.reclaim;
  const l = frames.lru[f];
  if (l === LRU.activeFile || l === LRU.inactiveFile) frames.lruMoveTail(f, LRU.inactiveFile);
}

/**
 * The flusher, woken by memory cgroup reclaim that found a batch of dirty file pages only
 * (`wakeup_flusher_threads`, WB_REASON_VMSCAN): every dirty page of every disk file is written
 * (counted now), a file's in index order. Reclaim entered from a fault waits for them
 * (`memcg_reclaim.ts`); in write(2) it goes on, and they complete as the disk takes them: one
 * request (`MAX_REQUEST_PAGES`) after another, each `SLOW_REQUEST_FACTOR` times `write_latency`
 * pages scanned, or sooner when reclaim waits for writes (the next reclaim's start, a page it
 * marked met again: cgroup v1 waits then). Swap writes sent after them complete after them (in
 * order). Measured on Linux 6.18: 8 MiB written with write(2) once 16 MiB of anonymous memory
 * filled a 16 MiB cgroup swapped out 855 (685-1 066) pages; with the flusher's writes completing
 * only when reclaim next waited, the simulator swapped out 3 658 in one reclaim that could free
 * nothing it wrote. A page reclaim marked (PG_reclaim) goes to the inactive list's tail when its
 * write completes, in the order of the writes, so that reclaim frees the file's last page first.
 */
export function flushDirtyFiles(k: Kernel): void {
  const pages: number[] = [];
  let sent = 0;
  for (const obj of k.objAt) {
    if (obj === undefined || obj.kind !== "file") continue;
    pages.length = 0;
    // In index order, as the page cache is walked.
    obj.pages.forEach((fr) => {
      if (k.frames.flags[fr]! & PG.dirty) pages.push(fr);
    });
    for (const fr of pages) {
      // Sent now, complete later (completeFirst rotates a marked page then).
      writeOut(k, fr);
      k.frames.flags[fr]! |= PG.writeback;
      k.inFlight.push(fr);
      // Reclaim in write(2) goes on meanwhile: the flusher's requests (as many pages as a
      // request takes) complete one after another, each as long as a large one. Entered from a
      // fault, reclaim waits for them all (memcg_reclaim.ts).
      const request = 1 + Math.floor(sent++ / MAX_REQUEST_PAGES);
      k.inFlightAt.push(k.scanClock + request * SLOW_REQUEST_FACTOR * k.writeLatency);
    }
  }
}

/**
 * Reclaim wrote unmapped frame `f` to swap (`lateWriteback`): it stays in the swap cache at the
 * head of its list, as `shrink_folio_list` keeps a page under writeback, until the write completes
 * ({@linkcode completeWriteback}, {@linkcode completeWritesBefore}). Under a plug (the reclaim
 * pass's or a swap readahead's) the write waits in it until it is flushed.
 */
export function startWriteback(k: Kernel, f: number): void {
  k.frames.flags[f]! |= PG.writeback;
  k.frames.lruMove(f, k.frames.lru[f]!);
  const held = k.passPlug || k.plugged;
  if (held) plugRequest(k, k.frames.swap[f]!, true);
  k.inFlight.push(f);
  k.inFlightAt.push(held ? HELD : k.scanClock + k.writeLatency);
}

/** `inFlightAt` of a write waiting in a plug: it has not started yet. */
const HELD = Infinity;
/** Pages one request of a swap write takes at most (`max_segments` of the development disk). */
export const MAX_REQUEST_PAGES = 254;
/**
 * A plug whose first request is this large (128 KiB, `BLK_PLUG_FLUSH_SIZE`) is flushed when
 * another request joins it.
 */
const PLUG_FLUSH_PAGES = 32;
/** Requests a plug holds at most before it is flushed (`BLK_MAX_REQUEST_COUNT`). */
const PLUG_MAX_REQUESTS = 32;
/**
 * A write request of this many pages (512 KiB) or more is slow: it completes once reclaim has
 * scanned `SLOW_REQUEST_FACTOR` times `Kernel.writeLatency` pages after it was sent.
 */
export const SLOW_REQUEST_PAGES = 128;
/**
 * How many times longer than a small one a large write request takes (see
 * {@linkcode SLOW_REQUEST_PAGES}). Measured with block and vmscan tracepoints on the development
 * disk (virtio): a second-chance sweep of `swap_random` wrote 448 pages before its first 254-page
 * request completed, 1.5 ms after it was sent, where the small requests of those reclaims took
 * 0.3-0.6 ms. Over four calibrations of 26 pressure probes, phase replays outside over a mem= sweep
 * of -16 to +16 KiB went from 71 to 49; in two of them a factor of 1, 2.5, 3 and 3.5 left 50, 41,
 * 32 and 56 (docs/machine.md, "Time").
 */
export const SLOW_REQUEST_FACTOR = 3;

/**
 * A swap write (`write`) or read of slot `slot` goes into the plug (`blk_add_rq_to_plug`). To the
 * slot after the last request's, in the same direction, it merges into that request (up to
 * `MAX_REQUEST_PAGES`). Else it is a new request, and the plug is flushed first when
 * `PLUG_MAX_REQUESTS` wait or when its first request is 128 KiB or more: Linux compares the size
 * of the request `rq_list_peek` returns, and since requests join the plug's list at its tail (as
 * in the 6.18 kernel measured here; older kernels added them at its head) that is the first one.
 */
export function plugRequest(k: Kernel, slot: number, write: boolean): void {
  if (
    k.plugRequests > 0 && slot === k.plugLastSlot + 1 && write === k.plugLastWrite &&
    k.plugLastSize < MAX_REQUEST_PAGES
  ) {
    k.plugLastSize++;
    if (k.plugRequests === 1) k.plugFirstSize++;
    if (write) k.plugWrites[k.plugWrites.length - 1]!++;
  } else {
    if (
      k.plugRequests > 0 &&
      (k.plugFirstSize >= PLUG_FLUSH_PAGES || k.plugRequests >= PLUG_MAX_REQUESTS)
    ) flushPlug(k);
    k.plugRequests++;
    k.plugLastSize = 1;
    if (k.plugRequests === 1) k.plugFirstSize = 1;
    if (write) k.plugWrites.push(1);
  }
  k.plugLastSlot = slot;
  k.plugLastWrite = write;
}

/**
 * A swap readahead starts its plug (`blk_start_plug` in `swap_cluster_readahead` and
 * `swap_vma_readahead`), holding the window's first read: one page, so the plug is flushed by
 * its count of requests alone ({@linkcode plugRequest}). Measured with block-layer tracepoints
 * (`block_bio_queue`, `block_unplug`) on five pressure probes: of the 96 reclaims that wrote
 * during a readahead, 92 came after a read of the window was queued; contiguous writes then stay
 * in the plug until the window's reads are done, 1820 of them in one reclaim, scattered ones are
 * sent 32 requests at a time.
 */
export function startReadaheadPlug(k: Kernel): void {
  k.plugRequests = 1;
  if (k.plugWrites.length > 0) k.plugWrites.length = 0;
  k.plugFirstSize = 1;
  k.plugLastSize = 1;
  k.plugLastSlot = -2;
  k.plugLastWrite = false;
}

/**
 * The plug is flushed (a request too many, or the reclaim pass ends: `blk_finish_plug`): the
 * writes it held start now, at the scan clock, each request due `writeLatency` pages scanned
 * later, a slow one ({@linkcode SLOW_REQUEST_PAGES}) `SLOW_REQUEST_FACTOR` times that.
 */
export function flushPlug(k: Kernel): void {
  const at = k.inFlightAt;
  // The held writes are the last ones still held, in the order of their requests in `plugWrites`.
  // The flusher's writes, woken meanwhile (write(2)), may stand among them: they are not this
  // plug's.
  let held = 0;
  for (const pages of k.plugWrites) held += pages;
  let i = at.length;
  for (let seen = 0; i > 0 && seen < held; i--) if (at[i - 1] === HELD) seen++;
  for (const pages of k.plugWrites) {
    const due = k.scanClock + (pages >= SLOW_REQUEST_PAGES ? SLOW_REQUEST_FACTOR : 1) *
        k.writeLatency;
    for (let n = 0; n < pages && i < at.length; i++) {
      if (at[i] === HELD) {
        at[i] = due;
        n++;
      }
    }
  }
  k.plugWrites.length = 0;
  k.plugRequests = 0;
}

/**
 * `folio_wait_writeback`: when frame `fr` is being written, waits for it, which completes every
 * write started so far ({@linkcode completeWriteback}).
 */
export function waitOnWriteback(k: Kernel, fr: number): void {
  if (k.frames.flags[fr]! & PG.writeback) completeWriteback(k);
}

/**
 * Every swap write reclaim started has completed, those a plug held too: each page still waiting
 * goes to the tail of its inactive list (`folio_rotate_reclaimable`), where the next scan frees it.
 */
export function completeWriteback(k: Kernel): void {
  k.plugRequests = 0;
  if (k.plugWrites.length > 0) k.plugWrites.length = 0;
  if (k.inFlight.length > 0) completeFirst(k, k.inFlight.length);
}

/**
 * The swap writes due by scan clock `clock` (`Kernel.scanClock`, pages scanned) have completed (see
 * {@linkcode completeWriteback}), in the order they were sent: one sent after a slow request that
 * is still in flight waits for it, as the disk completes them in order (measured in a sweep: no
 * write sent after its first 254-page request completed before it).
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
    // A file page the flusher wrote goes to the tail only if reclaim marked it; a page reclaim
    // wrote to swap always does.
    if (!(fr.flags[f]! & (PG.swapBacked | PG.anon))) rotateMarked(fr, f);
    else if (l === LRU.inactiveAnon || l === LRU.inactiveFile) fr.lruMoveTail(f, l);
  }
  if (n === list.length) {
    list.length = 0;
    k.inFlightAt.length = 0;
  } else {
    list.splice(0, n);
    k.inFlightAt.splice(0, n);
  }
}
