/**
 * `core/mm/writeback.ts` on small machines: the writeback of a dirty file page (`fsync`,
 * `msync`: written to its file, `file_write_pages`, then `page_mkclean` on its PTEs), and, in a
 * memory cgroup, the swap writes reclaim starts: a page stays in the swap cache under
 * PG_writeback at the head of its list until its write completes (`startWriteback`), then goes
 * to the tail of its inactive list (`folio_rotate_reclaimable`) for the next scan to free; writes
 * complete all at once (`completeWriteback`) or those started by a scan clock
 * (`completeWritesBefore`); a page whose last reference goes meanwhile stays until then.
 *
 * The machine is a `Kernel` driven through system calls. Every in-flight test starts from the same
 * reclaim ({@linkcode inFlight}); the exported completion functions are then called as the
 * machine calls them (at the start of a reclaim, by the scan clock).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { C, newCounters } from "../counters.ts";
import { mmOf } from "./address_space.ts";
import { touch } from "./access.ts";
import { LRU, NONE, PG } from "./frames.ts";
import { Kernel } from "./kernel.ts";
import { D, P, W } from "./pte.ts";
import {
  completeWriteback,
  completeWritesBefore,
  flushDirtyFiles,
  flushPlug,
  MAX_REQUEST_PAGES,
  SLOW_REQUEST_FACTOR,
  SLOW_REQUEST_PAGES,
  startReadaheadPlug,
  startWriteback,
} from "./writeback.ts";
import { create, fsync, read, truncate, write } from "../sys/file.ts";
import { mmap } from "../sys/mmap.ts";
import { msync } from "../sys/msync.ts";
import { memoryReclaim } from "../sys/reclaim.ts";
import { MapFlag, Op, PAGE_SIZE, Prot } from "../../uapi/event.ts";

/**
 * A machine of 8192 frames (`memcg` as asked), 4096 swap slots, swappiness 100, and `read_ahead_kb`
 * 0 (a file read with read(2) comes page by page, in single pages).
 */
function machine(memcg: boolean): Kernel {
  return new Kernel(
    {
      memPages: 8192,
      swapPages: 4096,
      strategy: "anon_vma_chain",
      vm: { memcg, swappiness: 100, page_cluster: 0, read_ahead_kb: 0 },
    },
    newCounters(),
  );
}

/** The frames of list `lru`, head (newest) first. */
function list(k: Kernel, lru: number): number[] {
  const out: number[] = [];
  for (let f = k.frames.lruHead[lru]!; f !== NONE; f = k.frames.lruNext[f]!) out.push(f);
  return out;
}

/** Frames `a` down to `b` (a >= b). */
function down(a: number, b: number): number[] {
  const out: number[] = [];
  for (let f = a; f >= b; f--) out.push(f);
  return out;
}

/**
 * A memory cgroup with 4 swap writes in flight: 16 tmpfs pages written (frames 1..16, page i in
 * frame i + 1, frame 1 at the inactive anonymous list's tail), 100 file pages read, one reclaim
 * of 32 at swappiness 100. get_scan_count's SCAN_FRACT (each list (size >> prio) * its share /
 * (ap + fp)), the file pages freed, each tmpfs page written and kept (cost 33, halved):
 *  prio 5: ap = fp = 100: anon 0, file 100>>5 = 3 -> 1 freed (clock 1).
 *  prio 4: anon 1 -> 0, file 99>>4 = 6 -> 3 freed (clock 4).
 *  prio 3: anon 2 -> 1: frame 1 written at clock 5; file 96>>3 = 12 -> 6 freed (clock 11).
 *  prio 2: anon cost 16: ap 148, fp 288: anon 4 -> 1: frame 2 at clock 12; file 90>>2 = 22 ->
 *          14 freed (clock 26).
 *  prio 1: anon cost 24: ap 148, fp 292: anon 8 -> 2: frames 3 and 4 at clocks 27, 28; file
 *          76>>1 = 38 -> 25 freed (clock 53): 1 + 3 + 6 + 14 + 25 = 49 freed, reclaim ends.
 * Each write waits in its pass's plug and is sent when the pass ends: frame 1's at clock 11,
 * frame 2's at 26, frames 3 and 4's at 53, each due WRITE_LATENCY (60) later: at 71, 86 and 113.
 * 53 pages scanned: none is done.
 */
function inFlight(): Kernel {
  const k = machine(true);
  create(k, "tmpfs:t", 16 * PAGE_SIZE);
  write(k, "tmpfs:t", 0, 16 * PAGE_SIZE, 5);
  create(k, "file:f", 100 * PAGE_SIZE);
  read(k, "file:f", 0, 100 * PAGE_SIZE);
  deepStrictEqual(list(k, LRU.inactiveAnon), down(16, 1));
  memoryReclaim(k, 32);
  deepStrictEqual(
    [k.counters[C.pages_reclaimed], k.counters[C.swap_out_pages], k.scanClock],
    [49, 4, 53],
  );
  return k;
}

Deno.test("startWriteback: the page stays in the swap cache under PG_writeback, at its list's head", () => {
  const k = inFlight();
  // The four pages, in the order written, with the scan clock each write is due by (its pass's
  // end, plus WRITE_LATENCY).
  deepStrictEqual([k.inFlight, k.inFlightAt], [[1, 2, 3, 4], [71, 86, 113, 113]]);
  // Each moved to the head as it was written: 4 3 2 1, then the 12 not scanned.
  deepStrictEqual(list(k, LRU.inactiveAnon), [4, 3, 2, 1, ...down(16, 5)]);
  const obj = k.objects.get("tmpfs:t")!;
  for (const f of [1, 2, 3, 4]) {
    // Out of the page cache, into the swap cache (written: clean), under writeback.
    deepStrictEqual(k.frames.flags[f], PG.swapBacked | PG.swapCache | PG.writeback, `frame ${f}`);
    const slot = k.frames.swap[f]!;
    deepStrictEqual([k.swap.cache[slot], obj.swap.get(f - 1), obj.pages.has(f - 1)], [
      f,
      slot,
      false,
    ]);
  }
  for (const f of down(16, 5)) deepStrictEqual(k.frames.flags[f]! & PG.writeback, 0);
});

Deno.test("completeWritesBefore: the writes due by the clock given complete, in order", () => {
  const k = inFlight();
  // Nothing due by clock 70.
  completeWritesBefore(k, 70);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[1, 2, 3, 4], [71, 86, 113, 113]]);
  deepStrictEqual(list(k, LRU.inactiveAnon), [4, 3, 2, 1, ...down(16, 5)]);
  // By clock 71: frame 1's write: off writeback, to the tail (the next scan frees it).
  completeWritesBefore(k, 71);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[2, 3, 4], [86, 113, 113]]);
  deepStrictEqual(k.frames.flags[1], PG.swapBacked | PG.swapCache);
  deepStrictEqual(list(k, LRU.inactiveAnon), [4, 3, 2, ...down(16, 5), 1]);
  // By clock 86, the write due at 86 itself too.
  completeWritesBefore(k, 86);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[3, 4], [113, 113]]);
  deepStrictEqual(list(k, LRU.inactiveAnon), [4, 3, ...down(16, 5), 1, 2]);
  // By clock 113: the last two, sent together, each to the tail in turn (4 last: the tail).
  completeWritesBefore(k, 113);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[], []]);
  deepStrictEqual(list(k, LRU.inactiveAnon), [...down(16, 5), 1, 2, 3, 4]);
  for (const f of [1, 2, 3, 4]) deepStrictEqual(k.frames.flags[f]! & PG.writeback, 0);
});

Deno.test("completeWritesBefore: partial completion keeps the later writes in flight", () => {
  const k = inFlight();
  // By clock 112: two of four.
  completeWritesBefore(k, 112);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[3, 4], [113, 113]]);
  deepStrictEqual(list(k, LRU.inactiveAnon), [4, 3, ...down(16, 5), 1, 2]);
  for (const f of [3, 4]) deepStrictEqual(k.frames.flags[f]! & PG.writeback, PG.writeback);
});

/**
 * Frames 1..n, the pages of a tmpfs file on the inactive anonymous list, written by hand with
 * `startWriteback` inside a reclaim pass (`Kernel.passPlug`), or under a swap readahead's plug
 * (`readahead`), frame i to slot `slots[i - 1]`, the scan clock at i; the plug flushed at the end
 * when `end` (blk_finish_plug).
 */
function pluggedMachine(slots: number[], end: boolean, readahead: boolean): Kernel {
  const k = machine(true);
  create(k, "tmpfs:t", slots.length * PAGE_SIZE);
  write(k, "tmpfs:t", 0, slots.length * PAGE_SIZE, 5);
  if (readahead) {
    k.plugged = true;
    startReadaheadPlug(k);
  } else k.passPlug = true;
  for (let i = 1; i <= slots.length; i++) {
    k.scanClock = i;
    k.frames.swap[i] = slots[i - 1]!;
    startWriteback(k, i);
  }
  if (end) flushPlug(k);
  return k;
}

/**
 * The scan clock each write of {@linkcode pluggedMachine} is due by (Infinity: still in the plug):
 * WRITE_LATENCY (60) after it was sent, SLOW_REQUEST_FACTOR (3) times that for a request of
 * SLOW_REQUEST_PAGES (128) pages or more.
 */
function plugged(slots: number[], end = false, readahead = false): number[] {
  return [...pluggedMachine(slots, end, readahead).inFlightAt];
}

const run = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const held = (n: number) => Array<number>(n).fill(Infinity);

Deno.test("a reclaim pass's plug holds its writes as the block layer does (blk_add_rq_to_plug)", () => {
  // Writes to slots that follow each other merge into one request, up to MAX_REQUEST_PAGES
  // (254): the 255th starts another, and the plug, whose first request is 128 KiB or more, is
  // flushed first: the 254 are sent at that clock (255), a slow request: due 180 later.
  deepStrictEqual([MAX_REQUEST_PAGES, SLOW_REQUEST_PAGES, SLOW_REQUEST_FACTOR], [254, 128, 3]);
  deepStrictEqual(plugged(run(100, 255)), [...Array(254).fill(255 + 180), Infinity]);
  // A request under 128 KiB (31 pages) followed by one elsewhere: both held.
  deepStrictEqual(plugged([...run(100, 31), 500]), held(32));
  // A request of 32 pages (128 KiB) followed by one elsewhere: the 32 sent at 33, due at 93.
  deepStrictEqual(plugged([...run(100, 32), 500]), [...Array(32).fill(93), Infinity]);
  // 127 pages are a quick request, 128 a slow one.
  deepStrictEqual(plugged([...run(100, 127), 500]), [...Array(127).fill(128 + 60), Infinity]);
  deepStrictEqual(plugged([...run(100, 128), 500]), [...Array(128).fill(129 + 180), Infinity]);
  // The size that counts is the first request's: one page, then 32 (128 KiB), then one
  // elsewhere: all held.
  deepStrictEqual(plugged([7, ...run(100, 32), 500]), held(34));
  // Scattered slots: one request each; the 33rd finds 32 waiting and flushes them.
  const scattered = run(0, 33).map((i) => 10 * i);
  deepStrictEqual(plugged(scattered), [...Array(32).fill(93), Infinity]);
  // The pass ends (blk_finish_plug): what the plug holds is sent at its clock.
  deepStrictEqual(plugged(scattered.slice(0, 5), true), Array(5).fill(65));
  // Under a swap readahead's plug, which starts with the window's first read (one page), only
  // the count flushes it: 255 adjacent writes (two requests) stay; 31 scattered ones make 32
  // requests with the read, and the 32nd write flushes them first.
  deepStrictEqual(plugged(run(100, 255), false, true), held(255));
  deepStrictEqual(plugged(scattered.slice(0, 32), false, true), [...Array(31).fill(92), Infinity]);
  // Outside a pass or a readahead (passPlug, plugged false) a write is sent at once, at the scan
  // clock, due WRITE_LATENCY later.
  const k = machine(true);
  create(k, "tmpfs:t", 2 * PAGE_SIZE);
  write(k, "tmpfs:t", 0, 2 * PAGE_SIZE, 5);
  k.scanClock = 7;
  k.frames.swap[1] = 3;
  startWriteback(k, 1);
  deepStrictEqual(k.inFlightAt, [67]);
});

Deno.test("a write sent after a slow request completes after it, as the disk writes in order", () => {
  // 200 adjacent slots (one slow request, sent as the 201st write starts another at clock 201),
  // then 3 scattered ones, sent as the pass ends at clock 203: the 200 are due at 381, the 3 at
  // 263; by 380 none has completed, by 381 all have.
  const k = pluggedMachine([...run(100, 200), 500, 600, 700], true, false);
  deepStrictEqual(k.inFlightAt, [...Array(200).fill(381), 263, 263, 263]);
  completeWritesBefore(k, 380);
  deepStrictEqual(k.inFlight.length, 203);
  completeWritesBefore(k, 381);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[], []]);
  for (let f = 1; f <= 203; f++) deepStrictEqual(k.frames.flags[f]! & PG.writeback, 0);
});

Deno.test("completeWriteback: every write completes, each page to its inactive list's tail", () => {
  const k = inFlight();
  completeWriteback(k);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[], []]);
  deepStrictEqual(list(k, LRU.inactiveAnon), [...down(16, 5), 1, 2, 3, 4]);
  for (const f of [1, 2, 3, 4]) deepStrictEqual(k.frames.flags[f], PG.swapBacked | PG.swapCache);
});

Deno.test("completion: a page read back meanwhile stays on the active list, off writeback", () => {
  // Pages 0 and 1 (frames 1, 2) read twice while their writes are in flight: found in the swap
  // cache, back into the page cache (dirty again), and activated (mark_page_accessed twice).
  const k = inFlight();
  read(k, "tmpfs:t", 0, 2 * PAGE_SIZE);
  read(k, "tmpfs:t", 0, 2 * PAGE_SIZE);
  deepStrictEqual(list(k, LRU.activeAnon), [2, 1]);
  deepStrictEqual(k.frames.flags[1]! & PG.writeback, PG.writeback);
  completeWriteback(k);
  // Their writes complete (off writeback), but they are not on an inactive list: they stay where
  // they are; frames 3 and 4 go to the inactive list's tail.
  deepStrictEqual(list(k, LRU.activeAnon), [2, 1]);
  deepStrictEqual(list(k, LRU.inactiveAnon), [...down(16, 5), 3, 4]);
  for (const f of [1, 2]) {
    deepStrictEqual(k.frames.flags[f], PG.swapBacked | PG.pageCache | PG.dirty, `frame ${f}`);
  }
  deepStrictEqual([k.inFlight, k.inFlightAt], [[], []]);
});

Deno.test("completion: pages of a file truncated while in flight stay until their writes end", () => {
  // The tmpfs file truncated: its pages being written lose their last reference (the file's swap
  // entries) but stay in the swap cache with their slots (free_swap_and_cache: folio_free_swap
  // fails under writeback); the 12 pages still in its page cache are freed.
  const k = inFlight();
  truncate(k, "tmpfs:t", 0);
  for (const f of [1, 2, 3, 4]) {
    deepStrictEqual(k.frames.flags[f], PG.swapBacked | PG.swapCache | PG.writeback, `frame ${f}`);
    deepStrictEqual(k.swap.cache[k.frames.swap[f]!], f);
  }
  for (let f = 5; f <= 16; f++) ok(k.frames.isFree(f), `frame ${f}`);
  deepStrictEqual([k.swap.used, list(k, LRU.inactiveAnon)], [4, [4, 3, 2, 1]]);
  // The writes complete in the order written, each page moved to the tail as its write ends (4,
  // the last, ends there), no longer under writeback.
  completeWriteback(k);
  deepStrictEqual(list(k, LRU.inactiveAnon), [1, 2, 3, 4]);
  for (const f of [1, 2, 3, 4]) deepStrictEqual(k.frames.flags[f], PG.swapBacked | PG.swapCache);
  deepStrictEqual([k.inFlight, k.inFlightAt], [[], []]);
  // The next reclaim frees them, slots and all (nothing refers to the slots), writing nothing.
  const written = k.counters[C.swap_out_pages]!;
  memoryReclaim(k, 32);
  for (const f of [1, 2, 3, 4]) ok(k.frames.isFree(f), `frame ${f}`);
  deepStrictEqual([k.swap.used, k.counters[C.swap_out_pages]! - written], [0, 0]);
});

Deno.test("without a memory cgroup reclaim frees a page it writes at once: nothing in flight", () => {
  // The same lists, the zone watermarks' reclaim (memcg off): swap writes complete at once.
  const k = machine(false);
  create(k, "tmpfs:t", 16 * PAGE_SIZE);
  write(k, "tmpfs:t", 0, 16 * PAGE_SIZE, 5);
  memoryReclaim(k, 32);
  deepStrictEqual([k.inFlight.length, k.counters[C.swap_out_pages]], [0, 16]);
  deepStrictEqual(k.counters[C.pages_reclaimed], 16);
});

Deno.test("writeback of a dirty file page: written to its file, clean, its PTEs cleaned", () => {
  const k = machine(false);
  create(k, "file:f", 3 * PAGE_SIZE);
  // Pages 0..2 written by write(2): dirty, stamp 9; nothing mapped.
  write(k, "file:f", 0, 3 * PAGE_SIZE, 9);
  const obj = k.objects.get("file:f")!;
  const fr = [0, 1, 2].map((i) => obj.pages.get(i)!);
  for (const f of fr) ok(k.frames.flags[f]! & PG.dirty);
  // Page 0 mapped shared and written through the mapping (stamp 11): PTE dirty and writable.
  const mm = mmOf(k, 1);
  const V = 0x7f0000000;
  mmap(k, mm, V, 3 * PAGE_SIZE, Prot.read | Prot.write, MapFlag.shared, "file:f", 0);
  ok(touch(k, mm, V, Op.w, 11));
  const s = k.pt.lookup(mm, V);
  deepStrictEqual(k.pt.flags[s]! & (P | W | D), P | W | D);
  const visits = k.counters[C.rmap_vma_visits]!;
  fsync(k, "file:f");
  // Three pages written, each with what it holds; clean now.
  deepStrictEqual(k.counters[C.file_write_pages], 3);
  deepStrictEqual([0, 1, 2].map((i) => obj.disk.get(i)), [11, 9, 9]);
  for (const f of fr) deepStrictEqual(k.frames.flags[f]! & PG.dirty, 0);
  // page_mkclean on page 0, the one mapped: its PTE clean and write-protected (a shared file
  // mapping is write-notify), found through one visit of the area; pages 1 and 2, unmapped,
  // are not walked.
  deepStrictEqual(k.pt.flags[s]! & (P | W | D), P);
  deepStrictEqual(k.counters[C.rmap_vma_visits]! - visits, 1);
  // Nothing dirty left: a second fsync writes nothing.
  fsync(k, "file:f");
  deepStrictEqual(k.counters[C.file_write_pages], 3);
  // A write through the mapping again: dirty again (the write fault marks the page), msync
  // writes it alone.
  ok(touch(k, mm, V, Op.w, 12));
  msync(k, mm, V, 3 * PAGE_SIZE);
  deepStrictEqual([k.counters[C.file_write_pages], obj.disk.get(0)], [4, 12]);
  deepStrictEqual(k.pt.flags[s]! & (P | W | D), P);
});

Deno.test("the flusher woken under a plug: its writes complete request by request, the plug's are still sent", () => {
  // Three tmpfs writes held in a pass's plug (frames 1-3, clocks 1-3), then reclaim in write(2)
  // wakes the flusher for a file of 300 dirty pages: two requests (254 and 46 pages), due one
  // slow request (180) and two after it. The pass ends at clock 10: the three held writes, which
  // stand before the flusher's, are sent then (due 70), not left held behind them.
  const k = pluggedMachine([500, 600, 700], false, false);
  create(k, "file:f", 300 * PAGE_SIZE);
  write(k, "file:f", 0, 300 * PAGE_SIZE, 9);
  k.scanClock = 4;
  flushDirtyFiles(k);
  deepStrictEqual(k.inFlightAt, [...held(3), ...Array(254).fill(184), ...Array(46).fill(364)]);
  k.scanClock = 10;
  flushPlug(k);
  deepStrictEqual(k.inFlightAt.slice(0, 3), [70, 70, 70]);
  // In order: the held three by 70, the flusher's first request by 184, its second by 364.
  completeWritesBefore(k, 184);
  deepStrictEqual(k.inFlight.length, 46);
  completeWritesBefore(k, 364);
  deepStrictEqual(k.inFlight.length, 0);
});
