/**
 * `core/mm/memcg_reclaim.ts` on small machines: memory cgroup reclaim as Linux 6.x's
 * `try_to_free_mem_cgroup_pages` does it (`mm/vmscan.c`): priorities 12 down to 0, `size >>
 * priority` pages of each list a pass, 32 a batch, anonymous against file pages in proportion to
 * `swappiness` and their reclaim cost (`get_scan_count`'s `SCAN_FRACT`), file pages only without
 * swap or at swappiness 0, every list wholly at priority 0, the proportional stop of
 * `shrink_lruvec` once a pass has freed enough, the second and third passes of
 * `do_try_to_free_pages` (`force_deactivate`), `inactive_is_low`, `shrink_active_list` and
 * `lru_note_cost`.
 *
 * The machine is a `Kernel` with `memcg` on, of more frames than the tests use (nothing reclaims
 * until the test asks, with the `reclaim` system call: `memoryReclaim`, which reclaims `max(32,
 * pages)`). Pages are put on the lists through system calls: `read` of a disk file leaves clean,
 * unmapped page-cache pages on the inactive file list (read twice: on the active one,
 * `mark_page_accessed`), which reclaim frees at its first look; `write` to a tmpfs file leaves
 * dirty, unmapped swap-backed pages on the inactive anonymous list, which reclaim writes to swap
 * and frees only once the write has completed (`writeback.ts`: `WRITE_LATENCY`, 130 pages scanned
 * later, at the next reclaim, or when a scan meets one). `Kernel.scanClock` counts the pages the
 * inactive lists' scans took.
 *
 * `Kernel.memcgStat` (the cgroup's statistics as of its last flush) stays 0 in the machine, which
 * has no clock to flush them by; the tests of `inactive_is_low`, of refault-driven deactivation
 * and of cache trimming set them as a flush would (a test hook on the Kernel's state, labelled
 * where used); two tests set `Kernel.plugged` as a swap readahead does while it submits its reads.
 */
import { memcgKernel } from "../../tests/_syscalls.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { checkKernel } from "../check.ts";
import { C, newCounters } from "../counters.ts";
import { mmOf } from "./address_space.ts";
import type { Mm } from "./mm.ts";
import { touch } from "./access.ts";
import { LRU, NONE, PG } from "./frames.ts";
import { Kernel } from "./kernel.ts";
import { WRITE_LATENCY } from "./memcg_reclaim.ts";
import { flushDirtyFiles, startReadaheadPlug } from "./writeback.ts";
import { STAT_REFAULTS_ANON, STAT_REFAULTS_FILE } from "./workingset.ts";
import { create, read, truncate, unlink, write } from "../sys/file.ts";
import { mmap, munmap } from "../sys/mmap.ts";
import { madvise } from "../sys/madvise.ts";
import { memoryReclaim } from "../sys/reclaim.ts";
import { swapon } from "../sys/swap.ts";
import { Madv, MapFlag, Op, PAGE_SIZE, Prot } from "../../uapi/event.ts";

/** `n` clean, unmapped pages of disk file `name` on the inactive file list (read once). */
function filePages(k: Kernel, name: string, n: number): void {
  create(k, name, n * PAGE_SIZE);
  read(k, name, 0, n * PAGE_SIZE);
}

/**
 * `n` pages of disk file `name` on the active file list (read twice: `mark_page_accessed`; the
 * second time as through another open file, whose readahead state has no last read ending in the
 * page: a read of the folio the last one ended in does not mark it again).
 */
function activeFilePages(k: Kernel, name: string, n: number): void {
  filePages(k, name, n);
  k.objects.get(name)!.raPrevPos = -1;
  read(k, name, 0, n * PAGE_SIZE);
}

/** `n` dirty, unmapped pages of tmpfs file `name` on the inactive anonymous list. */
function tmpfsPages(k: Kernel, name: string, n: number): void {
  create(k, name, n * PAGE_SIZE);
  write(k, name, 0, n * PAGE_SIZE, 7);
}

/** What a reclaim did so far, and the lists' sizes. */
function state(k: Kernel) {
  const z = k.frames.lruSize;
  return {
    freed: k.counters[C.pages_reclaimed]!,
    written: k.counters[C.swap_out_pages]!,
    scanned: k.scanClock,
    inactiveAnon: z[LRU.inactiveAnon]!,
    activeAnon: z[LRU.activeAnon]!,
    inactiveFile: z[LRU.inactiveFile]!,
    activeFile: z[LRU.activeFile]!,
  };
}

/** The frames of list `lru`, head (newest) first. */
function list(k: Kernel, lru: number): number[] {
  const out: number[] = [];
  for (let f = k.frames.lruHead[lru]!; f !== NONE; f = k.frames.lruNext[f]!) out.push(f);
  return out;
}

/** The frame of page `index` of object `name`. */
function frameOf(k: Kernel, name: string, index: number): number {
  return k.objects.get(name)!.pages.get(index)!;
}

/** The invariant checker has nothing to say (counters as they were, as `Machine` does it). */
function check(k: Kernel): void {
  deepStrictEqual(checkKernel(k), []);
}

Deno.test("priorities 12 down to 0, size >> priority pages a pass, until 32 are freed", () => {
  // 100 clean file pages, no swap. A list of 100 is scanned 0 pages at priorities 12..7, then
  // (the list shrinking as pages are freed) 100>>6 = 1, 99>>5 = 3, 96>>4 = 6, 90>>3 = 11: 21
  // freed, fewer than 32; priority 2 scans 79>>2 = 19 (one batch): 40 freed, and reclaim stops.
  const k = memcgKernel(0);
  filePages(k, "file:f", 100);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 40,
    written: 0,
    scanned: 40,
    inactiveAnon: 0,
    activeAnon: 0,
    inactiveFile: 60,
    activeFile: 0,
  });
  // Clean pages freed, none kept and none written: no reclaim cost is noted (lru_note_cost of 0).
  deepStrictEqual([k.anonCost, k.fileCost], [0, 0]);
  check(k);
});

Deno.test("a target below 32 reclaims 32 (SWAP_CLUSTER_MAX); a pass compares its own count", () => {
  // As above: at least 32, so priority 2's pass runs; 40 freed.
  const k = memcgKernel(0);
  filePages(k, "file:f", 100);
  memoryReclaim(k, 1);
  deepStrictEqual(k.counters[C.pages_reclaimed], 40);
  // 1000 pages, target 60: priorities 9..5 scan 999>>9 = 1, 999>>8 = 3, 996>>7 = 7, 989>>6 =
  // 15, 974>>5 = 30: 56 freed, fewer than 60. Priority 4 scans 944>>4 = 59 pages in two batches:
  // after the first this pass has freed 32, fewer than 60 (shrink_lruvec compares what the pass
  // itself reclaimed, not the whole reclaim's 88), so it scans its 27 others: 115 freed.
  const k2 = memcgKernel(0);
  filePages(k2, "file:f", 1000);
  memoryReclaim(k2, 60);
  deepStrictEqual([k2.counters[C.pages_reclaimed], k2.scanClock], [115, 115]);
  deepStrictEqual(k2.frames.lruSize[LRU.inactiveFile], 885);
});

Deno.test("a pass that has freed enough stops at once when one type has nothing left to scan", () => {
  // 100 tmpfs pages, swappiness 200: SCAN_FRACT gives the file lists a share of (200 - 200) = 0,
  // so only the anonymous list is scanned above priority 0: 100>>6 = 1, 3, 6, 12, 25, 50 pages at
  // priorities 6..1, 97 pages written (kept, in flight: 97 scanned, fewer than WRITE_LATENCY's
  // 130). Priority 0 scans all 100: its first batch writes the 3 pages not written yet, then meets
  // a page under writeback and waits (every write completes, each page to the list's tail): the
  // batch's other 29 pages are freed. 29 < 32: a second batch frees 32 more: 61 >= 32 and no file
  // page is left to scan: the pass stops with 36 pages of it unscanned.
  const k = memcgKernel(4096, 200);
  tmpfsPages(k, "tmpfs:t", 100);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 61,
    written: 100,
    scanned: 97 + 64,
    inactiveAnon: 39,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
  deepStrictEqual(k.inFlight.length, 0);
  check(k);
});

Deno.test("without swap, or at swappiness 0, only the file lists are scanned", () => {
  // 100 file pages and 100 dirty tmpfs pages: get_scan_count's SCAN_FILE. The file list as in the
  // first test (40 freed), the anonymous list untouched: nothing written.
  for (const [swap, swappiness] of [[0, 60], [4096, 0]] as const) {
    const k = memcgKernel(swap, swappiness);
    filePages(k, "file:f", 100);
    tmpfsPages(k, "tmpfs:t", 100);
    memoryReclaim(k, 32);
    deepStrictEqual(state(k), {
      freed: 40,
      written: 0,
      scanned: 40,
      inactiveAnon: 100,
      activeAnon: 0,
      inactiveFile: 60,
      activeFile: 0,
    }, `swap ${swap}, swappiness ${swappiness}`);
    check(k);
  }
});

Deno.test("with swap full, only the file lists are scanned", () => {
  // 4 slots, 4 tmpfs pages, swappiness 200 (anonymous pages only above priority 0): priorities
  // 2, 1 write 4>>2 = 1 and 4>>1 = 2 pages; priority 0 writes the fourth, then meets a page under
  // writeback: the 4 writes complete, the batch's 3 other pages are freed. Every slot is used.
  const k = memcgKernel(4, 200);
  tmpfsPages(k, "tmpfs:t", 4);
  memoryReclaim(k, 32);
  deepStrictEqual([k.swap.used, k.swap.total, k.counters[C.swap_out_pages]], [4, 4, 4]);
  deepStrictEqual(k.counters[C.pages_reclaimed], 3);
  // Then 100 more tmpfs pages and 100 file pages, still at swappiness 200. Swap is full:
  // SCAN_FILE, as without swap: 40 file pages freed. Anonymous pages scanned would find no slot
  // and be activated.
  tmpfsPages(k, "tmpfs:u", 100);
  filePages(k, "file:f", 100);
  memoryReclaim(k, 32);
  deepStrictEqual(k.counters[C.pages_reclaimed], 3 + 40);
  deepStrictEqual(
    [k.frames.lruSize[LRU.inactiveAnon], k.frames.lruSize[LRU.activeAnon]],
    [1 + 100, 0],
  );
  deepStrictEqual(k.frames.lruSize[LRU.inactiveFile], 60);
  check(k);
});

Deno.test("SCAN_FRACT: anonymous and file pages in proportion to swappiness and their costs", () => {
  // 1024 tmpfs pages (dirty) and 1024 file pages, swap, swappiness 60. get_scan_count with
  // anon_cost a and file_cost f: total = a + f, A = total + a, F = total + f, ap = 60 (A + F + 1)
  // / (A + 1), fp = (200 - 60) (A + F + 1) / (F + 1); each list scans (size >> prio) times its
  // share over ap + fp. Each anonymous page scanned is written and kept (in flight): cost 32 + 1;
  // every cost noted halves both (the cgroup's flushed LRU size is 0: lru_note_cost's "more than
  // a quarter of the LRU" always holds). File pages are freed: no cost (f stays 0).
  //   prio 9: a 0: ap 60, fp 140. anon 1024>>9 = 2 -> 2*60/200 = 0; file 2 -> 1: 1 freed.
  //   prio 8: anon 4 -> 1 written (a = 33/2 = 16); file 1023>>8 = 3 -> 2 freed.
  //   prio 7: a 16: ap 60*49/33 = 89, fp 140*49/17 = 403. anon 8*89/492 = 1 written
  //           (a = (16+33)/2 = 24); file 1021>>7 = 7 -> 7*403/492 = 5 freed.
  //   prio 6: a 24: ap 60*73/49 = 89, fp 140*73/25 = 408. anon 16 -> 2 written
  //           (a = (24+66)/2 = 45); file 1016>>6 = 15 -> 12 freed.
  //   prio 5: a 45: ap 60*136/91 = 89, fp 140*136/46 = 413. anon 32 -> 5 written
  //           (a = (45+165)/2 = 105); file 1004>>5 = 31 -> 25 freed: 45 in all, reclaim stops.
  // 9 pages written, 54 scanned, fewer than WRITE_LATENCY (130): all 9 still in flight.
  const k = memcgKernel(4096);
  tmpfsPages(k, "tmpfs:t", 1024);
  filePages(k, "file:f", 1024);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 45,
    written: 9,
    scanned: 54,
    inactiveAnon: 1024,
    activeAnon: 0,
    inactiveFile: 979,
    activeFile: 0,
  });
  deepStrictEqual([k.anonCost, k.fileCost, k.inFlight.length], [105, 0, 9]);
  check(k);
});

Deno.test("SCAN_FRACT with both costs: pages kept count against the file lists", () => {
  // 64 tmpfs pages and 64 pages of a file mapped and read (their accessed bits set), swap,
  // swappiness 100 (an even split while the costs are equal). A mapped page's first look finds
  // it referenced and keeps it (rotated: cost 1), the next one frees it.
  //   prio 5: ap = fp = 100. anon 2 -> 1 written (a = 33/2 = 16); file 2 -> 1 kept (f = 1, then
  //           both halve: a 8, f 0).
  //   prio 4: a 8, f 0: ap 100*25/17 = 147, fp 100*25/9 = 277. anon 4 -> 1 written (a = 41/2 =
  //           20, f 0); file 4 -> 2 kept (a 10, f 1).
  //   prio 3: a 10, f 1: total 11, A 21, F 12: ap 100*34/22 = 154, fp 100*34/13 = 261. anon 8 ->
  //           2 written (a = 76/2 = 38, f 0); file 8 -> 5 kept (a 19, f 2).
  //   prio 2: a 19, f 2: A 40, F 23: ap 100*64/41 = 156, fp 100*64/24 = 266. anon 16 -> 5
  //           written; file 16 -> 10 kept (a 46, f 5).
  //   prio 1: ap 157, fp 270: anon 32 -> 11 written; file 32 -> 20 kept (a 102, f 11).
  //   20 anonymous pages written, 38 file pages kept, none freed: 58 scanned.
  //   Each pass's writes wait in its plug and are sent as it ends (clock 58 at the latest).
  //   prio 0, every list wholly: anon 64, file 64. First batch: 32 anonymous pages written
  //   (clock 90), held by this pass's plug (their slots follow each other: one request); 32 file
  //   pages: the 26 never looked at are kept, then 6 kept before are freed (clock 122); by clock
  //   118 (WRITE_LATENCY 60 after they were sent) the 20 earlier writes have completed, to the
  //   anonymous list's tail. Second batch: those 20 freed, then 12 more pages written (the 64th)
  //   into the plug; 32 file pages, all looked at before, freed. This pass has freed 58 >= 32, the
  //   anonymous list has nothing left: it stops, and its 44 writes are sent: still in flight.
  const k = memcgKernel(4096, 100);
  tmpfsPages(k, "tmpfs:t", 64);
  create(k, "file:m", 64 * PAGE_SIZE);
  const mm = mmOf(k, 1);
  const V = 0x7f0000000;
  mmap(k, mm, V, 64 * PAGE_SIZE, Prot.read, MapFlag.shared, "file:m", 0);
  for (let p = 0; p < 64; p++) ok(touch(k, mm, V + p, Op.r, p + 1));
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 58,
    written: 64,
    scanned: 186,
    inactiveAnon: 44,
    activeAnon: 0,
    inactiveFile: 26,
    activeFile: 0,
  });
  deepStrictEqual([k.anonCost, k.fileCost, k.inFlight.length], [441, 7, 44]);
  check(k);
});

Deno.test("priority 0 scans every list wholly; once the pass has 32, the smaller type stops", () => {
  // Swappiness 200: above priority 0 only the anonymous list is scanned (see above) and its pages
  // are written. Each pass's writes wait in its plug and are sent as it ends; a write completes
  // WRITE_LATENCY (60) looks later and its page, at the tail, is freed by the next look. At
  // priority 0 (SCAN_EQUAL) each list is scanned wholly, 32 pages a batch. Once the pass has
  // freed 32, shrink_lruvec stops the type with less left to scan and cuts the other's target to
  // the same fraction: pct = left of the smaller * 100 / (its target + 1); the larger's target
  // becomes its target times (100 - pct)%. Then one more batch of the larger (at most 32 pages)
  // and the pass ends, as Linux does since 6.0 ("mm: vmscan: fix extreme overreclaim and swap
  // floods"): the next check finds the smaller type stopped.
  //  - 50 tmpfs, 100 file pages: priorities 5..1 write 1+3+6+12+25 = 47, sent at clocks 1, 4,
  //    10, 22 and 47. At priority 0 the first anonymous batch writes the 3 pages not written
  //    yet, meets one under writeback and waits for every write (its plug's too), and frees the
  //    rest (29); the first file batch frees 32: 61 >= 32. 18 of 50 anonymous pages left, 68 of 100 file pages: anonymous stops,
  //    pct = 18*100/51 = 35; file: 100*65/100 = 65 in all, 33 more, of which one batch of 32:
  //    29 + 32 + 32 = 93 freed.
  //  - 100 tmpfs, 50 file pages: priorities 6..2 write 1+3+6+12+25, sent at 1, 4, 10, 22, 47;
  //    priority 1 looks at 50 (clocks 48..97): the first 22 complete and are freed, 28 more
  //    written (75). Priority 0: the first anonymous batch writes 9, then frees 23 of the 25 sent
  //    at 47 (from clock 107); the file batch frees 32: 55 >= 32. 46 of 78 anonymous pages left,
  //    18 of 50 file pages: file stops, pct 35, anonymous 78*65/100 = 50 in all, 18 more: the
  //    last 2 sent at 47 and 16 of the 28 sent at 97 (complete from clock 157): 95 freed, 84
  //    written, 9 still in flight.
  //  - 100 and 100: as the last down to priority 0's first two batches (55 freed). 46 of 78
  //    anonymous pages left, 68 of 100 file pages: anonymous stops, pct = 46*100/79 = 58, file
  //    100*42/100 = 42 in all, 10 more: 87 freed.
  const cases = [
    [50, 100, { freed: 93, written: 50, scanned: 47 + 96, anon: 21, file: 36 }],
    [100, 50, { freed: 95, written: 84, scanned: 97 + 82, anon: 37, file: 18 }],
    [100, 100, { freed: 87, written: 84, scanned: 97 + 74, anon: 55, file: 58 }],
  ] as const;
  for (const [anon, file, want] of cases) {
    const k = memcgKernel(4096, 200);
    tmpfsPages(k, "tmpfs:t", anon);
    filePages(k, "file:f", file);
    memoryReclaim(k, 32);
    const s = state(k);
    deepStrictEqual(
      {
        freed: s.freed,
        written: s.written,
        scanned: s.scanned,
        anon: s.inactiveAnon,
        file: s.inactiveFile,
      },
      want,
      `${anon} tmpfs, ${file} file pages`,
    );
    check(k);
  }
});

Deno.test("nothing freed: a second pass, then a third that deactivates the active lists", () => {
  // 100 file pages on the active list, none inactive, no swap. The flushed statistics are 0: the
  // inactive list is not "low" and nothing was refaulted, so shrink_active_list is skipped at
  // every priority of the first and the second pass (the full walk): nothing freed, nothing
  // scanned. The third pass (force_deactivate, since an active list was skipped) moves
  // 100>>6 = 1, 99>>5 = 3, 96>>4 = 6 pages to the inactive list at priorities 6..4 (its own
  // size, 0, gives it nothing to scan there); at priority 3 the inactive list of 10 gives 1 freed
  // and 90>>3 = 11 more move; priority 2: 20>>2 = 5 freed, 79>>2 = 19 move; priority 1: 34>>1 =
  // 17 freed, 30 move; priority 0: 47 inactive (a batch of 32 freed), the last 30 active pages
  // move: this pass has freed 32: 1 + 5 + 17 + 32 = 55 in all.
  const k = memcgKernel(0);
  activeFilePages(k, "file:f", 100);
  deepStrictEqual(k.frames.lruSize[LRU.activeFile], 100);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 55,
    written: 0,
    scanned: 55,
    inactiveAnon: 0,
    activeAnon: 0,
    inactiveFile: 45,
    activeFile: 0,
  });
  // Deactivated pages are marked PG_workingset (they were active).
  for (const f of list(k, LRU.inactiveFile)) ok(k.frames.flags[f]! & PG.workingset, `frame ${f}`);
  check(k);
});

Deno.test("a reclaim that freed something has no third pass: the active list stays", () => {
  // 100 active file pages and 10 inactive ones, no swap: the first pass frees the 10 (10>>3 =
  // 1, 9>>2 = 2, 7>>1 = 3, 4 at priority 0): fewer than 32, but not nothing, so no other pass;
  // the active list is never aged (its statistics say it need not be).
  const k = memcgKernel(0);
  activeFilePages(k, "file:a", 100);
  filePages(k, "file:i", 10);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 10,
    written: 0,
    scanned: 10,
    inactiveAnon: 0,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 100,
  });
});

Deno.test("deactivation keeps referenced executable file pages active, marks the rest PG_workingset", () => {
  // 8 file pages on the active list (read twice: frame 1 = page 0 at the tail ... frame 8 = page
  // 7 at the head), pages 0..3 mapped executable and executed, 4..7 mapped read-only and read:
  // every one has its accessed bit set. No swap; nothing inactive: the first two passes skip the
  // active list, the third deactivates it (force_deactivate), 8>>prio pages a priority:
  //  prio 3: 1: page 0, referenced and executable: back to the active list's head.
  //  prio 2: 2: pages 1, 2, the same.
  //  prio 1: 4: page 3 the same; pages 7, 6, 5, referenced but not executable, go to the
  //          inactive list's head, PG_workingset (their accessed bits cleared by the look).
  //  prio 0: the inactive list (3) is scanned first: unreferenced now, freed; then the 5 left
  //          active move: page 4, then 0, 1, 2, 3 (executable, but unreferenced since their
  //          first look), each to the inactive list's head.
  const k = memcgKernel(0);
  activeFilePages(k, "file:f", 8);
  const mm = mmOf(k, 1);
  const V = 0x7f0000000;
  mmap(k, mm, V, 4 * PAGE_SIZE, Prot.read | Prot.exec, MapFlag.private, "file:f", 0);
  mmap(k, mm, V + 4, 4 * PAGE_SIZE, Prot.read, MapFlag.private, "file:f", 4 * PAGE_SIZE);
  for (let p = 0; p < 4; p++) ok(touch(k, mm, V + p, Op.x, p + 1));
  for (let p = 4; p < 8; p++) ok(touch(k, mm, V + p, Op.r, p + 1));
  const page = (i: number) => frameOf(k, "file:f", i);
  deepStrictEqual(list(k, LRU.activeFile), [7, 6, 5, 4, 3, 2, 1, 0].map(page));
  memoryReclaim(k, 32);
  deepStrictEqual([k.counters[C.pages_reclaimed], k.scanClock], [3, 3]);
  deepStrictEqual(list(k, LRU.activeFile), []);
  deepStrictEqual(list(k, LRU.inactiveFile), [3, 2, 1, 0, 7].map(page));
  // The pages freed: 4, 5, 6.
  deepStrictEqual([4, 5, 6].map((i) => k.objects.get("file:f")!.pages.has(i)), [
    false,
    false,
    false,
  ]);
  for (const f of list(k, LRU.inactiveFile)) ok(k.frames.flags[f]! & PG.workingset, `frame ${f}`);
  check(k);
});

/** 100 file pages on the active list and 10 on the inactive one, no swap. */
function activeAndInactiveFile(): Kernel {
  const k = memcgKernel(0);
  activeFilePages(k, "file:a", 100);
  filePages(k, "file:i", 10);
  return k;
}

/**
 * What a reclaim of {@linkcode activeAndInactiveFile} does when the active file list is aged at
 * every priority: 100>>6 = 1, 99>>5 = 3, 96>>4 = 6 pages move at priorities 6..4 (the inactive
 * list's 10, 11, 14 give it nothing to scan there); priority 3: 20>>3 = 2 freed, 90>>3 = 11
 * move; priority 2: 29>>2 = 7 freed, 79>>2 = 19 move; priority 1: 41>>1 = 20 freed, 30 move;
 * priority 0: 51 inactive, a batch of 32 freed, and the last 30 move: 2 + 7 + 20 + 32 = 61.
 */
const AGED = {
  freed: 61,
  written: 0,
  scanned: 61,
  inactiveAnon: 0,
  activeAnon: 0,
  inactiveFile: 110 - 61,
  activeFile: 0,
};
/** ... and when it is not: the 10 inactive pages freed (see above), the 100 active ones stay. */
const NOT_AGED = { ...AGED, freed: 10, scanned: 10, inactiveFile: 0, activeFile: 100 };

Deno.test("inactive_is_low: the active list is aged when the inactive one is short", () => {
  // The statistics as the cgroup's last flush left them (test hook: the machine never flushes
  // them). Below 1 GiB (262144 pages) of the type's pages, inactive < active; at n GiB, inactive
  // * floor(sqrt(10 n)) < active (n = 1: 3; n = 4: 6).
  const cases: [number, number, boolean][] = [
    [10, 11, true],
    [11, 11, false],
    [87381, 174762, true], // 262143 pages: ratio 1
    [87381, 174763, false], // 262144 pages, 1 GiB: ratio 3, 262143 >= 174763
    [149796, 898780, true], // 4 GiB: ratio 6, 898776 < 898780
    [149797, 898779, false], // 898782 >= 898779
  ];
  for (const [inactive, active, low] of cases) {
    const k = activeAndInactiveFile();
    k.memcgStat[LRU.inactiveFile] = inactive;
    k.memcgStat[LRU.activeFile] = active;
    memoryReclaim(k, 32);
    deepStrictEqual(state(k), low ? AGED : NOT_AGED, `${inactive} inactive, ${active} active`);
  }
});

Deno.test("refault activations since the last reclaim age the active list; the reclaim notes them", () => {
  // A refault activation of a file page counted by the last flush (test hook), none when the last
  // reclaim ended: the active file list is aged (as above, 61 freed), and the reclaim takes the
  // count as its snapshot (snapshot_refaults).
  const k = activeAndInactiveFile();
  k.memcgStat[STAT_REFAULTS_FILE] = 1;
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), AGED);
  deepStrictEqual([k.snapRefaultsAnon, k.snapRefaultsFile], [0, 1]);
  // The same count at the next reclaim: nothing new, the next active pages are not aged: a new
  // file's 100 active pages stay, the 49 inactive pages left give 49>>5 = 1, 48>>4 = 3, 45>>3 =
  // 5, 40>>2 = 10, 30>>1 = 15: 34 freed.
  activeFilePages(k, "file:b", 100);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    ...AGED,
    freed: 61 + 34,
    scanned: 61 + 34,
    inactiveFile: 15,
    activeFile: 100,
  });
  // Anonymous refaults likewise, into their own snapshot.
  k.memcgStat[STAT_REFAULTS_ANON] = 3;
  memoryReclaim(k, 32);
  deepStrictEqual([k.snapRefaultsAnon, k.snapRefaultsFile], [3, 1]);
});

Deno.test("the active anonymous list: aged on refaults, and 32 more a pass when it is long", () => {
  // 100 tmpfs pages written twice (mark_page_accessed: the active anonymous list), 100 file
  // pages, swap, swappiness 60.
  //  - A refault activation of an anonymous page (test hook): shrink_active_list takes the
  //    active list's share at each priority: 100>>4 = 6 -> 6*60/200 = 1, 99>>3 = 12 -> 3, 96>>2 =
  //    24 -> 7 moved at priorities 4..2; priority 1 writes 11>>1 = 5 -> 1 inactive page and moves
  //    89>>1 = 44 -> 13. The file list gives 2, 4, 7, 14, 25 at priorities 5..1 (100>>5 = 3 ->
  //    3*140/200 = 2, 98>>4 = 6 -> 4, 94>>3 = 11 -> 7, 87>>2 = 21 -> 14, 73>>1 = 36 -> 25;
  //    costs 0 until the one write): 52 freed. 1 + 3 + 7 + 13 = 24 moved, 76 still active.
  //  - The flushed sizes say the inactive anonymous list is short (10 against 11): besides its
  //    share, each priority's pass ends by moving 32 active pages (shrink_lruvec's last
  //    shrink_active_list): priorities 12..9 move 32, 32, 32 and the last 4. Then as in the
  //    SCAN_FRACT test, on lists of 100: the file list gives 2, 4, 9, 17 (SCAN_FRACT 60 : 140,
  //    then 89 : 403 and 89 : 413 as the anonymous cost grows) at priorities 5..2 and the
  //    anonymous list 0, 1, 2, 4 pages written: 32 freed, 7 written.
  //  - Neither (the statistics 0): the active list is not aged; 52 file pages freed, as in the
  //    first case, nothing written (the inactive anonymous list is empty).
  const cases: [[number, number, number], Record<string, number>][] = [
    [[0, 0, 1], { freed: 52, written: 1, inactiveAnon: 24, activeAnon: 76, inactiveFile: 48 }],
    [[10, 11, 0], { freed: 32, written: 7, inactiveAnon: 100, activeAnon: 0, inactiveFile: 68 }],
    [[0, 0, 0], { freed: 52, written: 0, inactiveAnon: 0, activeAnon: 100, inactiveFile: 48 }],
  ];
  for (const [[inactive, active, refaults], want] of cases) {
    const k = memcgKernel(4096);
    create(k, "tmpfs:a", 100 * PAGE_SIZE);
    write(k, "tmpfs:a", 0, 100 * PAGE_SIZE, 5);
    write(k, "tmpfs:a", 0, 100 * PAGE_SIZE, 6);
    filePages(k, "file:i", 100);
    k.memcgStat[LRU.inactiveAnon] = inactive;
    k.memcgStat[LRU.activeAnon] = active;
    k.memcgStat[STAT_REFAULTS_ANON] = refaults;
    memoryReclaim(k, 32);
    const s = state(k);
    deepStrictEqual(
      {
        freed: s.freed,
        written: s.written,
        inactiveAnon: s.inactiveAnon,
        activeAnon: s.activeAnon,
        inactiveFile: s.inactiveFile,
      },
      want,
      `${[inactive, active, refaults]}`,
    );
    // Pages moved by shrink_active_list are PG_workingset.
    for (const f of list(k, LRU.inactiveAnon)) {
      if (!(k.frames.flags[f]! & PG.writeback)) ok(k.frames.flags[f]! & PG.workingset);
    }
    check(k);
  }
});

Deno.test("cache trim mode: the file lists alone while the inactive file list is large enough", () => {
  // get_scan_count: when the flushed inactive file size >> priority is not 0 and the file lists
  // need no aging, only file pages are scanned. The SCAN_FRACT test's lists (1024 and 1024) with
  // a flushed inactive file size of 256 (test hook): from priority 8 on (256 >> 8 = 1) file pages
  // only, 1024>>10 = 1 (priority 10's SCAN_FRACT scans: anon 0, file 0 of 1), then 1023>>9 = 1,
  // 1022>>8 = 3, 1019>>7 = 7, 1012>>6 = 15, 997>>5 = 31: 57 freed, nothing written. With 255,
  // priority 8 (255 >> 8 = 0) is SCAN_FRACT as in that test: one anonymous page written, 2 file
  // pages freed; then 1022>>7 = 7, 1015>>6 = 15, 1000>>5 = 31: 1 + 2 + 7 + 15 + 31 = 56.
  for (const [size, freed, written] of [[256, 57, 0], [255, 56, 1]]) {
    const k = memcgKernel(4096);
    tmpfsPages(k, "tmpfs:t", 1024);
    filePages(k, "file:f", 1024);
    k.memcgStat[LRU.inactiveFile] = size!;
    memoryReclaim(k, 32);
    deepStrictEqual(
      [k.counters[C.pages_reclaimed], k.counters[C.swap_out_pages]],
      [freed, written],
      `flushed inactive file size ${size}`,
    );
  }
});

Deno.test("a reclaim starts by completing the writes in flight, unless a readahead's plug is on", () => {
  // The SCAN_FRACT test's reclaim leaves 9 pages in flight at the head of the inactive anonymous
  // list, sent at clocks 4, 10, 24, 24 and 54 (x5), each due WRITE_LATENCY (60) later. The next
  // reclaim (clocks 55..105) completes them first (each to the list's tail): its anonymous scans
  // (the costs now 105 : 0, SCAN_FRACT 89 : 417) take 1, 2, 5 pages at priorities 7..5 (clocks
  // 57, 63-64, 77-81), all of them written: freed, not written again. File pages: 2, 5, 12, 24 at
  // priorities 8..5: 43 + 8 = 51 freed. Under a readahead's plug (`plugged`, as `swap_in.ts` sets
  // it) the 9 are not completed first; each completes WRITE_LATENCY (60) pages after it was sent,
  // at clocks 64, 70 and 84 (x2). Clock 57 writes the tail's page; 63 writes one, 64 completes
  // the write sent at 4 and frees its page; 70 completes the one sent at 10, which 77 frees, and
  // 78-81 write 4: 2 freed, 6 written, held in the plug with the 5 sent at 54, and the 2 sent at
  // 24 completed but not met again.
  for (const plugged of [false, true]) {
    const k = memcgKernel(4096);
    tmpfsPages(k, "tmpfs:t", 1024);
    filePages(k, "file:f", 1024);
    memoryReclaim(k, 32);
    deepStrictEqual(state(k).freed, 45);
    deepStrictEqual(k.inFlightAt, [64, 70, 84, 84, 114, 114, 114, 114, 114]);
    if (plugged) {
      k.plugged = true;
      startReadaheadPlug(k);
    }
    memoryReclaim(k, 32);
    deepStrictEqual(state(k), {
      freed: 45 + 43 + (plugged ? 2 : 8),
      written: 9 + (plugged ? 6 : 0),
      scanned: 54 + 51,
      inactiveAnon: 1024 - (plugged ? 2 : 8),
      activeAnon: 0,
      inactiveFile: 1024 - 45 - 43,
      activeFile: 0,
    }, plugged ? "plugged" : "unplugged");
    deepStrictEqual(k.inFlight.length, plugged ? 5 + 6 : 0);
  }
});

Deno.test("a write completes once reclaim has scanned WRITE_LATENCY more pages", () => {
  // 200 tmpfs pages, swappiness 200 (the anonymous list only, above priority 0). A pass's writes
  // wait in its plug (their slots follow each other: one request) and are sent as it ends; each
  // completes WRITE_LATENCY (60) looks later, goes to the tail and is freed by the next look.
  //  - Priorities 7..3 write 200>>7 = 1, 3, 6, 12, 25 pages, sent at clocks 1, 4, 10, 22, 47.
  //  - Priority 2 looks at 50 (clocks 48..97): the writes sent at 1, 4, 10 and 22 complete at
  //    61, 64, 70 and 82, and their 22 pages are freed; 28 more written, sent at 97.
  //  - Priority 1 looks at 178 >> 1 = 89 (clocks 98..186): 9 written, then from clock 107 the
  //    25 sent at 47 freed; 25 written; from clock 157 the 28 sent at 97 freed, 2 written between:
  //    53 freed by this pass, the 32 it needs: 75 in all, 111 written.
  const k = memcgKernel(4096, 200);
  tmpfsPages(k, "tmpfs:t", 200);
  memoryReclaim(k, 32);
  deepStrictEqual(WRITE_LATENCY, 60);
  deepStrictEqual(state(k), {
    freed: 75,
    written: 111,
    scanned: 97 + 89,
    inactiveAnon: 200 - 75,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
  deepStrictEqual(k.inFlight.length, 111 - 75);
  check(k);
});

Deno.test("write_latency sets how many pages reclaim scans while its writes are in flight", () => {
  // The 200 tmpfs pages of the test above, at other latencies. Writes that outlast the reclaim:
  // each of the 200 pages is written when a pass first looks at it, and freed only where a later
  // pass meets it under writeback and waits for it (cgroup v1); that takes 61 more looks.
  const seen = (latency: number) => {
    const k = memcgKernel(4096, 200, { write_latency: latency });
    tmpfsPages(k, "tmpfs:t", 200);
    memoryReclaim(k, 32);
    check(k);
    return state(k);
  };
  const never = seen(1_000_000);
  deepStrictEqual([never.written, never.scanned, never.freed], [200, 261, 61]);
  deepStrictEqual([seen(60).freed, seen(60).written], [75, 111]);
  // At 100 the writes complete later than at 60: fewer freed in this reclaim, more written.
  deepStrictEqual([seen(100).freed, seen(100).written], [37, 124]);
});

Deno.test("a reclaim whose third pass only moves pages frees nothing: there is no fourth", () => {
  // One file page on the active list, no swap. 1 >> prio is 0 down to priority 0, where the
  // active list's one page is skipped in the first two passes (statistics 0); the third pass
  // (force_deactivate) moves it to the inactive list at priority 0, whose scan was sized (0) at
  // the pass's start: nothing freed, and do_try_to_free_pages gives up after three passes.
  const k = memcgKernel(0);
  activeFilePages(k, "file:f", 1);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 0,
    written: 0,
    scanned: 0,
    inactiveAnon: 0,
    activeAnon: 0,
    inactiveFile: 1,
    activeFile: 0,
  });
});

Deno.test("no third pass when no active list was skipped, even with nothing freed", () => {
  // One private anonymous page, written (mapped, its accessed bit set), swap. Only priority 0
  // scans it (1 >> prio): the first pass finds it referenced and keeps it (second chance:
  // rotated, cost 1, halved: 0); the second pass unmaps it and writes it (cost 32 + 1, halved:
  // 16), in flight: nothing freed. No active list had pages to skip: no third pass (which would
  // meet the page under writeback, wait, and free it).
  const k = memcgKernel(4096);
  const mm = mmOf(k, 1);
  const V = 0x7f0000000;
  mmap(k, mm, V, PAGE_SIZE, Prot.read | Prot.write, MapFlag.private | MapFlag.anon, null, 0);
  ok(touch(k, mm, V, Op.w, 1));
  const f = k.pt.num[k.pt.lookup(mm, V)]!;
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 0,
    written: 1,
    scanned: 2,
    inactiveAnon: 1,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
  deepStrictEqual([k.anonCost, k.inFlight], [16, [f]]);
  deepStrictEqual(
    k.frames.flags[f]! & (PG.writeback | PG.swapCache | PG.dirty),
    PG.writeback | PG.swapCache,
  );
});

Deno.test("an active anonymous list skipped brings the third pass", () => {
  // The same page, and 4 tmpfs pages on the active anonymous list (written twice). At priority 0
  // of the first two passes the active list's 4 are skipped (they are scanned only alongside the
  // other lists: here the inactive one's single page); the third pass deactivates them and,
  // before, meets the page under writeback: waits, frees it.
  const k = memcgKernel(4096);
  create(k, "tmpfs:a", 4 * PAGE_SIZE);
  write(k, "tmpfs:a", 0, 4 * PAGE_SIZE, 3);
  write(k, "tmpfs:a", 0, 4 * PAGE_SIZE, 4);
  const mm = mmOf(k, 1);
  const V = 0x7f0000000;
  mmap(k, mm, V, PAGE_SIZE, Prot.read | Prot.write, MapFlag.private | MapFlag.anon, null, 0);
  ok(touch(k, mm, V, Op.w, 1));
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 1,
    written: 1,
    scanned: 3,
    inactiveAnon: 4,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
  for (const f of list(k, LRU.inactiveAnon)) ok(k.frames.flags[f]! & PG.workingset);
});

Deno.test("swappiness 0 scans no anonymous page, even at priority 0", () => {
  // 10 tmpfs and 10 file pages, swap: SCAN_FILE before the priority 0 check (cgroup reclaim
  // with swappiness 0), so priority 0 does not scan both types: the file list gives 10>>3 = 1,
  // 9>>2 = 2, 7>>1 = 3, then 4: 10 freed, nothing written.
  const k = memcgKernel(4096, 0);
  tmpfsPages(k, "tmpfs:t", 10);
  filePages(k, "file:f", 10);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 10,
    written: 0,
    scanned: 10,
    inactiveAnon: 10,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
});

Deno.test("the proportional stop counts both lists of a type, active and inactive", () => {
  // Swappiness 200, as in the priority 0 test, with active lists too: down to the first batches
  // of priority 0 as its 100-tmpfs case (84 written; 22 inactive anonymous pages freed at
  // priority 1, 23 and 32 inactive file pages in the first batches: 55 in the pass >= 32); the
  // active lists' batches are skipped (the statistics say they need no aging) but count as
  // scanned.
  //  - 100 tmpfs pages inactive, 40 active; 100 file pages inactive, 100 active. Left to scan:
  //    anonymous 46 + 8 = 54, file 68 + 68 = 136: anonymous stops, pct = 54*100/(78+40+1) = 45;
  //    each file list scans to 100*55/100 = 55 of its 100: 23 more each: 23 inactive pages
  //    freed: 22 + 23 + 32 + 23 = 100.
  //  - 100 and 100 tmpfs pages, 100 and 40 file pages: left anonymous 46 + 68 = 114, file 68 + 8
  //    = 76: file stops, pct = 76*100/(100+40+1) = 53; the inactive anonymous list scans to
  //    78*47/100 = 36 of its 78: 4 more, freed (writes complete by now): 81.
  const cases = [
    [40, 100, { freed: 100, inactiveAnon: 55, activeAnon: 40, inactiveFile: 45, activeFile: 100 }],
    [100, 40, { freed: 81, inactiveAnon: 51, activeAnon: 100, inactiveFile: 68, activeFile: 40 }],
  ] as const;
  for (const [activeAnon, activeFile, want] of cases) {
    const k = memcgKernel(4096, 200);
    tmpfsPages(k, "tmpfs:a", 100);
    create(k, "tmpfs:b", activeAnon * PAGE_SIZE);
    write(k, "tmpfs:b", 0, activeAnon * PAGE_SIZE, 3);
    write(k, "tmpfs:b", 0, activeAnon * PAGE_SIZE, 4);
    filePages(k, "file:f", 100);
    activeFilePages(k, "file:g", activeFile);
    memoryReclaim(k, 32);
    const s = state(k);
    deepStrictEqual(
      {
        freed: s.freed,
        inactiveAnon: s.inactiveAnon,
        activeAnon: s.activeAnon,
        inactiveFile: s.inactiveFile,
        activeFile: s.activeFile,
      },
      want,
      `${activeAnon} active anonymous, ${activeFile} active file pages`,
    );
    deepStrictEqual(s.written, 84);
  }
});

Deno.test("a long active anonymous list is aged by its share as well as 32 a pass", () => {
  // 1000 tmpfs pages active, 100 file pages, swap, the flushed anonymous sizes short (10 against
  // 11; test hook). Priorities 12..6 scan no inactive page (the loop that ages the active
  // anonymous list by its share runs only while an inactive list or the active file list has
  // pages to scan), but each pass ends by moving 32: 224 inactive after priority 6. From
  // priority 5 on the active list also gives its share: 776>>5 = 24 -> 24*60/200 = 7, then 8,
  // 15 and 28 pages at priorities 4..2 (SCAN_FRACT as the anonymous cost grows), besides the 32
  // a pass: 224 + 7 + 32 + 8 + 32 + 15 + 32 + 28 + 32 = 410 inactive. Meanwhile the inactive
  // anonymous scans write 2, 2, 6, 15 pages and the file scans free 2, 4, 9, 17: 32.
  const k = memcgKernel(4096);
  create(k, "tmpfs:a", 1000 * PAGE_SIZE);
  write(k, "tmpfs:a", 0, 1000 * PAGE_SIZE, 3);
  write(k, "tmpfs:a", 0, 1000 * PAGE_SIZE, 4);
  filePages(k, "file:f", 100);
  k.memcgStat[LRU.inactiveAnon] = 10;
  k.memcgStat[LRU.activeAnon] = 11;
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 32,
    written: 25,
    scanned: 57,
    inactiveAnon: 410,
    activeAnon: 590,
    inactiveFile: 68,
    activeFile: 0,
  });
});

Deno.test("the costs one reclaim notes steer the next", () => {
  // No swap: 64 pages of a file mapped and read. Each page's first look keeps it (referenced:
  // cost 1), each cost noted halves both: 1, 2, 4, 8, 16, 32 kept at priorities 6..1 (file cost
  // 0, 1, 2, 5, 10, 21), then priority 0 keeps the one page never looked at and frees 31 (22,
  // halved: 11), then 32 more: 63 freed, file cost 11, anonymous cost 0.
  const k = memcgKernel(0);
  create(k, "file:m", 64 * PAGE_SIZE);
  const mm = mmOf(k, 1);
  const V = 0x7f0000000;
  mmap(k, mm, V, 64 * PAGE_SIZE, Prot.read, MapFlag.shared, "file:m", 0);
  for (let p = 0; p < 64; p++) ok(touch(k, mm, V + p, Op.r, p + 1));
  memoryReclaim(k, 32);
  deepStrictEqual([k.counters[C.pages_reclaimed], k.anonCost, k.fileCost], [63, 0, 11]);
  // Then swap, 256 tmpfs and 256 file pages (257 with the one left), swappiness 60:
  //   prio 7: a 0, f 11: total 11, A 11, F 22: ap 60*34/12 = 170, fp 140*34/23 = 206. anon
  //           256>>7 = 2 -> 2*170/376 = 0; file 257>>7 = 2 -> 1 freed.
  //   prio 6: anon 4 -> 1 written (a 33, f 11, halved: 16, 5); file 4 -> 2 freed.
  //   prio 5: a 16, f 5: A 37, F 26: ap 60*64/38 = 101, fp 140*64/27 = 331. anon 8 -> 1 written
  //           (a 24, f 2); file 254>>5 = 7 -> 5 freed.
  //   prio 4: A 50, F 28: ap 92, fp 381. anon 16 -> 3 written (a 61, f 1); file 249>>4 = 15
  //           -> 12 freed.
  //   prio 3: A 123, F 63: ap 90, fp 409. anon 32 -> 5 written; file 237>>3 = 29 -> 23 freed:
  //           1 + 2 + 5 + 12 + 23 = 43.
  swapon(k, "swap", 4096 * PAGE_SIZE, undefined);
  tmpfsPages(k, "tmpfs:t", 256);
  filePages(k, "file:g", 256);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 63 + 43,
    written: 10,
    scanned: 127 + 53,
    inactiveAnon: 256,
    activeAnon: 0,
    inactiveFile: 257 - 43,
    activeFile: 0,
  });
  deepStrictEqual([k.anonCost, k.fileCost], [113, 0]);
});

Deno.test("under a readahead's plug adjacent writes complete only when a scan meets one", () => {
  // The WRITE_LATENCY test's 200 tmpfs pages under a readahead's plug (as `swap_in.ts` starts it:
  // its first request a read). Their slots follow each other: one request behind the read, never
  // sent by the plug's rules, so no write completes by the clock. Priorities 7..1 write 1, 3, 6,
  // 12, 25, 50, 100 pages (197); priority 0 writes the last 3, meets a page under writeback, waits
  // for every write: 29 of the batch freed, then 32: 61.
  const k = memcgKernel(4096, 200);
  tmpfsPages(k, "tmpfs:t", 200);
  k.plugged = true;
  startReadaheadPlug(k);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 61,
    written: 200,
    scanned: 197 + 64,
    inactiveAnon: 139,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
  deepStrictEqual(k.inFlight.length, 0);
});

/**
 * 4 private anonymous pages of process 1 at virtual page `V4`, written and paged out
 * (MADV_PAGEOUT: written to swap, in flight); returns the address space.
 */
function fourPagedOut(k: Kernel): Mm {
  const mm = mmOf(k, 1);
  mmap(k, mm, V4, 4 * PAGE_SIZE, Prot.read | Prot.write, MapFlag.private | MapFlag.anon, null, 0);
  for (let p = 0; p < 4; p++) ok(touch(k, mm, V4 + p, Op.w, p + 1));
  madvise(k, mm, V4, 4 * PAGE_SIZE, Madv.pageout);
  return mm;
}
const V4 = 0x7f0000000;

Deno.test("a clean page in the swap cache is freed without a write, and costs nothing", () => {
  // 4 private anonymous pages written, paged out (MADV_PAGEOUT: written, in flight) and read
  // back (found in the swap cache: mapped again, clean). The reclaim first completes the writes;
  // only priority 0 scans the 4 (4>>prio share 60/200 is 0 above it): the first pass keeps them
  // (referenced: cost 4, halved: 2), the second frees them, clean, still in the swap cache: no
  // write, no cost.
  const k = memcgKernel(4096);
  const mm = fourPagedOut(k);
  for (let p = 0; p < 4; p++) ok(touch(k, mm, V4 + p, Op.r, 10 + p));
  deepStrictEqual(k.counters[C.swap_out_pages], 4);
  memoryReclaim(k, 32);
  deepStrictEqual(state(k), {
    freed: 4,
    written: 4,
    scanned: 8,
    inactiveAnon: 0,
    activeAnon: 0,
    inactiveFile: 0,
    activeFile: 0,
  });
  deepStrictEqual([k.anonCost, k.fileCost], [2, 0]);
});

Deno.test("a page written while its swap write is in flight stays in the swap cache meanwhile", () => {
  // 4 private anonymous pages written and paged out (MADV_PAGEOUT: written, in flight), then
  // written again: each is found in the swap cache (a minor fault) and mapped writable, but stays
  // there while it is written (folio_free_swap fails under writeback). Unmapped then, the pages
  // wait for their writes, which the next reclaim completes before it frees them, slots and all.
  const k = memcgKernel(4096);
  const mm = fourPagedOut(k);
  const minor = k.counters[C.minor_faults]!;
  for (let p = 0; p < 4; p++) ok(touch(k, mm, V4 + p, Op.w, 10 + p));
  deepStrictEqual(k.counters[C.minor_faults]! - minor, 4);
  deepStrictEqual(k.counters[C.major_faults], 0);
  const held = PG.swapCache | PG.writeback;
  deepStrictEqual(k.inFlight.map((f) => k.frames.flags[f]! & held), [held, held, held, held]);
  munmap(k, mm, V4, 4 * PAGE_SIZE);
  deepStrictEqual(k.inFlight.map((f) => k.frames.flags[f]! & held), [held, held, held, held]);
  check(k);
  memoryReclaim(k, 32);
  deepStrictEqual([k.inFlight.length, state(k).freed, k.swap.used], [0, 4, 0]);
  check(k);
});

Deno.test("a page left in the swap cache by an unlinked file goes with its slot, swapoff or not", () => {
  // 200 tmpfs pages: a reclaim writes 111 to swap and frees 75 (the first test above), 36 stay in
  // flight. The file is unlinked: its pages and slots go, but those 36 stay in the swap cache
  // until their writes complete. The next reclaim completes them and frees them, slot and all,
  // also when their device is being swapped off (a test hook: `removing`, as swapoff sets it
  // while it brings pages back), where a mapped page would give its slot up and get another.
  for (const removing of [false, true]) {
    const k = memcgKernel(4096, 200);
    tmpfsPages(k, "tmpfs:t", 200);
    memoryReclaim(k, 32);
    unlink(k, "tmpfs:t");
    deepStrictEqual([k.inFlight.length, k.frames.lruSize[LRU.inactiveAnon]], [36, 36]);
    k.swap.devices[0]!.removing = removing;
    memoryReclaim(k, 32);
    deepStrictEqual([k.inFlight.length, k.frames.lruSize[LRU.inactiveAnon], k.swap.used], [
      0,
      0,
      0,
    ]);
    check(k);
  }
});

/** Runs of the page indices of `name` in the page cache, as "first-last" strings. */
function cachedRuns(k: Kernel, name: string): string[] {
  const keys = [...k.objects.get(name)!.pages.keys()].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const first = keys[i]!;
    while (i + 1 < keys.length && keys[i + 1] === keys[i]! + 1) i++;
    runs.push(`${first}-${keys[i]}`);
  }
  return runs;
}

/** Pages of `name` in the page cache carrying `flag`. */
function cachedWith(k: Kernel, name: string, flag: number): number {
  return [...k.objects.get(name)!.pages.values()].filter((fr) => k.frames.flags[fr]! & flag)
    .length;
}

Deno.test("dirty file pages: reclaim wakes the flusher and waits for it, then frees them in order", () => {
  // 64 dirty pages of file:d (written first: the inactive file list's tail), then 40 clean ones
  // of file:c; no swap. Priority 6 scans 104>>6 = 1 page, file:d's first: dirty, so reclaim does
  // not write it (only kswapd would) but marks it PG_reclaim and activates it. That batch held
  // dirty pages only: the flusher writes every dirty page, and reclaim (not in a write(2)) waits
  // for it. The marked page goes to the inactive tail, the others are clean where they were:
  // pages 0 to 40 are freed in order, 41 in all (priorities 5..1 scan 3, 6, 12, 23 and 32).
  const k = memcgKernel(0);
  create(k, "file:d", 64 * PAGE_SIZE);
  write(k, "file:d", 0, 64 * PAGE_SIZE, 3);
  filePages(k, "file:c", 40);
  memoryReclaim(k, 32);
  deepStrictEqual(
    [k.counters[C.pages_reclaimed], k.counters[C.file_write_pages], k.counters[C.swap_out_pages]],
    [41, 64, 0],
  );
  deepStrictEqual(cachedRuns(k, "file:d"), ["41-63"]);
  deepStrictEqual([cachedWith(k, "file:d", PG.dirty), k.inFlight.length], [0, 0]);
  check(k);
});

Deno.test("in write(2), reclaim marks the pages the flusher is writing; they go from the last down", () => {
  // A 128-page cgroup, a file written 160 pages long. The reclaim the 128th page needs meets a
  // dirty page first and wakes the flusher, but does not wait (it was entered from write(2)): the
  // flusher's writes are in flight, and every page it meets after is marked PG_reclaim and
  // activated. The next reclaim starts by completing those writes, in index order, each marked
  // page to the inactive tail: it frees page 0 (the first marked), then 127 down to 97.
  const k = new Kernel(
    { memPages: 128, swapPages: 0, strategy: "anon_vma_chain", vm: { memcg: true } },
    newCounters(),
  );
  create(k, "file:w", 0);
  write(k, "file:w", 0, 160 * PAGE_SIZE, 5);
  deepStrictEqual(cachedRuns(k, "file:w"), ["1-96", "128-159"]);
  deepStrictEqual(
    [
      k.counters[C.pages_reclaimed],
      k.counters[C.file_write_pages],
      cachedWith(k, "file:w", PG.dirty),
    ],
    [32, 128, 32],
  );
  check(k);
});

Deno.test("a file truncated while the flusher writes its pages waits for the writes", () => {
  const k = memcgKernel(0);
  create(k, "file:d", 64 * PAGE_SIZE);
  write(k, "file:d", 0, 64 * PAGE_SIZE, 3);
  flushDirtyFiles(k);
  deepStrictEqual([k.inFlight.length, cachedWith(k, "file:d", PG.writeback)], [64, 64]);
  truncate(k, "file:d", 0);
  deepStrictEqual([k.inFlight.length, k.objects.get("file:d")!.pages.size], [0, 0]);
  check(k);
});
