/**
 * Large page-cache folios (`large_folios`, on by default): readahead gives a disk file's pages
 * folios (single pages in the read-around window of a major fault, two orders more at each
 * asynchronous window, at most 512 pages and the window's size), and a fault maps a whole folio.
 * The counts are the kernel's, measured on Linux 6.18 (ext4, THP disabled, no memory limit; a
 * sparse file mapped shared, or one written, synced and dropped with `POSIX_FADV_DONTNEED`,
 * mapped shared or private; getrusage around a loop touching each page once, in order).
 */
import { deepStrictEqual } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { type BatchRun, runBatch } from "../run_batch.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";

const A = 0x200000000000;
const PAGE = 4096;

/** Faults (minor + major) of touching each of `pages` pages of a fresh file mapped at A. */
function faults(
  pages: number,
  op: "r" | "w",
  vm: Partial<VmKnobs>,
  flags: "shared" | "private" = "shared",
): number {
  const t = new TraceBuilder().create(1, "file:/f", pages * PAGE)
    .mmap(1, A, pages * PAGE, "rw-", flags, "file:/f");
  if (op === "r") t.r(1, A, pages * PAGE);
  else t.w(1, A, pages * PAGE);
  const r = run(t, vm);
  return r.counters.minor_faults! + r.counters.major_faults!;
}

function run(t: TraceBuilder, vm: Partial<VmKnobs>): BatchRun {
  const r = runBatch(t.batch(), { memPages: 65536, swapPages: 0, check: true, vm });
  deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
  return r;
}

Deno.test("read_ahead_kb 8192: a store to every page takes a fault a folio, as Linux 6.18 does", () => {
  // Windows of 2 048 pages: single pages, then folios of 4, 16, 64, 256 and 512 pages.
  const vm = { read_ahead_kb: 8192 };
  deepStrictEqual([4096, 8192, 16384].map((n) => faults(n, "w", vm)), [2560, 2720, 2740]);
});

Deno.test("read_ahead_kb 8192: loads map 16 pages a fault, or a folio when it is larger", () => {
  // Linux: 260-261, 419-426, 436 (a few faults more while the readahead's reads are still in
  // flight, and at the last folio: see below).
  const vm = { read_ahead_kb: 8192 };
  deepStrictEqual([4096, 8192, 16384].map((n) => faults(n, "r", vm)), [256, 416, 436]);
});

Deno.test("read_ahead_kb 128: windows of 32 pages, folios of 4, 16, then 32 pages", () => {
  // Stores: 32 single pages, 8 folios of 4, 2 of 16, then one a 32-page window.
  deepStrictEqual([1024, 8192].map((n) => faults(n, "w", {})), [71, 295]);
  // Loads, private or shared: Linux 21, 37 and 261, one more than here. The kernel's faults (the
  // page_fault_user tracepoint, 512 pages): 0 (major; its retry maps 0-15), 16, 24 (the marker),
  // 32, 48, 64, 80, 96, then a fault a 32-page folio, 128 to 480; and 496: the last folio, at
  // the end of the file, was mapped 16 pages at a time. Not modelled.
  deepStrictEqual([512, 1024, 8192].map((n) => faults(n, "r", {}, "private")), [20, 36, 260]);
});

Deno.test("large_folios 0: single pages, a fault a page written and one a 16-page window read", () => {
  // Loads: one a 16-page window, the first marker's fault besides.
  const vm = { large_folios: false };
  deepStrictEqual([faults(1024, "w", vm), faults(1024, "r", vm)], [1024, 64 + 1]);
});

Deno.test("a folio some of whose pages reclaim took is mapped without them", () => {
  // 128 pages read in order (read_ahead_kb 128): 1 major fault, 7 minor ones (0; 16, 24, 32,
  // 48, 64, 80, 96), the last 32 pages one folio. MADV_PAGEOUT takes its first 8 pages (reclaim
  // goes a page at a time). Mapped again: a load from page 110 maps the folio's 24 pages left
  // (1 minor fault), one from page 120 finds it mapped, one from page 100 reads it again (a
  // major fault; read-around reads the 8 as single pages, and the retry's fault-around maps
  // them: page 97 is mapped).
  const t = new TraceBuilder().create(1, "file:/f", 128 * PAGE)
    .mmap(1, A, 128 * PAGE, "r--", "shared", "file:/f")
    .r(1, A, 128 * PAGE)
    .madvise(1, A + 96 * PAGE, 8 * PAGE, "pageout")
    .munmap(1, A, 128 * PAGE)
    .mmap(1, A, 128 * PAGE, "r--", "shared", "file:/f")
    .r(1, A + 110 * PAGE).r(1, A + 120 * PAGE).r(1, A + 100 * PAGE).r(1, A + 97 * PAGE);
  const c = run(t, {}).counters;
  deepStrictEqual([c.major_faults, c.minor_faults, c.file_read_pages], [2, 7 + 1, 128 + 8]);
});

Deno.test("a window follows the one before it, over cached pages: its holes as single pages", () => {
  // page_cache_async_ra: the marker at the index the last window's state expects (start + size -
  // async size) starts the next window right after that window, not at the first page missing.
  // read_ahead_kb 128. Pages 32-39 are cached by read(2) first. A store to page 0 reads around it
  // [0, 32) in single pages, marked at 24; the store to 24 reads [32, 64), whose first page is
  // cached: so not in folios of 4 but in single pages, and unmarked (32 was not read). Every
  // store to pages 0-63 then takes its own fault, and page 64 a major one: it reads around it
  // [48, 80), that is 64-79.
  const t = new TraceBuilder().create(1, "file:/f", 256 * PAGE)
    .read(1, "file:/f", 32 * PAGE, 8 * PAGE)
    .mmap(1, A, 256 * PAGE, "rw-", "shared", "file:/f")
    .w(1, A, 65 * PAGE);
  const c = run(t, {}).counters;
  deepStrictEqual([c.minor_faults, c.major_faults, c.file_read_pages], [63, 2, 8 + 32 + 24 + 16]);
  // Measured where it matters: stores to a 20 MiB file mapped shared in a 12 MiB memory cgroup,
  // whose reclaim takes pages of the read-around window ahead of the stores (the filemap
  // tracepoint on Linux 6.18 shows the window after it read over them in single pages): the
  // kernel 3 768-3 967 faults, the simulator 3 967 (5 101 when the window started at the first
  // page missing, in folios).
});

/**
 * A run of `t` in a memory cgroup of the hog-style probe's size: 16 372 KiB, 64 MiB of swap, this
 * machine's readahead (`read_ahead_kb` 8192), checked.
 */
function runCgroup(t: TraceBuilder): BatchRun {
  const r = runBatch(t.batch(), {
    memPages: 4093,
    swapPages: 16383,
    check: true,
    vm: { memcg: true, read_ahead_kb: 8192, page_cluster: 3, vma_ra: false },
  });
  deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
  return r;
}

/** A `pages`-page file written with write(2) and synced, read a page at a time `times` times. */
function fileReadTwice(t: TraceBuilder, pages: number, anon: number, times: number): TraceBuilder {
  t.create(1, "file:/f", 0).write(1, "file:/f", 0, pages * PAGE).fsync(1, "file:/f")
    .mmap(1, A, anon * PAGE, "rw-", "private,anon").w(1, A, anon * PAGE);
  for (let n = 0; n < times; n++) {
    for (let i = 0; i < pages; i++) t.read(1, "file:/f", i * PAGE, PAGE);
  }
  return t;
}

Deno.test("read(2) a page at a time reads ahead in windows of large folios, as Linux 6.18 does", () => {
  // Linux 6.18 (ext4, read_ahead_kb 8192; filemap tracepoint): a first window of 4 single pages,
  // then windows of 16, 64, 256, 512, 1 024 and 2 048 pages in folios of 4, 16, 64, 256 and 512
  // pages, each aligned by its index (smaller where it is not) and the last one of a window
  // reaching past its end (the window of 64 pages from page 20 ends at page 96, where the next
  // starts). A store to every page of the file mapped shared afterwards takes a fault a folio:
  // 28 faults for 4 096 pages, 26 for 3 072, on the kernel as here (a file written, synced and
  // dropped with POSIX_FADV_DONTNEED, read with pread, then mapped; getrusage, 3 runs alike).
  const faultsAfterRead = (pages: number) => {
    const t = new TraceBuilder().create(1, "file:/f", pages * PAGE);
    for (let i = 0; i < pages; i++) t.read(1, "file:/f", i * PAGE, PAGE);
    t.mmap(1, A, pages * PAGE, "rw-", "shared", "file:/f").w(1, A, pages * PAGE);
    const r = run(t, { read_ahead_kb: 8192 });
    deepStrictEqual(r.counters.file_read_pages, pages);
    return r.counters.minor_faults! + r.counters.major_faults!;
  };
  deepStrictEqual([4096, 3072].map(faultsAfterRead), [28, 26]);
});

Deno.test("a file read twice with read(2) in a cgroup: its large folios go, the anonymous pages stay", () => {
  // Linux 6.18, 5 runs (a 12 MiB synced file and 8 MiB of anonymous memory in a 16 MiB cgroup,
  // the file read twice with pread of a page): reclaim frees the file's 512-page folios whole,
  // none of the anonymous pages is swapped out and reading them back faults on none. Page by
  // page, without read(2)'s readahead and large folios, 47 were swapped out.
  const r = runCgroup(fileReadTwice(new TraceBuilder(), 3072, 2048, 2));
  deepStrictEqual(r.counters.swap_out_pages, 0);
});
