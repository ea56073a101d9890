import { deepStrictEqual, ok } from "node:assert/strict";
import { TraceBuilder } from "../trace/builder.ts";
import type { CounterName } from "./counters.ts";
import { type BatchRun, runBatch } from "./run_batch.ts";
import type { VmKnobs } from "../uapi/knobs.ts";

const A = 0x7f0000000000; // page-table-page aligned (pte index 0)
const PG = 4096;

function run(
  t: TraceBuilder,
  opts: { mem?: number; swap?: number; loads?: boolean; vm?: Partial<VmKnobs> } = {},
): BatchRun {
  const r = runBatch(t.batch(), {
    memPages: opts.mem ?? 1024,
    swapPages: opts.swap ?? 4096,
    check: true,
    recordLoads: opts.loads ?? false,
    ...(opts.vm !== undefined ? { vm: opts.vm } : {}),
  });
  deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
  return r;
}

function pick(r: BatchRun, names: CounterName[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, r.counters[n]]));
}

const FAULTS: CounterName[] = [
  "minor_faults",
  "major_faults",
  "cow_faults",
  "cow_copies",
  "cow_reuses",
];

Deno.test("read of untouched private anon maps the zero page; a later write takes a fresh page", () => {
  const r = run(new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").r(1, A).w(1, A));
  deepStrictEqual(pick(r, [...FAULTS, "zero_page_maps"]), {
    minor_faults: 2,
    major_faults: 0,
    cow_faults: 0,
    cow_copies: 0,
    cow_reuses: 0,
    zero_page_maps: 1,
  });
  const w = run(new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).r(1, A));
  deepStrictEqual(pick(w, ["minor_faults", "zero_page_maps"]), {
    minor_faults: 1,
    zero_page_maps: 0,
  });
});

Deno.test("zero_page off: a read fault takes a zeroed page and the write after it does not fault", () => {
  const t = new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").r(1, A).w(1, A).r(1, A);
  const r = runBatch(t.batch(), {
    memPages: 64,
    swapPages: 0,
    check: true,
    recordLoads: true,
    vm: { zero_page: false },
  });
  deepStrictEqual(r.diagnostics, []);
  deepStrictEqual(pick(r, ["minor_faults", "zero_page_maps", "rss_peak_pages"]), {
    minor_faults: 1,
    zero_page_maps: 0,
    rss_peak_pages: 1,
  });
});

Deno.test("fork write-protects private anon pages: reads don't fault, writes copy or reuse", () => {
  const t = new TraceBuilder()
    .mmap(1, A, "16K", "rw-", "private,anon")
    .w(1, A).w(1, A + PG) // 2 faults
    .fork(1, 2)
    .r(2, A).r(2, A + PG).r(1, A) // no faults
    .w(2, A) // copy (parent maps it too)
    .w(1, A) // reuse: the parent is now the only mapper
    .w(1, A + PG) // copy: the child still maps it
    .exit(2)
    .w(1, A + PG); // already its own copy: no fault
  const r = run(t);
  deepStrictEqual(pick(r, [...FAULTS, "fork_ptes_copied"]), {
    minor_faults: 5,
    major_faults: 0,
    cow_faults: 3,
    cow_copies: 2,
    cow_reuses: 1,
    fork_ptes_copied: 2,
  });
});

Deno.test("fork gives shared and untouched file areas no PTEs: the child faults lazily", () => {
  const t = new TraceBuilder()
    .mmap(1, A, "8K", "rw-", "shared,anon").w(1, A)
    .mmap(1, A + 0x100000, "8K", "r--", "private", "file:/f").r(1, A + 0x100000)
    .fork(1, 2)
    .r(2, A).r(2, A + 0x100000);
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["minor_faults", "major_faults", "fork_ptes_copied"]), {
    minor_faults: 3,
    major_faults: 1,
    fork_ptes_copied: 0,
  });
});

Deno.test("a shared anonymous page written by the parent is seen by the child (stamps)", () => {
  const t = new TraceBuilder().mmap(1, A, "8K", "rw-", "shared,anon").fork(1, 2).w(1, A).r(2, A);
  const r = run(t, { loads: true });
  deepStrictEqual(r.machine.loadCount, 1);
  deepStrictEqual(r.machine.loadStamp[0], 3);
});

Deno.test("fault-around maps up to 16 cached pages of the aligned window, read faults only", () => {
  const t = new TraceBuilder()
    .create(1, "file:/f", "256K")
    .read(1, "file:/f", 0, "256K") // 64 pages cached
    .mmap(1, A, "256K", "r--", "private", "file:/f")
    .r(1, A + 5 * PG); // maps pages 0..15
  for (let p = 0; p < 16; p++) t.r(1, A + p * PG);
  t.r(1, A + 16 * PG); // maps 16..31
  const r = run(t);
  deepStrictEqual(pick(r, ["minor_faults", "major_faults", "file_read_pages"]), {
    minor_faults: 2,
    major_faults: 0,
    file_read_pages: 64,
  });
});

Deno.test("fault-around starts at the area's first PTE and stops at its end", () => {
  // The area starts at PTE index 10 and holds 20 pages: PTEs 10..29.
  const t = new TraceBuilder()
    .create(1, "file:/f", "256K")
    .read(1, "file:/f", 0, "256K")
    .mmap(1, A + 10 * PG, "80K", "r--", "private", "file:/f")
    .r(1, A + 10 * PG); // from = max(0, 10) = 10, to = 26: PTEs 10..25
  for (let p = 10; p < 26; p++) t.r(1, A + p * PG);
  t.r(1, A + 26 * PG); // from = max(16, 10) = 16, to = min(32, 30) = 30: maps 26..29
  for (let p = 26; p < 30; p++) t.r(1, A + p * PG);
  const r = run(t);
  deepStrictEqual(r.counters.minor_faults, 2);
});

Deno.test("write faults do no fault-around (private file: one COW copy per page)", () => {
  const t = new TraceBuilder()
    .create(1, "file:/f", "64K").read(1, "file:/f", 0, "64K")
    .mmap(1, A, "64K", "rw-", "private", "file:/f")
    .w(1, A).r(1, A + PG).w(1, A + 2 * PG);
  const r = run(t);
  // w: COW fault; r of page 1: fault-around maps 1..15 (page 0 is taken); w of page 2: COW.
  deepStrictEqual(pick(r, ["minor_faults", "cow_faults", "cow_copies"]), {
    minor_faults: 3,
    cow_faults: 2,
    cow_copies: 2,
  });
});

Deno.test("fault-around into a shared writable tmpfs mapping maps pages writable; file: needs a fault", () => {
  const tmpfs = new TraceBuilder()
    .write(1, "tmpfs:/t", 0, "64K")
    .mmap(1, A, "64K", "rw-", "shared", "tmpfs:/t")
    .r(1, A);
  for (let p = 1; p < 16; p++) tmpfs.w(1, A + p * PG);
  deepStrictEqual(run(tmpfs).counters.minor_faults, 1);
  const file = new TraceBuilder()
    .write(1, "file:/f", 0, "64K")
    .mmap(1, A, "64K", "rw-", "shared", "file:/f")
    .r(1, A).w(1, A + PG).w(1, A + PG);
  deepStrictEqual(run(file).counters.minor_faults, 2);
});

Deno.test("mremap moves page tables: no fault and no copy after the move", () => {
  const t = new TraceBuilder().mmap(1, A, "32K", "rw-", "private,anon");
  for (let p = 0; p < 8; p++) t.w(1, A + p * PG);
  t.mremap(1, A, "32K", A + 0x40000000, "64K");
  for (let p = 0; p < 8; p++) t.r(1, A + 0x40000000 + p * PG).w(1, A + 0x40000000 + p * PG);
  t.r(1, A);
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["minor_faults", "mremap_ptes_moved", "mremap_pages_copied", "segv"]), {
    minor_faults: 8,
    mremap_ptes_moved: 8,
    mremap_pages_copied: 0,
    segv: 1,
  });
});

Deno.test("mprotect read-only then read-write makes exclusive anon pages writable without a fault", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon");
  for (let p = 0; p < 4; p++) t.w(1, A + p * PG);
  t.mprotect(1, A, "16K", "r--").w(1, A).mprotect(1, A, "16K", "rw-");
  for (let p = 0; p < 4; p++) t.w(1, A + p * PG);
  const r = run(t);
  deepStrictEqual(pick(r, ["minor_faults", "segv"]), { minor_faults: 4, segv: 1 });
  // After fork the pages are shared: the first write of each faults again.
  const f = new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).fork(1, 2)
    .mprotect(1, A, "8K", "r--").mprotect(1, A, "8K", "rw-").w(1, A);
  deepStrictEqual(pick(run(f), ["minor_faults", "cow_copies"]), { minor_faults: 2, cow_copies: 1 });
});

Deno.test("MAP_POPULATE faults every page in at mmap time, counted as minor faults", () => {
  const t = new TraceBuilder().mmap(1, A, "32K", "rw-", "private,anon,populate");
  for (let p = 0; p < 8; p++) t.w(1, A + p * PG);
  deepStrictEqual(pick(run(t), ["minor_faults", "zero_page_maps"]), {
    minor_faults: 8,
    zero_page_maps: 0,
  });
  const ro = new TraceBuilder().mmap(1, A, "32K", "r--", "private,anon,populate").r(1, A);
  deepStrictEqual(pick(run(ro), ["minor_faults", "zero_page_maps"]), {
    minor_faults: 8,
    zero_page_maps: 8,
  });
});

Deno.test("MADV_DONTNEED drops private anon pages: the next read maps the zero page", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon")
    .w(1, A).w(1, A + PG).madvise(1, A, "16K", "dontneed").r(1, A);
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["minor_faults", "zero_page_maps"]), {
    minor_faults: 3,
    zero_page_maps: 1,
  });
  deepStrictEqual([r.machine.loadStamp[0], r.machine.residentPages()], [0, 0]);
});

Deno.test("a file page not cached is a major fault with 32 pages of read-around", () => {
  const t = new TraceBuilder().create(1, "file:/f", "1M")
    .mmap(1, A, "1M", "r--", "private", "file:/f")
    .r(1, A + 40 * PG) // reads pages 24..55; its retry's fault-around maps 32..47
    .r(1, A + 41 * PG) // mapped: no fault
    .r(1, A + 50 * PG); // fault-around: cached, minor
  deepStrictEqual(pick(run(t), ["minor_faults", "major_faults", "file_read_pages"]), {
    minor_faults: 1,
    major_faults: 1,
    file_read_pages: 32,
  });
});

Deno.test("reclaim gives referenced pages a second chance, swaps out in one request, reads back with VMA readahead", () => {
  const t = new TraceBuilder().mmap(1, A, "32K", "rw-", "private,anon");
  for (let p = 0; p < 8; p++) t.w(1, A + p * PG);
  t.reclaim(8).mark("in");
  for (let p = 0; p < 8; p++) t.r(1, A + p * PG);
  const r = run(t, { loads: true });
  deepStrictEqual(
    pick(r, [
      "minor_faults",
      "major_faults",
      "swap_out_pages",
      "swap_in_pages",
      "swap_io_requests",
      "pages_reclaimed",
      "rmap_vma_visits",
      "pte_walks",
      "rmap_wasted_visits",
    ]),
    {
      // 8 first touches; then the fault on page 0, with no history yet (4 hits), reads a window
      // of 8 centred on it and clipped to the area (pages 0..4), and the fault on page 5, next
      // to the last hit, the 3 pages left ahead: 2 major faults, 6 swap-cache hits.
      minor_faults: 8 + 6,
      major_faults: 2,
      swap_out_pages: 8,
      swap_in_pages: 8,
      swap_io_requests: 3, // one write, two reads
      pages_reclaimed: 8,
      // page_referenced twice per page (second chance), try_to_unmap once.
      rmap_vma_visits: 24,
      pte_walks: 24,
      rmap_wasted_visits: 0,
    },
  );
  deepStrictEqual(r.machine.loadStamp[0], 9); // the last store to page 7 was event 9
});

Deno.test("madvise pageout reclaims at once; mlocked pages are never reclaimed", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon");
  for (let p = 0; p < 4; p++) t.w(1, A + p * PG);
  t.madvise(1, A, "16K", "pageout");
  deepStrictEqual(pick(run(t), ["swap_out_pages", "pages_reclaimed", "swap_io_requests"]), {
    swap_out_pages: 4,
    pages_reclaimed: 4,
    swap_io_requests: 1,
  });
  const l = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon,locked").reclaim(100)
    .madvise(1, A, "16K", "pageout");
  const r = run(l);
  deepStrictEqual(pick(r, ["minor_faults", "pages_reclaimed", "warnings"]), {
    minor_faults: 4,
    pages_reclaimed: 0,
    warnings: 1, // pageout of a locked area: EINVAL
  });
  deepStrictEqual(r.machine.residentPages(), 4);
});

Deno.test("swapoff brings back every page, those of an object nobody maps included", () => {
  const t = new TraceBuilder()
    .swapon("s0", "1M")
    .write(1, "tmpfs:/t", 0, "16K")
    .mmap(1, A, "16K", "rw-", "private,anon").w(1, A).w(1, A + PG)
    .reclaim(100)
    .mark("off")
    .swapoff("s0")
    .r(1, A);
  const r = run(t, { loads: true });
  deepStrictEqual(r.machine.swapUsedPages(), 0);
  deepStrictEqual(pick(r, ["swap_out_pages", "swap_in_pages", "major_faults", "warnings"]), {
    swap_out_pages: 6,
    swap_in_pages: 6,
    major_faults: 0,
    warnings: 0,
  });
  deepStrictEqual(r.machine.loadStamp[0], 4);
});

Deno.test("a swapped-out tmpfs page is found by (object, index) when nothing maps it", () => {
  const t = new TraceBuilder().write(1, "tmpfs:/t", 0, "8K").reclaim(10)
    .mmap(2, A, "8K", "r--", "shared", "tmpfs:/t").r(2, A + PG);
  const r = run(t, { loads: true });
  // The machine-wide readahead history starts with no hits: the first swap-in reads its page alone.
  deepStrictEqual(pick(r, ["swap_out_pages", "swap_in_pages", "major_faults"]), {
    swap_out_pages: 2,
    swap_in_pages: 1,
    major_faults: 1,
  });
  deepStrictEqual(r.machine.loadStamp[0], 1);
});

Deno.test("segv and warnings are counted and reported with the event's line", () => {
  const t = new TraceBuilder()
    .r(1, A) // no mapping
    .mmap(1, A, "8K", "r--", "private,anon")
    .w(1, A) // not writable
    .r(1, A + PG - 1, 2) // two pages, both mapped
    .r(1, A + 2 * PG - 1, 2) // crosses past the end
    .munmap(1, A + 0x100000, "4K") // nothing there
    .exit(7); // not alive
  const r = runBatch(t.batch(), { memPages: 64, swapPages: 0 });
  deepStrictEqual(pick(r, ["segv", "warnings", "minor_faults"]), {
    segv: 3,
    warnings: 2,
    minor_faults: 2,
  });
  deepStrictEqual(r.diagnostics.map((d) => [d.kind, d.line]), [
    ["segv", 1],
    ["segv", 3],
    ["segv", 5],
    ["warning", 6],
    ["warning", 7],
  ]);
});

Deno.test("the TLB hits on a repeated access and is flushed by munmap", () => {
  const t = new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon")
    .w(1, A).w(1, A).r(1, A).munmap(1, A, "8K");
  deepStrictEqual(pick(run(t), ["tlb_hits", "tlb_misses", "tlb_flushes"]), {
    tlb_hits: 2,
    tlb_misses: 1,
    tlb_flushes: 1,
  });
});

Deno.test("accessed_on_hit=0: a load through a cached translation leaves the accessed bit clear", () => {
  // 8 pages written; reclaim(4) clears their accessed bits (a second chance), then swaps out the
  // oldest four (0-3). Reads of 0-3 bring them back (faults: accessed set); reads of 4-7 hit
  // the TLB, which still holds them: with accessed_on_hit (the default) that sets their accessed
  // bits again, without (x86 hardware: only a walk sets it) it does not. The next reclaim(4)
  // then activates 4-7 and frees 0-3, clean in the swap cache (no write), or, without, writes 4-7
  // out as unused. Both paths: the event-by-event one (check) and the fast one.
  for (const check of [true, false]) {
    const out = [true, false].map((on) => {
      const t = new TraceBuilder().mmap(1, A, "32K", "rw-", "private,anon");
      for (let p = 0; p < 8; p++) t.w(1, A + p * PG);
      t.reclaim(4);
      for (let p = 0; p < 8; p++) t.r(1, A + p * PG);
      t.reclaim(4);
      const r = runBatch(t.batch(), {
        memPages: 1024,
        swapPages: 4096,
        check,
        vm: { accessed_on_hit: on },
      });
      deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
      return pick(r, ["swap_out_pages", "pages_reclaimed", "tlb_hits"]);
    });
    deepStrictEqual(out, [
      { swap_out_pages: 4, pages_reclaimed: 8, tlb_hits: 4 },
      { swap_out_pages: 8, pages_reclaimed: 8, tlb_hits: 4 },
    ], check ? "event by event" : "fast path");
  }
});

Deno.test("exit frees pages, swap and page tables; exec gives an empty address space", () => {
  const t = new TraceBuilder().mmap(1, A, "64K", "rw-", "private,anon");
  for (let p = 0; p < 16; p++) t.w(1, A + p * PG);
  t.madvise(1, A, "32K", "pageout").fork(1, 2).exec(2).r(2, A).exit(1);
  const r = run(t);
  deepStrictEqual(r.machine.residentPages(), 0);
  deepStrictEqual(r.machine.swapUsedPages(), 0);
  deepStrictEqual(r.counters.segv, 1);
  // PGD, PUD, PMD and PTE page of each of the two address spaces.
  deepStrictEqual(r.counters.page_table_pages_peak, 8);
});

Deno.test("clone shares the address space: the thread sees the store without a fault", () => {
  const t = new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).clone(1, 2).r(2, A)
    .exit(1).w(2, A);
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["minor_faults", "tlb_hits"]), { minor_faults: 1, tlb_hits: 2 });
});

Deno.test("msync writes dirty shared file pages back and write-protects them again", () => {
  const t = new TraceBuilder().create(1, "file:/f", "8K")
    .mmap(1, A, "8K", "rw-", "shared", "file:/f")
    .w(1, A).msync(1, A, "8K").w(1, A).fsync(1, "file:/f");
  deepStrictEqual(pick(run(t), ["minor_faults", "major_faults", "file_write_pages"]), {
    minor_faults: 1,
    major_faults: 1,
    file_write_pages: 2,
  });
});

Deno.test("read(2) and write(2) go through the page cache; truncate makes mapped pages vanish", () => {
  const t = new TraceBuilder().create(1, "file:/f", "16K")
    .read(1, "file:/f", 0, "12K").read(1, "file:/f", 0, "12K") // readahead: the 4 pages once
    .write(1, "file:/f", 100, 10) // page 0 cached: no read
    .write(1, "file:/f", "16K", "4K") // whole page: no read
    .mmap(1, A, "20K", "r--", "shared", "file:/f")
    .r(1, A + 4 * PG) // page 4 exists (written); fault-around maps the cached pages 0..4
    .truncate(1, "file:/f", "8K")
    .r(1, A + 4 * PG) // past the end: SIGBUS
    .r(1, A); // still mapped
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["file_read_pages", "segv", "minor_faults", "major_faults"]), {
    file_read_pages: 4,
    segv: 1,
    minor_faults: 1,
    major_faults: 0,
  });
  deepStrictEqual(r.machine.loadStamp[0], 4);
});

Deno.test("adjacent compatible anonymous mappings merge and share one anon_vma", () => {
  const t = new TraceBuilder()
    .mmap(1, A, "16K", "rw-", "private,anon")
    .mmap(1, A + 4 * PG, "16K", "rw-", "private,anon")
    .w(1, A).w(1, A + 5 * PG)
    .mprotect(1, A + 2 * PG, "8K", "r--").mprotect(1, A + 2 * PG, "8K", "rw-")
    .mremap(1, A, "32K", A + 0x100000, "32K");
  const r = run(t);
  deepStrictEqual(r.machine.extraCounters().anon_vma_count, 1);
  deepStrictEqual(pick(r, ["warnings", "mremap_ptes_moved"]), {
    warnings: 0,
    mremap_ptes_moved: 2,
  });
});

Deno.test("a dedicated swap area takes shared anonymous pages only", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "shared,anon").w(1, A).w(1, A + PG)
    .mmap(1, A + 0x100000, "8K", "rw-", "private,anon").w(1, A + 0x100000).reclaim(10);
  const r = runBatch(t.batch(), {
    memPages: 1024,
    swapPages: 0,
    sharedAnonSwapPages: 16,
    check: true,
  });
  // No general swap: only the shared anonymous pages can go.
  deepStrictEqual(pick(r, ["swap_out_pages", "pages_reclaimed"]), {
    swap_out_pages: 2,
    pages_reclaimed: 2,
  });
  ok(r.machine.swapUsedPages() === 2);
});

Deno.test("madvise willneed reads file pages and swapped anon pages in without mapping them", () => {
  const t = new TraceBuilder().create(1, "file:/f", "32K")
    .mmap(1, A, "32K", "r--", "private", "file:/f")
    .madvise(1, A, "16K", "willneed")
    .r(1, A + PG) // cached: minor, fault-around maps the 4 cached pages
    .mmap(1, A + 0x100000, "16K", "rw-", "private,anon").w(1, A + 0x100000)
    .w(1, A + 0x100000 + PG)
    .madvise(1, A + 0x100000, "16K", "pageout")
    .madvise(1, A + 0x100000, "16K", "willneed")
    .r(1, A + 0x100000);
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["file_read_pages", "swap_in_pages", "major_faults", "minor_faults"]), {
    file_read_pages: 4,
    swap_in_pages: 2,
    major_faults: 0,
    minor_faults: 4,
  });
  deepStrictEqual(r.machine.loadStamp[0], 6);
});

Deno.test("munlock makes pages reclaimable again", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon").mlock(1, A, "16K")
    .reclaim(4).mark("unlocked").munlock(1, A, "16K").reclaim(4);
  const r = run(t);
  deepStrictEqual(pick(r, ["minor_faults", "pages_reclaimed", "swap_out_pages"]), {
    minor_faults: 4, // mlock populates
    pages_reclaimed: 4,
    swap_out_pages: 0, // never written: zero-filled pages go to swap without a write (zeromap)
  });
});

Deno.test("an unlinked object lives while mapped and goes with its last mapping", () => {
  const t = new TraceBuilder().write(1, "shm:1", 0, "8K")
    .mmap(1, A, "8K", "rw-", "shared", "shm:1").unlink(1, "shm:1")
    .write(1, "shm:1", 0, "4K") // a new object of the same name
    .r(1, A);
  const r = run(t, { loads: true });
  deepStrictEqual(r.machine.loadStamp[0], 1);
  deepStrictEqual(r.machine.residentPages(), 3);
  const gone = run(
    new TraceBuilder().write(1, "shm:1", 0, "8K").mmap(1, A, "8K", "rw-", "shared", "shm:1")
      .unlink(1, "shm:1").munmap(1, A, "8K"),
  );
  deepStrictEqual(gone.machine.residentPages(), 0);
});

Deno.test("swap devices of higher priority fill first", () => {
  const t = new TraceBuilder().swapon("low", "64K", 1).swapon("high", "8K", 5)
    .mmap(1, A, "16K", "rw-", "private,anon");
  for (let p = 0; p < 4; p++) t.w(1, A + p * PG);
  t.madvise(1, A, "16K", "pageout").swapoff("high");
  const r = run(t);
  // 2 pages fit on "high"; the other 2 go to "low"; swapoff of "high" reads its 2 back.
  deepStrictEqual(pick(r, ["swap_out_pages", "swap_in_pages", "swap_io_requests"]), {
    swap_out_pages: 4,
    swap_in_pages: 2,
    swap_io_requests: 2 + 2,
  });
  deepStrictEqual(r.machine.swapUsedPages(), 2);
});

Deno.test("instruction fetches need PROT_EXEC; loads are allowed by any permission", () => {
  const t = new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").x(1, A).r(1, A)
    .mmap(1, A + 0x100000, "8K", "--x", "private,anon").r(1, A + 0x100000).x(1, A + 0x100000)
    .mprotect(1, A, "8K", "r-x").x(1, A);
  const r = run(t);
  deepStrictEqual(pick(r, ["segv", "minor_faults", "tlb_hits"]), {
    segv: 1,
    minor_faults: 2,
    tlb_hits: 1, // x after the read of the --x page
  });
});

Deno.test("mremap shrinks in place, grows in place and keeps the pages", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon");
  for (let p = 0; p < 4; p++) t.w(1, A + p * PG);
  t.mremap(1, A, "16K", A, "8K").r(1, A + 2 * PG) // gone
    .mremap(1, A, "8K", A, "32K").r(1, A + 2 * PG).r(1, A + PG);
  const r = run(t, { loads: true });
  deepStrictEqual(pick(r, ["segv", "minor_faults", "zero_page_maps", "mremap_ptes_moved"]), {
    segv: 1,
    minor_faults: 5,
    zero_page_maps: 1,
    mremap_ptes_moved: 0,
  });
  deepStrictEqual(r.machine.loadStamp[0], 3);
  deepStrictEqual(r.machine.residentPages(), 2);
});

Deno.test("a sequential read of a mapped file waits for I/O once: the readahead marker reads ahead", () => {
  const t = new TraceBuilder().create(1, "file:/f", "1M")
    .mmap(1, A, "1M", "r--", "private", "file:/f");
  for (let p = 0; p < 256; p++) t.r(1, A + p * PG);
  // Faults: 0 (major, reads 0..31 in single pages, marker at 24; retried, its fault-around maps
  // 0..15, as the kernel's page_fault_user tracepoint shows), 16 (fault-around), 24
  // (marker: reads 32..63 in 4-page folios, the first marked), 32 and 48 (16-page windows; 32
  // maps its marked folio whole, reading 64..95 in 16-page folios), 64 and 80 (a folio each; 64
  // reads 96..127 in one 32-page folio, the largest a window of 32 pages allows), then a fault a
  // 32-page folio (96, 128, 160, 192, 224). Without large folios, one per 16-page window from 32.
  deepStrictEqual(pick(run(t), ["major_faults", "minor_faults", "file_read_pages"]), {
    major_faults: 1,
    minor_faults: 2 + 4 + 5,
    file_read_pages: 256,
  });
  deepStrictEqual(
    pick(run(t, { vm: { large_folios: false } }), ["major_faults", "minor_faults"]),
    { major_faults: 1, minor_faults: 2 + 14 },
  );
});

Deno.test("operations on a huge sparse area cost what its page tables cost", () => {
  const big = 2 ** 40; // 1 TiB, 2^28 pages
  const t = new TraceBuilder().mmap(1, A, big, "rw-", "private,anon,noreserve")
    .w(1, A).w(1, A + big - PG)
    .fork(1, 2)
    .madvise(1, A, big, "willneed").madvise(1, A, big, "pageout")
    .mprotect(1, A, big, "r--").mprotect(1, A, big, "rw-")
    .msync(1, A, big).madvise(1, A, big, "dontneed").r(1, A)
    .mremap(1, A, big, A + 2 * big, big)
    .munmap(1, A + 2 * big, big).exit(2).exit(1);
  // Walking 2^28 pages one by one would not finish; every walk skips missing tables.
  const r = run(t);
  deepStrictEqual(pick(r, ["segv", "warnings", "fork_ptes_copied", "swap_out_pages"]), {
    segv: 0,
    warnings: 0,
    fork_ptes_copied: 2,
    swap_out_pages: 0, // both pages are shared with the child: pageout leaves them
  });
  deepStrictEqual(r.machine.residentPages(), 0);
});
