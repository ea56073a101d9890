/**
 * Reclaim without a reverse map (`core/mm/swap_out_scan.ts`, the `scan` strategy, Linux 2.4's
 * `swap_out`) on small machines: a scene is set with events (`tests/_kernel.ts`), then
 * `swapOutScan` or `swapOutMm` is called directly. The rules, from 2.4's `mm/vmscan.c` and the
 * module's comments:
 *
 * - `shrink_cache` first: page-cache and swap-cache pages nobody maps are freed from the LRU
 *   lists, inactive file, active file, inactive anon, active anon, oldest first, each page looked
 *   at once; pinned and mlocked pages stay;
 * - then `swap_out`: the address spaces' page tables are walked round-robin by id, from a cursor
 *   (`Kernel.scanMm`, `scanPage`) where the last pass stopped; every present PTE but the zero
 *   page's is a `pte_walks`; an accessed PTE has its bit cleared and is passed over (2.4's
 *   `try_to_swap_out`: `ptep_test_and_clear_young`), any other is unmapped (an anonymous page
 *   into the swap cache first, its PTE then holding the swap entry), and the page is freed when
 *   its last PTE goes; locked areas are skipped, pinned and mlocked pages passed over, and an
 *   anonymous page with no slot left stays.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { KernelRig } from "../../tests/_kernel.ts";
import { LRU, PG } from "./frames.ts";
import { A as PTE_A } from "./pte.ts";
import { swapOutMm, swapOutScan } from "./swap_out_scan.ts";

const A = 0x7f0000000000; // anonymous areas
const B = 0x7f1000000000;
const P = 4096;
const VA = A / P; // A's virtual page number
const MEM = 1024; // frames: low watermark 40, so setting a scene never reclaims

type Cfg = Partial<ConstructorParameters<typeof KernelRig>[0]>;

/** A `scan` rig whose process 1 has written `n` pages of private anonymous memory at A. */
function anon(n: number, cfg: Cfg = {}): KernelRig {
  const r = new KernelRig({ memPages: MEM, swapPages: 64, strategy: "scan", ...cfg });
  r.run(new TraceBuilder().mmap(1, A, n * P, "rw-", "private,anon").w(1, A, n * P));
  return r;
}

/** The frames of `pid`'s `n` pages at `base` (-1 where none is mapped). */
function frames(r: KernelRig, n: number, base = A, pid = 1): number[] {
  return Array.from({ length: n }, (_, p) => r.frameAt(pid, base + p * P));
}

const COUNTS = ["pte_walks", "pages_reclaimed", "swap_out_pages", "swap_io_requests"] as const;

Deno.test("swapOutScan: accessed PTEs get a second chance; the walk resumes where it stopped", () => {
  const r = anon(4);
  const k = r.k;
  const fr = frames(r, 4);
  // Pass 1 over mm 1: 4 PTEs accessed (the writes): bits cleared, nothing unmapped (4 walks);
  // the end of the address space: the next lap, from its start. Pages 0 and 1 then unmapped,
  // given slots 0 and 1 (one run: one request), written and freed: 2, the target. Each PTE
  // unmapped is flushed from the TLB (flush_tlb_page).
  let d = r.delta([...COUNTS, "tlb_flushes"], () => swapOutScan(k, 2));
  deepStrictEqual(d, {
    result: 2,
    pte_walks: 4 + 2,
    pages_reclaimed: 2,
    swap_out_pages: 2,
    swap_io_requests: 1,
    tlb_flushes: 2,
  });
  deepStrictEqual([r.slotAt(1, A), r.slotAt(1, A + P), k.swap.refs[0], k.swap.refs[1]], [
    0,
    1,
    1,
    1,
  ]);
  ok(k.frames.isFree(fr[0]!) && k.frames.isFree(fr[1]!));
  // The cursor: after page 1 of mm 1; pages 2 and 3 mapped, their bits clear.
  deepStrictEqual([k.scanMm, k.scanPage, r.mm(1).rss], [1, VA + 2, 2]);
  deepStrictEqual([r.pteAt(1, A + 2 * P) & PTE_A, r.frameAt(1, A + 2 * P)], [0, fr[2]]);
  // The next reclaim (a new pass: reclaim() forgets the last slot written, so its first write is
  // a request of its own) starts at page 2: unmapped at once (a walk), no lap.
  k.ioLast = -2;
  d = r.delta([...COUNTS], () => swapOutScan(k, 1));
  deepStrictEqual(d, {
    result: 1,
    pte_walks: 1,
    pages_reclaimed: 1,
    swap_out_pages: 1,
    swap_io_requests: 1,
  });
  deepStrictEqual([r.slotAt(1, A + 2 * P), k.scanPage, r.frameAt(1, A + 3 * P)], [
    2,
    VA + 3,
    fr[3],
  ]);
  r.check();
});

Deno.test("swapOutScan: a page shared by fork is freed when its last PTE goes", () => {
  const r = anon(1);
  r.run(new TraceBuilder().fork(1, 2).r(1, A).r(2, A));
  const k = r.k;
  const [f] = frames(r, 1);
  // mm 1 then mm 2 (ids in order), a whole pass each: both bits cleared. Third pass, mm 1: its
  // PTE unmapped, the page into the swap cache (slot 0), still mapped by mm 2. Fourth, mm 2: the
  // last PTE unmapped, the page written and freed; the walk stops after it. 4 walks in 4 passes
  // (of the 2 × 2 + 1 allowed).
  const d = r.delta([...COUNTS], () => swapOutScan(k, 1));
  deepStrictEqual(d, {
    result: 1,
    pte_walks: 4,
    pages_reclaimed: 1,
    swap_out_pages: 1,
    swap_io_requests: 1,
  });
  deepStrictEqual([r.slotAt(1, A), r.slotAt(2, A), k.swap.refs[0], k.swap.used], [0, 0, 2, 1]);
  ok(k.frames.isFree(f!));
  deepStrictEqual([k.scanMm, k.scanPage], [2, VA + 1]);
  r.check();
});

Deno.test("swapOutScan: unmapped cache pages first, oldest first, list by list", () => {
  // pid 1's 2 anonymous pages (mapped); a 6-page file read by read(2): all 6 cached, unmapped,
  // pages 4 and 5 read again (activated); page 0 of a second file mapped (not freeable here).
  const r = anon(2);
  r.run(
    new TraceBuilder().create(1, "file:/f", 6 * P).read(1, "file:/f", 0, 6 * P)
      .read(1, "file:/f", 4 * P, 2 * P).create(1, "file:/m", P)
      .mmap(1, B, P, "r--", "private", "file:/m", 0).r(1, B),
  );
  const k = r.k;
  const obj = k.objects.get("file:/f")!;
  const fr = Array.from({ length: 6 }, (_, i) => obj.pages.get(i)!);
  const mapped = r.frameAt(1, B);
  deepStrictEqual([r.lru(LRU.inactiveFile), r.lru(LRU.activeFile)], [
    [...fr.slice(0, 4), mapped],
    fr.slice(4),
  ]);
  // Target 5: the inactive file list from its tail (pages 0..3; the mapped page passed over),
  // then the active one: page 4. No PTE walked.
  const d = r.delta([...COUNTS], () => swapOutScan(k, 5));
  deepStrictEqual(d, {
    result: 5,
    pte_walks: 0,
    pages_reclaimed: 5,
    swap_out_pages: 0,
    swap_io_requests: 0,
  });
  deepStrictEqual([...obj.pages.keys()], [5]);
  deepStrictEqual([r.lru(LRU.inactiveFile), r.lru(LRU.activeFile)], [[mapped], [fr[5]]]);
  r.check();
});

Deno.test("swapOutScan: unmapped swap-cache pages are freed before any PTE is walked", () => {
  // 4 pages paged out; page 1 read back with its neighbours read ahead (VMA readahead: pages
  // 0..3 come into the swap cache, only page 1 mapped). A pinned and an mlocked unmapped page
  // stay.
  const r = anon(4);
  r.run(new TraceBuilder().madvise(1, A, 4 * P, "pageout").r(1, A + P));
  const k = r.k;
  const cached = [0, 2, 3].map((p) => k.swap.cache[p]!);
  for (const f of cached) {
    deepStrictEqual([k.frames.mapcount[f], k.frames.lru[f]], [0, LRU.inactiveAnon]);
  }
  k.frames.flags[cached[0]!]! |= PG.pinned;
  k.frames.flags[cached[1]!]! |= PG.mlocked;
  // Page 3's frame freed, clean (its slot holds it): no write. Then the walk: page 1's PTE,
  // accessed, passed over; the lap after, unmapped into its slot and freed (2 walks).
  const d = r.delta([...COUNTS], () => swapOutScan(k, 2));
  deepStrictEqual(d, {
    result: 2,
    pte_walks: 2,
    pages_reclaimed: 2,
    swap_out_pages: 0,
    swap_io_requests: 0,
  });
  ok(k.frames.isFree(cached[2]!));
  deepStrictEqual([k.swap.cache[0], k.swap.cache[2], r.slotAt(1, A + P), k.swap.used], [
    cached[0],
    cached[1],
    1,
    4,
  ]);
  k.frames.flags[cached[0]!]! &= ~PG.pinned;
  k.frames.flags[cached[1]!]! &= ~PG.mlocked;
  r.check();
});

/**
 * pid 1: a locked area of 2 pages at A; at N, 5 pages: page 0 read (the zero page), 1..4
 * written, page 2 then PG_mlocked and page 3 pinned; a shared file page written at B (its PTE
 * dirty) and a private file page read at C.
 */
function mixed(cfg: Cfg = {}) {
  const r = new KernelRig({ memPages: MEM, swapPages: 64, strategy: "scan", ...cfg });
  r.run(
    new TraceBuilder().mmap(1, A, 2 * P, "rw-", "private,anon,locked").w(1, A, 2 * P)
      .mmap(1, N, 5 * P, "rw-", "private,anon").r(1, N).w(1, N + P, 4 * P)
      .create(1, "file:/s", P).mmap(1, B, P, "rw-", "shared", "file:/s", 0).w(1, B)
      .create(1, "file:/c", P).mmap(1, C, P, "r--", "private", "file:/c", 0).r(1, C),
  );
  const k = r.k;
  const n = frames(r, 5, N);
  k.frames.flags[n[2]!]! |= PG.mlocked;
  k.frames.flags[n[3]!]! |= PG.pinned;
  return { r, k, n, s: r.frameAt(1, B), c: r.frameAt(1, C), locked: frames(r, 2) };
}
const N = 0x7f0000100000;
const C = 0x7f2000000000;

Deno.test("swapOutScan: shrink_cache looks at each page of a list once, even one it moved", () => {
  // 4 slots. 4 pages paged out (slots 0..3); page 1 read back: pages 0, 2, 3 read ahead into the
  // swap cache (unmapped), page 1 mapped, and, swap being full (vm_swap_full), out of the swap
  // cache: slot 1 free again. A page at B paged out takes it: full. Page 2's PTE unmapped while
  // its page is pinned (as a readahead window holds it): its slot's last reference gone, the page
  // (S) stays in the swap cache; moved to the active anon list. A tmpfs page (T), written twice
  // by write(2) (activated), at the tail of that list.
  const r = new KernelRig({ memPages: MEM, swapPages: 4, strategy: "scan" });
  r.run(
    new TraceBuilder().mmap(1, A, 4 * P, "rw-", "private,anon").w(1, A, 4 * P)
      .madvise(1, A, 4 * P, "pageout").r(1, A + P).mmap(1, B, P, "rw-", "private,anon").w(1, B)
      .madvise(1, B, P, "pageout"),
  );
  const k = r.k;
  const S = k.swap.cache[2]!;
  k.frames.flags[S]! |= PG.pinned;
  r.run(new TraceBuilder().munmap(1, A + 2 * P, P));
  k.frames.flags[S]! &= ~PG.pinned;
  k.frames.lruMove(S, LRU.activeAnon);
  r.run(new TraceBuilder().write(1, "tmpfs:/t", 0, P).write(1, "tmpfs:/t", 0, P));
  const t = k.objects.get("tmpfs:/t")!;
  const T = t.pages.get(0)!;
  k.frames.lruMoveTail(T, LRU.activeAnon);
  deepStrictEqual([r.lru(LRU.activeAnon), k.swap.used, k.swap.total, k.swap.refs[2]], [
    [T, S],
    4,
    4,
    0,
  ]);
  r.check();
  // Target 4. The inactive anon list: the read-ahead pages 0 and 3 freed (their slots keep
  // them), page 1 mapped: passed over. The active anon list: T finds no slot, activated (to the
  // head); S freed, and its slot with it. The list's 2 pages looked at: T not again, though a
  // slot is free now. Then the walk: page 1's bit cleared, the lap after it is unmapped into the
  // free slot, 2, and written (dirty since it left the swap cache when read back): the fourth.
  const d = r.delta(["pages_reclaimed", "pte_walks", "swap_out_pages"], () => swapOutScan(k, 4));
  deepStrictEqual(d, { result: 4, pages_reclaimed: 4, pte_walks: 2, swap_out_pages: 1 });
  deepStrictEqual([t.pages.get(0), t.swap.size, r.slotAt(1, A + P)], [T, 0, 2]);
  r.check();
});

Deno.test("swapOutMm: locked areas, the zero page, pinned and mlocked pages", () => {
  const { r, k, n, s, c, locked } = mixed();
  const mm = r.mm(1);
  // Pass 1: the locked area skipped, the zero page not counted; pages 1..4 of N and the two file
  // pages walked (6), their bits cleared, nothing unmapped; the end of the address space.
  k.scanPage = 0;
  let d = r.delta([...COUNTS], () => swapOutMm(k, mm, 10, 1000));
  deepStrictEqual(d, {
    result: { freed: 0, walked: 6, done: true },
    pte_walks: 6,
    pages_reclaimed: 0,
    swap_out_pages: 0,
    swap_io_requests: 0,
  });
  // Pass 2: pages 1 and 4 of N unmapped (slots 0, 1) and freed; 2 (mlocked) and 3 (pinned)
  // walked and left; the shared file page's dirty PTE makes it dirty: written to its file as it
  // is freed; the private one dropped. 6 walked, 4 freed, 2 slots written in one run.
  k.scanPage = 0;
  d = r.delta([...COUNTS, "file_write_pages"], () => swapOutMm(k, mm, 10, 1000));
  deepStrictEqual(d, {
    result: { freed: 4, walked: 6, done: true },
    pte_walks: 6,
    pages_reclaimed: 4,
    swap_out_pages: 2,
    swap_io_requests: 1,
    file_write_pages: 1,
  });
  deepStrictEqual(
    [N + P, N + 2 * P, N + 3 * P, N + 4 * P].map((a) => [r.frameAt(1, a), r.slotAt(1, a)]),
    [[-1, 0], [n[2], -1], [n[3], -1], [-1, 1]],
  );
  for (const f of [n[1]!, n[4]!, s, c]) ok(k.frames.isFree(f));
  deepStrictEqual([r.frameAt(1, B), r.frameAt(1, C), r.pteAt(1, B), r.pteAt(1, C)], [-1, -1, 0, 0]);
  deepStrictEqual(k.objects.get("file:/s")!.disk.get(0), 8); // the write, event 8
  deepStrictEqual([frames(r, 2), r.frameAt(1, N)], [locked, 0]);
  deepStrictEqual(mm.rss, 2 + 2);
  k.frames.flags[n[2]!]! &= ~PG.mlocked;
  k.frames.flags[n[3]!]! &= ~PG.pinned;
  r.check();
});

Deno.test("swapOutMm: stops at the target or the budget, after the page it unmapped", () => {
  const { r, k } = mixed();
  const mm = r.mm(1);
  k.scanPage = 0;
  swapOutMm(k, mm, 10, 1000); // the accessed bits cleared
  // Want 1: page 1 of N unmapped and freed; stop there, the cursor after it.
  k.scanPage = 0;
  deepStrictEqual(swapOutMm(k, mm, 1, 1000), { freed: 1, walked: 1, done: false });
  deepStrictEqual(k.scanPage, N / P + 2);
  // Budget 3: pages 2 and 3 walked and left, page 4 unmapped: 3 walked, stop.
  deepStrictEqual(swapOutMm(k, mm, 10, 3), { freed: 1, walked: 3, done: false });
  deepStrictEqual(k.scanPage, N / P + 5);
  // From there: the two file pages, then the end.
  deepStrictEqual(swapOutMm(k, mm, 10, 1000), { freed: 2, walked: 2, done: true });
  r.check();
});

Deno.test("swapOutMm: no slot left: an anonymous page not in the swap cache stays mapped", () => {
  // One slot of the default device (slot 4), after a device of 4 slots kept for shared anonymous
  // memory (slots 0..3), which private pages do not use.
  const r = anon(3, { swapPages: 1, sharedAnonSwapPages: 4 });
  const k = r.k;
  const fr = frames(r, 3);
  const mm = r.mm(1);
  k.scanPage = 0;
  swapOutMm(k, mm, 10, 1000); // the accessed bits cleared
  // Page 0 takes the only slot and is freed; pages 1 and 2 walked, no slot: left mapped.
  k.scanPage = 0;
  deepStrictEqual(swapOutMm(k, mm, 10, 1000), { freed: 1, walked: 3, done: true });
  deepStrictEqual([r.slotAt(1, A), r.frameAt(1, A + P), r.frameAt(1, A + 2 * P)], [
    4,
    fr[1],
    fr[2],
  ]);
  for (const f of [fr[1]!, fr[2]!]) deepStrictEqual(k.frames.flags[f]! & PG.swapCache, 0);
  deepStrictEqual(mm.rss, 2);
  r.check();
});

Deno.test("swapOutScan: the cursor: kept, or moved to the next address space from its start", () => {
  // pid 1 (mm 1) writes 2 pages, pid 2 (mm 2) 4 pages; their bits cleared by a pass each.
  const r = anon(2);
  r.run(new TraceBuilder().mmap(2, A, 4 * P, "rw-", "private,anon").w(2, A, 4 * P));
  const k = r.k;
  for (const pid of [1, 2]) {
    k.scanPage = 0;
    swapOutMm(k, r.mm(pid), 10, 1000);
  }
  const m1 = frames(r, 2), m2 = frames(r, 4, A, 2);
  // The cursor on page 1 of mm 1, the first id: kept; page 1 freed, page 0 before it stays.
  k.scanMm = 1;
  k.scanPage = VA + 1;
  deepStrictEqual(swapOutScan(k, 1), 1);
  deepStrictEqual([frames(r, 2), k.scanMm, k.scanPage], [[m1[0], -1], 1, VA + 2]);
  // On page 1 of mm 2, the second id: kept too.
  k.scanMm = 2;
  k.scanPage = VA + 1;
  deepStrictEqual(swapOutScan(k, 1), 1);
  deepStrictEqual([frames(r, 4, A, 2), k.scanMm, k.scanPage], [
    [m2[0], -1, m2[2], m2[3]],
    2,
    VA + 2,
  ]);
  // mm 1 gone with the cursor in it: the next id, mm 2, from its start (not from page 2): page 0.
  r.run(new TraceBuilder().exit(1));
  k.scanMm = 1;
  k.scanPage = VA + 2;
  deepStrictEqual(swapOutScan(k, 1), 1);
  deepStrictEqual([frames(r, 4, A, 2), k.scanMm, k.scanPage], [[-1, -1, m2[2], m2[3]], 2, VA + 1]);
  // A cursor past every id: back to the first, from its start: page 2 of mm 2 (not page 3).
  k.scanMm = 7;
  k.scanPage = VA + 3;
  deepStrictEqual(swapOutScan(k, 1), 1);
  deepStrictEqual([frames(r, 4, A, 2), k.scanMm, k.scanPage], [[-1, -1, -1, m2[3]], 2, VA + 3]);
  r.check();
});

Deno.test("swapOutScan: each address space is asked for what is still wanted", () => {
  // mm 1 and mm 2, 2 pages each, bits cleared. Target 3: mm 1 frees its 2 and ends; mm 2 is
  // asked for 1 more and stops after it, its second page left.
  const r = anon(2);
  r.run(new TraceBuilder().mmap(2, A, 2 * P, "rw-", "private,anon").w(2, A, 2 * P));
  const k = r.k;
  for (const pid of [1, 2]) {
    k.scanPage = 0;
    swapOutMm(k, r.mm(pid), 10, 1000);
  }
  k.scanMm = 1;
  k.scanPage = 0;
  deepStrictEqual(swapOutScan(k, 3), 3);
  deepStrictEqual([frames(r, 2), frames(r, 2, A, 2)[0], k.scanMm, k.scanPage], [
    [-1, -1],
    -1,
    2,
    VA + 1,
  ]);
  ok(r.frameAt(2, A + P) > 0);
  r.check();
});

Deno.test("swapOutScan: the walk's budget, 2 × RSS + 512 PTEs, lets a big address space be walked twice", () => {
  // 600 accessed pages: the first pass clears 600 bits, the second frees all 600 (budget 1712:
  // 1112 left after the first pass). Nothing left for a third.
  const r = anon(600, { swapPages: 1024 });
  const d = r.delta(["pte_walks", "pages_reclaimed"], () => swapOutScan(r.k, 1000));
  deepStrictEqual(d, { result: 600, pte_walks: 1200, pages_reclaimed: 600 });
});

Deno.test("swapOutMm: adjacent areas are walked each within its own bounds", () => {
  // Two areas side by side (rw- and rwx: not merged), 2 written pages each: a pass clears 4 bits,
  // each PTE once, and unmaps nothing.
  const r = anon(2);
  r.run(new TraceBuilder().mmap(1, A + 2 * P, 2 * P, "rwx", "private,anon").w(1, A + 2 * P, 2 * P));
  const k = r.k;
  deepStrictEqual(r.mm(1).vmas.length, 2);
  k.scanPage = 0;
  deepStrictEqual(swapOutMm(k, r.mm(1), 10, 1000), { freed: 0, walked: 4, done: true });
  for (let p = 0; p < 4; p++) deepStrictEqual(r.pteAt(1, A + p * P) & PTE_A, 0);
  deepStrictEqual(frames(r, 4).filter((f) => f > 0).length, 4);
  r.check();
});

Deno.test("swapOutScan: with nothing freeable, each address space is walked twice, then once more", () => {
  // No swap: no anonymous page can go. mm 1 and mm 2, 2 accessed pages each. Laps 0..4 (at most
  // twice the address spaces, and the lap that reaches it): mm 1, 2, 1, 2, 1: 5 passes of 2 walks.
  const r = anon(2, { swapPages: 0 });
  r.run(new TraceBuilder().mmap(2, A, 2 * P, "rw-", "private,anon").w(2, A, 2 * P));
  const k = r.k;
  const d = r.delta([...COUNTS], () => swapOutScan(k, 1));
  deepStrictEqual(d, {
    result: 0,
    pte_walks: 10,
    pages_reclaimed: 0,
    swap_out_pages: 0,
    swap_io_requests: 0,
  });
  // It ended after a whole pass of mm 1: the cursor at the start of mm 2.
  deepStrictEqual([k.scanMm, k.scanPage], [2, 0]);
  // No address space at all: what the page cache gave, and no walk.
  const q = new KernelRig({ memPages: MEM, swapPages: 64, strategy: "scan" });
  q.run(new TraceBuilder().create(1, "file:/f", 2 * P).read(1, "file:/f", 0, 2 * P));
  deepStrictEqual(q.delta(["pte_walks", "pages_reclaimed"], () => swapOutScan(q.k, 5)), {
    result: 2,
    pte_walks: 0,
    pages_reclaimed: 2,
  });
});

Deno.test("swapOutMm: a stretch of an area with no page table is passed over whole", () => {
  // pid 1: a page written at A; an area of 1 GiB + 4 KiB at G (1 GiB aligned) with only its last
  // page written, so its first GiB has no page-middle directory (pteBase: nothing down to the
  // end of that GiB). A pass walks the two PTEs there are, each once.
  const G = 0x7f4000000000;
  const r = anon(1);
  r.run(new TraceBuilder().mmap(1, G, 2 ** 30 + P, "rw-", "private,anon").w(1, G + 2 ** 30));
  const k = r.k;
  k.scanPage = 0;
  deepStrictEqual(swapOutMm(k, r.mm(1), 10, 1000), { freed: 0, walked: 2, done: true });
  deepStrictEqual([r.pteAt(1, A) & PTE_A, r.pteAt(1, G + 2 ** 30) & PTE_A], [0, 0]);
  r.check();
});
