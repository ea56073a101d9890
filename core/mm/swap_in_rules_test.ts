// Swap-in rules one at a time, with the expected numbers reasoned from Linux's mm/swap_state.c:
// which page a swap-cache hit counts (swap_update_readahead), the history of a new area
// (GET_SWAP_RA_VAL), the slot history's previous offset (swapin_nr_pages), the aligned block of
// swap_cluster_readahead, the runs of one window (one request each), windows larger than 32
// pages, and zero-filled pages read alone.
import { deepStrictEqual, ok } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import type { CounterName } from "../counters.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";
import { type BatchRun, runBatch } from "../run_batch.ts";

const A = 0x7f0000000000; // page-table-page aligned (pte index 0)
const PG = 4096;

function run(t: TraceBuilder, vm: Partial<VmKnobs> = {}, mem = 1024): BatchRun {
  const r = runBatch(t.batch(), { memPages: mem, swapPages: 4096, check: true, vm });
  deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
  return r;
}

function pick(r: BatchRun, names: CounterName[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, r.counters[n]]));
}

/**
 * `n` pages of private anonymous memory written by process 1 and paged out in page order: page
 * `p` goes to slot `p`, the device's kernel offset `p + 1` (offset 0 is the swap header).
 */
function swappedOut(n: number): TraceBuilder {
  return new TraceBuilder().mmap(1, A, n * PG, "rw-", "private,anon").w(1, A, n * PG)
    .madvise(1, A, n * PG, "pageout");
}

const READS: CounterName[] = ["major_faults", "swap_ra_pages", "swap_ra_hits", "swap_io_requests"];

Deno.test("a swap-cache hit on a page not read ahead is no readahead hit (VMA history)", () => {
  // Process 2, forked after the pageout, shares every swap entry. Its fault on page 10 (a new
  // area: 4 hits, a window of 8 centred on it) reads pages 7..14 and marks all but 10 PG_readahead.
  // Process 1 then finds 11 and 12 read ahead (2 hits: its new area's 4 become 6) and 10 in the
  // swap cache but not read ahead: swap_update_readahead counts no hit, its history stays at 6.
  // Its fault on page 40 then sizes its window from 6 hits: 8 pages, rounded up to a power of
  // two (7 hits would give 16), centred on 40: 37..44, 7 read ahead. page_cluster=5 lets windows
  // reach 32 pages so that 8 and 16 differ. Process 2 then finds page 11, its PG_readahead
  // cleared by the hit of process 1: no second hit.
  const t = swappedOut(64).fork(1, 2).r(2, A + 10 * PG)
    .r(1, A + 11 * PG).r(1, A + 12 * PG).r(1, A + 10 * PG).r(1, A + 40 * PG).r(2, A + 11 * PG);
  const r = run(t, { page_cluster: 5 });
  deepStrictEqual(pick(r, READS), {
    major_faults: 2,
    swap_ra_pages: 7 + 7,
    swap_ra_hits: 2,
    swap_io_requests: 1 + 2, // the pageout's write (one run of adjacent slots), two windows
  });
});

Deno.test("a new area's history counts 4 hits, then every readahead hit before its first fault", () => {
  // As above, process 2's fault reads pages 7..14. Process 1, whose area has not faulted yet,
  // finds 11, 12 and 13 read ahead: 4 + 3 = 7 hits (counting from 4 only while the area has no
  // window and no hits: not again at each hit, which would leave 5). Its fault on page 40: 7 + 2
  // = 9 pages, rounded up to 16, centred on it (7 before): 33..48, 15 read ahead.
  const t = swappedOut(64).fork(1, 2).r(2, A + 10 * PG)
    .r(1, A + 11 * PG).r(1, A + 12 * PG).r(1, A + 13 * PG).r(1, A + 40 * PG);
  const r = run(t, { page_cluster: 5 });
  deepStrictEqual(pick(r, READS), {
    major_faults: 2,
    swap_ra_pages: 7 + 15,
    swap_ra_hits: 3,
    swap_io_requests: 1 + 2,
  });
});

Deno.test("slot readahead reads no free slot of its block", () => {
  // 16 pages swapped out to slots 0..15 (offsets 1..16), then page 9 unmapped: its slot is
  // free. The in-order read-back by slot (as in swap_in_test.ts): page 0 reads itself; page 1
  // the block [2, 3] (page 2 ahead); page 3, after a hit, [4, 7] (4, 5, 6 ahead); page 7, after
  // 3 hits (5 pages, rounded up to 8), [8, 15]: pages 8 and 10..14 ahead, offset 10 (page 9)
  // left out; page 15, after 6 hits, [16, 23]: itself, the device's last page in use.
  const t = swappedOut(16).munmap(1, A + 9 * PG, PG);
  for (let p = 0; p < 16; p++) if (p !== 9) t.r(1, A + p * PG);
  const r = run(t, { vma_ra: false });
  deepStrictEqual(pick(r, READS), {
    major_faults: 5,
    swap_ra_pages: 1 + 3 + 6,
    swap_ra_hits: 10,
    // the pageout's write; one run a window, but two for [8, 15]: slots 7, 8, then 10..14
    swap_io_requests: 1 + 6,
  });
});

Deno.test("a swap-cache hit on a page not read ahead is no readahead hit (slot history)", () => {
  // Slot readahead (vma_ra=0), with the machine-wide history starting at no hits and offset 0.
  // Process 2's fault on page 10 (offset 11, not next to 0) reads it alone; process 1 finds it
  // in the swap cache, not read ahead: no hit. Process 1's fault on page 40 (offset 41), with no
  // hits and not next to offset 11, reads it alone too (one hit would give a block of 4).
  const t = swappedOut(64).fork(1, 2).r(2, A + 10 * PG).r(1, A + 10 * PG).r(1, A + 40 * PG);
  const r = run(t, { vma_ra: false });
  deepStrictEqual(pick(r, READS), {
    major_faults: 2,
    swap_ra_pages: 0,
    swap_ra_hits: 0,
    swap_io_requests: 1 + 2, // the pageout's write (one run of adjacent slots), two reads
  });
});

Deno.test("slot readahead: the previous offset moves only on a fault with no hits", () => {
  // page_cluster=1: blocks of 2 offsets. Each fault with no hits remembers its offset; one after
  // a hit does not (swapin_nr_pages: `if (!hits) prev_offset = offset`).
  //  page 5 (offset 6): not next to 0: read alone; previous offset 6.
  //  page 6 (offset 7): next to 6: a block of 2, [6, 7]; 6 is cached: 7 alone; previous 7.
  //  page 7 (offset 8): next to 7: [8, 9]: page 8 read ahead; previous 8.
  //  page 8: a readahead hit (minor).
  //  page 12 (offset 13): 1 hit: 3 pages, rounded up to 4, capped at 2: [12, 13], page 11 read
  //    ahead; the previous offset stays 8.
  //  page 13 (offset 14): no hits, not next to 8: read alone (next to 13 would read [14, 15]).
  // The aligned block starts at offset 12 for page 12, not at the device's first page: pages
  // 0..4, not in the swap cache, are not read.
  const t = swappedOut(16);
  for (const p of [5, 6, 7, 8, 12, 13]) t.r(1, A + p * PG);
  const r = run(t, { vma_ra: false, page_cluster: 1 });
  deepStrictEqual(pick(r, READS), {
    major_faults: 5,
    swap_ra_pages: 2,
    swap_ra_hits: 1,
    swap_io_requests: 1 + 5, // the pageout's write (one run), then one run a major fault
  });
});

Deno.test("a window's adjacent slots are one request, wherever the window starts", () => {
  // A new area's first fault (4 hits: 8 pages) centred on page 6 reads pages 3..10: slots 3..10,
  // one run, one request (as the pageout's write of slots 0..15 in one pass was).
  const r = run(swappedOut(16).r(1, A + 6 * PG));
  deepStrictEqual(pick(r, READS), {
    major_faults: 1,
    swap_ra_pages: 7,
    swap_ra_hits: 0,
    swap_io_requests: 1 + 1, // the pageout's write, the window
  });
});

Deno.test("page_cluster=0: a zero-filled page comes back alone without a request", () => {
  // Populated, never written: every page is zero-filled, and its slot is never written nor read.
  const t = new TraceBuilder().mmap(1, A, "64K", "rw-", "private,anon,populate")
    .madvise(1, A, "64K", "pageout").r(1, A, "64K");
  const r = run(t, { page_cluster: 0 });
  deepStrictEqual(pick(r, ["major_faults", "swap_in_pages", "swap_io_requests"]), {
    major_faults: 16,
    swap_in_pages: 0,
    swap_io_requests: 0,
  });
});

Deno.test("slot windows of 64 pages read and release every page", () => {
  // page_cluster=6, slot readahead, an in-order read-back of 256 pages: blocks of 2, 2, 4, 8
  // (offsets 1, [2, 3], [4, 7], [8, 15]), then, hits growing, 16, 32 and 64 (the cap) until the
  // end. Every frame a window reads is held (pinned) until the window is read, then released: a
  // second pageout reclaims all 256 again, without writing (their slots hold their contents).
  const t = swappedOut(256).r(1, A, 256 * PG).madvise(1, A, 256 * PG, "pageout");
  const r = run(t, { vma_ra: false, page_cluster: 6 });
  deepStrictEqual(pick(r, ["swap_in_pages", "swap_out_pages", "pages_reclaimed"]), {
    swap_in_pages: 256,
    swap_out_pages: 256,
    pages_reclaimed: 512,
  });
});

/** Process 1's 16 pages at B, swapped out and reclaimed out of the swap cache. */
const B = 0x7f1000000000;

Deno.test("memcg=1: the faulting page the window could not take is read once the window is done", () => {
  // A 64-page cgroup: 16 pages paged out and reclaimed (16), then 61 pages locked and populated
  // (unevictable): 3 frames free. The
  // fault on page 6 reads the window 3..10 (8 pages centred on it). Pages 3, 4, 5 take the 3
  // free frames; page 6 finds the cgroup at its limit and reclaim finds nothing to free (locked
  // pages, and the window's pages held until it is read). After the window, page 6 is read alone
  // (swap_vma_readahead's final read_swap_cache_async): its reclaim frees 3..5 (clean, in swap).
  const t = new TraceBuilder().mmap(1, B, 16 * PG, "rw-", "private,anon").w(1, B, 16 * PG)
    .madvise(1, B, 16 * PG, "pageout")
    .mmap(1, A, 61 * PG, "rw-", "private,anon,populate,locked").r(1, B + 6 * PG);
  const r = run(t, { memcg: true }, 64);
  deepStrictEqual(r.diagnostics, []); // no out-of-memory
  deepStrictEqual(pick(r, [...READS, "swap_in_pages", "pages_reclaimed"]), {
    major_faults: 1,
    swap_ra_pages: 3,
    swap_ra_hits: 0,
    swap_io_requests: 1 + 2, // the pageout's write; slots 3..5 in one run, then slot 6
    swap_in_pages: 4,
    pages_reclaimed: 16 + 3,
  });
});

/**
 * A 512-page cgroup: 128 pages at B paged out, then 500 dirty pages at A (reclaim writes and
 * frees some of them and of B's), then `reads` pages of B read back in order.
 */
function readBackUnderPressure(reads: number): BatchRun {
  const t = new TraceBuilder().mmap(1, B, 128 * PG, "rw-", "private,anon").w(1, B, 128 * PG)
    .madvise(1, B, 128 * PG, "pageout").mmap(1, A, 500 * PG, "rw-", "private,anon")
    .w(1, A, 500 * PG).r(1, B, reads * PG);
  return run(t, { memcg: true }, 512);
}

Deno.test("memcg=1: a window's reads are plugged: its reclaim writes every dirty page it meets", () => {
  // Reading B back needs frames at the cgroup's limit: each window's pages reclaim. Under the
  // window's block plug the writes that reclaim starts (A's pages, to adjacent slots: a request or
  // two behind the window's first read, below the plug's 32) are not sent until the window is
  // read, so it can free none of them and goes on scanning, at rising priority, writing every
  // dirty page of A it meets: more than half of A's 500 (sent at each pass's end, its writes would
  // complete once it had scanned WRITE_LATENCY (60) more pages and it would free those).
  const before = readBackUnderPressure(0).counters.swap_out_pages;
  const after = readBackUnderPressure(128).counters.swap_out_pages;
  ok(after - before > 250, `${after - before} pages written while reading back`);
});

Deno.test("memcg=1: a window's plug ends with the window", () => {
  // After one window (the fault on page 6 of 16 pages reclaimed out of swap: 3..10, read with
  // room to spare), 400 pages written in a 256-page cgroup: their reclaims, outside any window,
  // complete their writes and free those pages. The window's 7 pages read ahead are clean: they
  // can only spare later reclaims some writes, never add any, against the same run reading page
  // 6 alone (page_cluster=0). A plug left on would keep every later write in flight: reclaim
  // would write every dirty page it meets.
  const t = () =>
    new TraceBuilder().mmap(1, B, 16 * PG, "rw-", "private,anon").w(1, B, 16 * PG)
      .madvise(1, B, 16 * PG, "pageout").reclaim(64).r(1, B + 6 * PG)
      .mmap(1, A, 400 * PG, "rw-", "private,anon").w(1, A, 400 * PG);
  const window = run(t(), { memcg: true }, 256).counters;
  const alone = run(t(), { memcg: true, page_cluster: 0 }, 256).counters;
  deepStrictEqual([window.swap_ra_pages, alone.swap_ra_pages], [7, 0]);
  ok(window.swap_out_pages <= alone.swap_out_pages, `${window.swap_out_pages} pages written`);
});
