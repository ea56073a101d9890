import { deepStrictEqual, ok } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import type { CounterName } from "../counters.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";
import { type BatchRun, runBatch } from "../run_batch.ts";
import { WRITE_LATENCY } from "./memcg_reclaim.ts";
import { SLOW_REQUEST_FACTOR } from "./writeback.ts";
import { swapinNrPages } from "./swap_in.ts";

const A = 0x7f0000000000; // page-table-page aligned (pte index 0)
const PG = 4096;
const N = 256;

function run(t: TraceBuilder, vm: Partial<VmKnobs> = {}, mem = 1024): BatchRun {
  const r = runBatch(t.batch(), { memPages: mem, swapPages: 4096, check: true, vm });
  deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
  return r;
}

const SWAP: CounterName[] = [
  "minor_faults",
  "major_faults",
  "swap_in_pages",
  "swap_ra_pages",
  "swap_ra_hits",
];

function pick(r: BatchRun, names: CounterName[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, r.counters[n]]));
}

/** N pages written, then all paged out (MADV_PAGEOUT), then a mark before the read-back. */
function swappedOut(): TraceBuilder {
  return new TraceBuilder().mmap(1, A, N * PG, "rw-", "private,anon").w(1, A, N * PG)
    .madvise(1, A, N * PG, "pageout").mark("back");
}

Deno.test("an in-order read-back of swapped-out pages takes one major fault for 8 pages", () => {
  const t = swappedOut().r(1, A, N * PG);
  const r = run(t);
  // The first fault, with no history (4 hits: a window of 8 centred on it, clipped to the area),
  // reads pages 0..4; every later one follows a hit on the page before it: 7 hits or more, 8
  // pages ahead. 1 + ceil(251 / 8) = 33 major faults; every other page was read ahead and hit.
  deepStrictEqual(pick(r, SWAP), {
    minor_faults: N + 223,
    major_faults: 33,
    swap_in_pages: N,
    swap_ra_pages: 223,
    swap_ra_hits: 223,
  });
});

Deno.test("backwards, the window lies behind the fault", () => {
  const t = swappedOut();
  for (let p = N - 1; p >= 0; p--) t.r(1, A + p * PG);
  const r = run(t);
  // The first fault (page 255) reads 252..255 (centred, clipped to the area), then each fault
  // just before the last hit reads the 8 pages below it: 1 + ceil(252 / 8) = 33.
  deepStrictEqual(pick(r, ["major_faults", "swap_in_pages", "swap_ra_hits"]), {
    major_faults: 33,
    swap_in_pages: N,
    swap_ra_hits: N - 33,
  });
});

Deno.test("a random read-back shrinks the window to one page", () => {
  const t = swappedOut();
  for (let k = 0; k < N; k++) t.r(1, A + ((k * 37 + 11) % N) * PG);
  const r = run(t);
  // Windows of 8, 4, 2 while no fault hits what was read ahead (never less than half the last
  // window), then mostly one page a fault (a window of 2 again when a fault comes next to the
  // page last hit): under a tenth of the pages read ahead, where aligned blocks would read 7 of 8.
  ok(r.counters.swap_ra_pages <= 24, `${r.counters.swap_ra_pages} pages read ahead`);
  ok(r.counters.major_faults >= N - 24, `${r.counters.major_faults} major faults`);
  deepStrictEqual(r.counters.swap_in_pages, N);
});

Deno.test("page_cluster=0 reads the faulting page alone; vma_ra=0 reads aligned blocks of slots", () => {
  const none = run(swappedOut().r(1, A, N * PG), { page_cluster: 0 });
  deepStrictEqual(pick(none, ["major_faults", "swap_ra_pages"]), {
    major_faults: N,
    swap_ra_pages: 0,
  });
  const slots = run(swappedOut().r(1, A, N * PG), { vma_ra: false });
  // Slots were written in page order from the device's first page (kernel offset 1, the header
  // being 0). The machine-wide history starts with no hits: page 0 (offset 1, next to the
  // history's offset 0) reads the block [0, 1], the header excluded: itself; page 1 (next to it)
  // [2, 3]; page 3, after a hit, [4, 7]; page 7, after 3, [8, 15]; then every 8th page the next
  // aligned block of 8: 4 + 31 major faults.
  deepStrictEqual(pick(slots, ["major_faults", "swap_in_pages", "swap_ra_hits"]), {
    major_faults: 35,
    swap_in_pages: N,
    swap_ra_hits: N - 35,
  });
});

Deno.test("zero-filled pages go to swap and come back without I/O (swap zeromap)", () => {
  // Populated, never written: every page is zero-filled.
  const t = new TraceBuilder().mmap(1, A, "64K", "rw-", "private,anon,populate")
    .madvise(1, A, "64K", "pageout").r(1, A, "64K");
  const r = run(t);
  deepStrictEqual(
    pick(r, ["swap_out_pages", "swap_in_pages", "swap_io_requests", "pages_reclaimed"]),
    { swap_out_pages: 0, swap_in_pages: 0, swap_io_requests: 0, pages_reclaimed: 16 },
  );
  ok(r.counters.major_faults >= 2, "a swap-in is still a major fault");
});

Deno.test("memcg=1: memory fills to the limit (no watermarks), then reclaim frees 32 at a time", () => {
  const fill = (vm: Partial<VmKnobs>) =>
    run(new TraceBuilder().mmap(1, A, "16M", "rw-", "private,anon").w(1, A, 4000 * PG), vm, 4096);
  // 4000 pages in 4096: a memory cgroup holds them all; zone watermarks (min 128, low 160, high
  // 192 pages free for 16 MiB) push some out.
  deepStrictEqual(fill({ memcg: true }).counters.swap_out_pages, 0);
  ok(fill({}).counters.swap_out_pages >= 64, "zone watermarks keep memory free");
  const over = run(
    new TraceBuilder().mmap(1, A, "32M", "rw-", "private,anon").w(1, A, 4097 * PG),
    { memcg: true },
    4096,
  );
  // One page too many: one reclaim. Its priorities scan the oldest pages (all dirty: written, in
  // page order) and write them into slots that follow each other: its pass's plug merges them into
  // one request, sent when the 255th write starts another; a request that large is slow: its
  // pages complete once reclaim has scanned SLOW_REQUEST_FACTOR (3) times WRITE_LATENCY (60) more
  // pages, and the pass then frees the pages it finds written, the last completed first: 254 + 180
  // written, pages 211..253 freed.
  deepStrictEqual([WRITE_LATENCY, SLOW_REQUEST_FACTOR], [60, 3]);
  deepStrictEqual(pick(over, ["pages_reclaimed", "swap_out_pages"]), {
    pages_reclaimed: 43,
    swap_out_pages: 254 + 3 * WRITE_LATENCY,
  });
});

Deno.test("memcg=1: a page being written by reclaim is still in the swap cache: its fault is minor", () => {
  // Reclaim wrote pages 0..433 and freed 211..253 (above): 254..433 are being written, 0..210
  // written and still in the swap cache.
  const t = new TraceBuilder().mmap(1, A, "32M", "rw-", "private,anon").w(1, A, 4097 * PG);
  const r = runBatch(t.r(1, A + 300 * PG).r(1, A + 211 * PG).batch(), {
    memPages: 4096,
    swapPages: 4096,
    vm: { memcg: true },
  });
  deepStrictEqual(pick(r, ["minor_faults", "major_faults", "swap_in_pages"]), {
    minor_faults: 4097 + 1, // page 300: found in the swap cache
    // page 211: freed, read back with pages 212..215 (a window of 8 centred on it, 208..215,
    // whose first three are still in the swap cache)
    major_faults: 1,
    swap_in_pages: 5,
  });
});

Deno.test("memcg=1: writes started before a readahead window are not held by its plug", () => {
  // Reclaim wrote pages 0..433 and freed 211..253 (above): 180 writes in flight, 42 frames free;
  // 42 more pages written fill memory. Page 211, read back, takes a window (pages 211..215): its
  // first page needs a reclaim, under the window's plug. The 180 writes started before the window
  // have completed (windowBegin), so they are at the tail of the inactive list, and that reclaim
  // frees them without writing anything; the plug holds only the writes its own reclaims start.
  const full = () =>
    new TraceBuilder().mmap(1, A, "32M", "rw-", "private,anon").w(1, A, 4097 * PG)
      .w(1, A + 4097 * PG, 42 * PG);
  const cfg = { memPages: 4096, swapPages: 4096, vm: { memcg: true } };
  const before = runBatch(full().batch(), cfg).counters;
  const after = runBatch(full().r(1, A + 211 * PG).batch(), cfg).counters;
  const d = (n: CounterName) => after[n] - before[n];
  deepStrictEqual([d("major_faults"), d("swap_in_pages"), d("swap_out_pages")], [1, 5, 0]);
  ok(d("pages_reclaimed") >= 32, `${d("pages_reclaimed")} reclaimed`);
});

Deno.test("memcg=1: a one-page swap-in is read without a plug, so reclaim's writes complete", () => {
  // page_cluster 0: every swap-in reads one page, which Linux reads without a block plug
  // (swap_vma_readahead's and swap_cluster_readahead's one-page path). 4097 + 411 pages written:
  // memory is full, and the reclaims since the first have used up the written pages it left in
  // the swap cache. Page 219 (on swap only) read back needs a frame: its reclaim writes the dirty
  // pages it meets, each pass's writes sent as the pass ends (blk_finish_plug) and complete
  // WRITE_LATENCY pages later, when a later pass frees them: 103 written, 71 freed. Under a
  // readahead window's plug none would complete: with page_cluster 3 (and vma_ra) it writes the
  // whole list.
  const full = () =>
    new TraceBuilder().mmap(1, A, "32M", "rw-", "private,anon").w(1, A, 4097 * PG)
      .w(1, A + 4097 * PG, 411 * PG);
  const delta = (vm: Partial<VmKnobs>) => {
    const cfg = { memPages: 4096, swapPages: 8192, vm: { memcg: true, ...vm } };
    const before = runBatch(full().batch(), cfg).counters;
    const after = runBatch(full().r(1, A + 219 * PG).batch(), cfg).counters;
    return (n: CounterName) => after[n] - before[n];
  };
  for (const vma_ra of [true, false]) {
    const d = delta({ page_cluster: 0, vma_ra });
    deepStrictEqual(
      [d("major_faults"), d("swap_in_pages"), d("swap_out_pages"), d("pages_reclaimed")],
      [1, 1, 103, 71],
      `vma_ra=${vma_ra}`,
    );
  }
  const plugged = delta({ page_cluster: 3, vma_ra: true });
  ok(plugged("swap_out_pages") > 3500, `${plugged("swap_out_pages")} written under a plug`);
});

Deno.test("swapinNrPages sizes a window as Linux's __swapin_nr_pages does", () => {
  // [previous offset, offset, hits, max pages, previous window] -> pages. No hits: one page,
  // unless the fault is next to the previous one (either side), then 2.
  const cases: [number, number, number, number, number, number][] = [
    [10, 50, 0, 8, 0, 1],
    [10, 11, 0, 8, 0, 2],
    [10, 9, 0, 8, 0, 2],
    [10, 12, 0, 8, 0, 1],
    // hits + 2 rounded up to a power of two, at least 4: 1 -> 4, 2 -> 4, 3 -> 8, 6 -> 8, 7 -> 16.
    [10, 50, 1, 32, 0, 4],
    [10, 50, 2, 32, 0, 4],
    [10, 50, 3, 32, 0, 8],
    [10, 50, 6, 32, 0, 8],
    [10, 50, 7, 32, 0, 16],
    // capped at max pages
    [10, 50, 7, 8, 0, 8],
    [10, 11, 0, 1, 0, 1],
    // never less than half the previous window (rounded down), even with no hits, or over the cap
    [10, 50, 0, 8, 8, 4],
    [10, 50, 0, 8, 9, 4],
    [10, 50, 0, 8, 3, 1],
    [10, 50, 1, 8, 16, 8],
    [10, 50, 1, 2, 16, 8],
  ];
  for (const [prev, off, hits, max, win, want] of cases) {
    deepStrictEqual(
      swapinNrPages(prev, off, hits, max, win),
      want,
      `${[prev, off, hits, max, win]}`,
    );
  }
});

Deno.test("mlock reads swapped-out pages ahead as a fault does, but counts every fault minor", () => {
  // __mm_populate's fault gives up the mmap lock while the read is in flight and faults again
  // without FAULT_FLAG_TRIED: the kernel counts it minor (mlock of 64 swapped-out pages on Linux
  // 6.18: 64 minor faults, 0 major, 72 pages read).
  const r = run(swappedOut().mlock(1, A, N * PG));
  deepStrictEqual(pick(r, SWAP), {
    minor_faults: N + N,
    major_faults: 0,
    swap_in_pages: N,
    swap_ra_pages: 223,
    swap_ra_hits: 223,
  });
});

Deno.test("populated pages are touched (FOLL_TOUCH): reclaim keeps them over pages written once", () => {
  // 64 pages populated, then 64 more written in 96 pages of a memory cgroup: the populated ones are
  // referenced twice (their PTEs and folio_mark_accessed), so reclaim activates them and takes
  // the written ones; reading the populated area again faults on none of it.
  const B = A + 0x100000000;
  const before = () =>
    new TraceBuilder().mmap(1, A, 64 * PG, "rw-", "private,anon,populate")
      .mmap(1, B, 64 * PG, "rw-", "private,anon").w(1, B, 64 * PG);
  const faults = (r: BatchRun) => r.counters.minor_faults + r.counters.major_faults;
  const written = run(before(), { memcg: true }, 96);
  const reread = run(before().r(1, A, 64 * PG), { memcg: true }, 96);
  ok(written.counters.swap_out_pages > 0, "reclaim ran");
  deepStrictEqual(faults(reread) - faults(written), 0);
});
