/**
 * `core/mm/unuse.ts` on small machines: swapoff's `try_to_unuse` (Linux's `mm/swapfile.c`) brings
 * every page of a device back, the pages of objects (tmpfs, mapped or not: `shmem_unuse`) first,
 * then each swap PTE of each address space (`unuse_mm`, `unuse_pte`), then the swap-cache pages
 * left; it repeats passes while reclaim pushes pages back and each pass makes progress, and says
 * false when memory runs out.
 *
 * The machine is driven through the system calls of `core/sys/` on a `Kernel` of its own, so that
 * the tests can read PTE bits, frame flags and slots. `page_cluster` 0 reads each slot alone
 * (`swapIn`, one request), so that readahead adds nothing to the numbers. Every expected number is
 * reasoned in a comment; `check()` runs the invariant checker (mapcounts, rss, slot references,
 * the strategy's rmap against a scan of the page tables) after each swapoff.
 */
import { SyscallBox } from "../../tests/_syscalls.ts";
import { deepStrictEqual } from "node:assert/strict";
import { newCounters } from "../counters.ts";
import { mmOf } from "./address_space.ts";
import { NONE, PG } from "./frames.ts";
import { Kernel } from "./kernel.ts";
import { P, PTE_NOACCESS, PTE_NX, PTE_SWAP } from "./pte.ts";
import type { SwapDevice } from "./swap.ts";
import { tryToUnuse } from "./unuse.ts";
import { swapon } from "../sys/swap.ts";
import { MapFlag, Op, PAGE_SIZE, Prot } from "../../uapi/event.ts";

/** Virtual pages (not addresses), each at the start of a page-table page. */
const V = 0x7f0000000, W2 = 0x7f1000000, L = 0x7f2000000;
const RW = Prot.read | Prot.write;
const ANON = MapFlag.private | MapFlag.anon;
const LOCKED = ANON | MapFlag.locked | MapFlag.populate;
/** Frame flags of a private anonymous page brought back by swapoff and out of the swap cache. */
const ANON_BACK = PG.anon | PG.swapBacked | PG.dirty;

/** A machine of `mem` frames driven system call by system call. */
class Box extends SyscallBox {
  /** The strategy hooks called since the last `unuse` began. */
  calls = { newAnonPage: 0, pteAdded: 0, pageFreed: [] as number[] };

  constructor(strategy: string, mem: number) {
    super(
      new Kernel(
        { memPages: mem, swapPages: 0, strategy, vm: { page_cluster: 0 } },
        newCounters(),
      ),
    );
    // Count the hooks unuse calls, then let the strategy do its work.
    const s = this.k.strategy;
    const add = s.newAnonPage.bind(s), added = s.pteAdded.bind(s), freed = s.pageFreed.bind(s);
    s.newAnonPage = (f, vma, v, ex) => (this.calls.newAnonPage++, add(f, vma, v, ex));
    s.pteAdded = (f, vma, v) => (this.calls.pteAdded++, added(f, vma, v));
    s.pageFreed = (f) => (this.calls.pageFreed.push(f), freed(f));
  }

  swapon(name: string, pages: number, prio: number): SwapDevice {
    this.event();
    swapon(this.k, name, pages * PAGE_SIZE, prio);
    return this.k.swap.find(name)!;
  }

  /** swapoff's call (`core/sys/swap.ts`): the device is being removed meanwhile. */
  unuse(d: SwapDevice): boolean {
    this.event();
    d.removing = true;
    this.calls = { newAnonPage: 0, pteAdded: 0, pageFreed: [] };
    return tryToUnuse(this.k, d);
  }
}

Deno.test("unuse: swap PTEs come back present, old, clean and read-only, with the area's bits", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    const b = new Box(strategy, 64);
    const d = b.swapon("s0", 16, 0);
    // Six pages written, paged out to slots 0..5, then the area split in three protections.
    b.mmap(1, V, 6).touch(1, V, 6).pageout(1, V, 6)
      .mprotect(1, V + 2, 2, Prot.read | Prot.exec).mprotect(1, V + 4, 2, 0);
    deepStrictEqual([d.used, b.pte(1, V + 5)], [6, [PTE_SWAP, 5]]);
    let ok = false;
    const counted = b.delta(() => ok = b.unuse(d));
    // Each slot read alone (one request each, none zero-filled); each of the three areas' PTEs
    // walked once (2 + 2 + 2): the pass empties the device.
    deepStrictEqual([ok, counted], [true, { swap_in_pages: 6, swap_io_requests: 6, pte_walks: 6 }]);
    deepStrictEqual([d.used, mmOf(b.k, 1).rss], [0, 6]);
    // unuse_pte maps with vm_page_prot and pte_mkold: present, no accessed, dirty or write bit
    // (a private writable area is mapped read-only until a write fault), NX outside the r-x
    // area, PROT_NONE's bit in the --- one.
    const flags = [0, 1, 2, 3, 4, 5].map((p) => b.pte(1, V + p)[0]);
    deepStrictEqual(flags, [
      P | PTE_NX,
      P | PTE_NX,
      P,
      P,
      P | PTE_NOACCESS | PTE_NX,
      P | PTE_NOACCESS | PTE_NX,
    ], strategy);
    // Each page: anonymous, its only reference gone so exclusive (RMAP_EXCLUSIVE), out of the
    // swap cache and dirty (no copy left on swap), mapped once, a new anonymous page to the rmap.
    for (let p = 0; p < 6; p++) {
      deepStrictEqual(b.page(1, V + p), [ANON_BACK | PG.exclusive, 1], `${strategy} page ${p}`);
    }
    deepStrictEqual([b.calls.newAnonPage, b.calls.pteAdded], [6, 0]);
    b.check();
  }
});

Deno.test("unuse: a slot shared after fork is read once, mapped in both, freed after the last", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    const b = new Box(strategy, 64);
    const d = b.swapon("s0", 16, 0);
    b.mmap(1, V, 3).touch(1, V, 3).pageout(1, V, 3).fork(1, 2);
    deepStrictEqual(b.k.swap.refs[0], 2); // both swap PTEs hold slot 0
    const counted = b.delta(() => deepStrictEqual(b.unuse(d), true));
    // Process 1's PTEs read the 3 slots; process 2's find each page in the swap cache.
    deepStrictEqual(counted, { swap_in_pages: 3, swap_io_requests: 3, pte_walks: 3 + 3 });
    for (let p = 0; p < 3; p++) {
      // One frame, mapped by both; not exclusive (a reference was left when process 1 mapped
      // it), out of the swap cache once process 2 dropped the last reference.
      deepStrictEqual(b.pte(1, V + p), b.pte(2, V + p));
      deepStrictEqual(b.page(2, V + p), [ANON_BACK, 2], `${strategy} page ${p}`);
    }
    // The first mapping is a new anonymous page to the rmap, the second a PTE added (only for a
    // strategy that tracks PTEs: pte_chain).
    const tracks = strategy === "pte_chain" ? 3 : 0;
    deepStrictEqual([b.calls.newAnonPage, b.calls.pteAdded], [3, tracks], strategy);
    deepStrictEqual([d.used, mmOf(b.k, 1).rss, mmOf(b.k, 2).rss], [0, 3, 3]);
    b.check();
  }
});

Deno.test("unuse: a page already in the swap cache is mapped without a read", () => {
  const b = new Box("anon_vma_chain", 64);
  const d = b.swapon("s0", 16, 0);
  // MADV_WILLNEED reads pages 0 and 1 into the swap cache, unmapped (two reads).
  b.mmap(1, V, 4).touch(1, V, 4).pageout(1, V, 4).willneed(1, V, 2);
  deepStrictEqual([b.k.swap.cache[0] !== NONE, b.k.swap.cache[2]], [true, NONE]);
  const counted = b.delta(() => deepStrictEqual(b.unuse(d), true));
  // Only slots 2 and 3 are read; all four pages are new anonymous pages, exclusive.
  deepStrictEqual(counted, { swap_in_pages: 2, swap_io_requests: 2, pte_walks: 4 });
  for (let p = 0; p < 4; p++) deepStrictEqual(b.page(1, V + p), [ANON_BACK | PG.exclusive, 1]);
  deepStrictEqual([b.calls.newAnonPage, d.used], [4, 0]);
  b.check();
});

Deno.test("unuse: tmpfs pages come back into their page cache first, mapped or not", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    const b = new Box(strategy, 64);
    const d = b.swapon("s0", 16, 0);
    const SH = MapFlag.shared;
    // tmpfs:/a mapped and tmpfs:/b unmapped after its pages went to swap (slots 0..2, 3..4);
    // process 1 also has 4 private anonymous pages resident (not swapped).
    b.mmap(1, V, 3, RW, SH, "tmpfs:/a").touch(1, V, 3).pageout(1, V, 3)
      .mmap(1, W2, 2, RW, SH, "tmpfs:/b").touch(1, W2, 2).pageout(1, W2, 2).munmap(1, W2, 2)
      .mmap(1, L, 4).touch(1, L, 4);
    const a = b.k.objects.get("tmpfs:/a")!, o = b.k.objects.get("tmpfs:/b")!;
    deepStrictEqual([[...a.swap.values()], [...o.swap.values()], d.used], [[0, 1, 2], [3, 4], 5]);
    const counted = b.delta(() => deepStrictEqual(b.unuse(d), true));
    // shmem_unuse reads all five; the device is then empty, so unuse_mm walks no address space:
    // no PTE is walked (process 1's anonymous area would count 4).
    deepStrictEqual(counted, { swap_in_pages: 5, swap_io_requests: 5 }, strategy);
    deepStrictEqual([a.swap.size, o.swap.size, d.used], [0, 0, 0]);
    // Each page in its object's page cache, dirty (its only copy is in memory now), not mapped:
    // the shared mapping's PTEs went with the pageout and come back with the next fault.
    for (const [obj, n] of [[a, 3], [o, 2]] as const) {
      for (let i = 0; i < n; i++) {
        const f = obj.pages.get(i)!;
        deepStrictEqual(
          [b.k.frames.flags[f]! & ~PG.referenced, b.k.frames.mapcount[f]],
          [PG.pageCache | PG.swapBacked | PG.dirty, 0],
        );
      }
    }
    deepStrictEqual(b.pte(1, V), [0, 0]);
    b.check();
  }
});

Deno.test("unuse: only the slots of the device being emptied come back", () => {
  // Three devices of 4 slots: a (slots 0..3), b (4..7), c (8..11); b has the highest priority,
  // a the next: 9 pages go to b's 4..7, a's 0..3, then c's 8. Swapping b off brings back its
  // first slot (4) and its last (7), and neither a's last (3) nor c's first (8).
  for (const kind of ["anon", "tmpfs"]) {
    const b = new Box("anon_vma_chain", 64);
    const a = b.swapon("a", 4, 5), db = b.swapon("b", 4, 10), c = b.swapon("c", 4, 1);
    deepStrictEqual([a.base, db.base, c.base], [0, 4, 8]);
    if (kind === "anon") b.mmap(1, V, 9);
    else b.mmap(1, V, 9, RW, MapFlag.shared, "tmpfs:/t");
    b.touch(1, V, 9).pageout(1, V, 9);
    const obj = b.k.objects.get("tmpfs:/t");
    const slotOf = (p: number) => obj === undefined ? b.pte(1, V + p)[1] : obj.swap.get(p);
    deepStrictEqual([0, 3, 4, 7, 8].map(slotOf), [4, 7, 0, 3, 8], kind);
    deepStrictEqual([a.used, db.used, c.used], [4, 4, 1]);
    const counted = b.delta(() => deepStrictEqual(b.unuse(db), true));
    deepStrictEqual([a.used, db.used, c.used], [4, 0, 1], kind);
    if (obj === undefined) {
      // Pages 0..3 mapped again, 4..8 still swap entries of a and c; the area walked once.
      deepStrictEqual(counted, { swap_in_pages: 4, swap_io_requests: 4, pte_walks: 9 });
      deepStrictEqual([0, 3].map((p) => b.pte(1, V + p)[0]), [P | PTE_NX, P | PTE_NX]);
      deepStrictEqual([4, 8].map((p) => b.pte(1, V + p)), [[PTE_SWAP, 0], [PTE_SWAP, 8]]);
    } else {
      // Indexes 0..3 in the page cache, 4..8 still on a and c; the device empty after
      // shmem_unuse, no address space is walked.
      deepStrictEqual(counted, { swap_in_pages: 4, swap_io_requests: 4 });
      deepStrictEqual([...obj.pages.keys()].sort(), [0, 1, 2, 3]);
      deepStrictEqual([...obj.swap.values()], [0, 1, 2, 3, 8]);
    }
    b.check();
  }
});

Deno.test("unuse: the swap-cache pages left: only the device's, up to the highest slot used", () => {
  // As above, but c has 24 slots, so that 9 pages fill less than half the swap space (not
  // vm_swap_full), and pages 3 (slot 7, b's last: its highest slot handed out) and 8 (slot 8, c's
  // first, just past it) are read back by a read fault: each mapped, exclusive and left in the
  // swap cache with no reference (should_try_to_free_swap holds only for a write, a full swap or
  // a locked area).
  const b = new Box("anon_vma_chain", 64);
  b.swapon("a", 4, 5);
  const db = b.swapon("b", 4, 10), c = b.swapon("c", 24, 1);
  b.mmap(1, V, 9).touch(1, V, 9).pageout(1, V, 9).touch(1, V + 3, 1, Op.r)
    .touch(1, V + 8, 1, Op.r);
  const f3 = b.pte(1, V + 3)[1], f8 = b.pte(1, V + 8)[1];
  deepStrictEqual([b.k.swap.cache[7], b.k.swap.refs[7], b.k.swap.cache[8]], [f3, 0, f8]);
  deepStrictEqual([db.top, b.k.swap.refs[8]], [4, 0]);
  const flags3 = b.pte(1, V + 3)[0];
  const counted = b.delta(() => deepStrictEqual(b.unuse(db), true));
  // Slots 4..6 read for the three swap PTEs; slot 7's page leaves the swap cache (dirty: no
  // copy on swap any more), its PTE untouched; c's page 8 stays in c's swap cache.
  deepStrictEqual(counted, { swap_in_pages: 3, swap_io_requests: 3, pte_walks: 9 });
  deepStrictEqual([db.used, c.used, b.pte(1, V + 3)[0]], [0, 1, flags3]);
  deepStrictEqual(b.page(1, V + 3), [ANON_BACK | PG.exclusive, 1]);
  deepStrictEqual([b.k.swap.cache[8], b.k.frames.flags[f8]! & PG.swapCache], [f8, PG.swapCache]);
  deepStrictEqual(b.calls.pageFreed, []);
  b.check();
});

Deno.test("unuse: a swap-cache page that lost its last reference while held is freed", () => {
  // A page in the swap cache that nothing maps and no swap entry references any more: the
  // pages of a readahead window are held (PG.pinned) until the window is read, and a reference
  // dropped meanwhile leaves them there (slotPut frees only an unpinned page). Made here by
  // holding two pages by hand over a munmap: page 0 read back by a read fault (anonymous,
  // mapped, in the swap cache) and page 1 read by MADV_WILLNEED (in the swap cache only).
  for (const strategy of ["anon_vma_chain", "objtree"]) {
    const b = new Box(strategy, 64);
    const d = b.swapon("s0", 16, 0);
    b.mmap(1, V, 2).touch(1, V, 2).pageout(1, V, 2).touch(1, V, 1, Op.r).willneed(1, V + 1, 1);
    const f0 = b.k.swap.cache[0]!, f1 = b.k.swap.cache[1]!;
    const fl = b.k.frames.flags;
    fl[f0]! |= PG.pinned;
    fl[f1]! |= PG.pinned;
    b.munmap(1, V, 2);
    fl[f0]! &= ~PG.pinned;
    fl[f1]! &= ~PG.pinned;
    deepStrictEqual([b.k.swap.refs[0], b.k.swap.refs[1], b.k.frames.mapcount[f0], d.used], [
      0,
      0,
      0,
      2,
    ]);
    const free = b.k.frames.freeCount;
    const counted = b.delta(() => deepStrictEqual(b.unuse(d), true));
    // Both slots and both frames freed; only the anonymous one (page 0 had been mapped) was the
    // rmap's, which is told it is gone. No read, no PTE walked (no area left).
    deepStrictEqual([counted, d.used, b.k.frames.freeCount - free], [{}, 0, 2]);
    deepStrictEqual([b.calls.pageFreed, b.k.frames.isFree(f0), b.k.frames.isFree(f1)], [
      [f0],
      true,
      true,
    ]);
    b.check();
  }
});

/**
 * Process 1's 4 private pages at V: pages `from`.. written and paged out (slots 0..), the pages
 * before them read (the zero page: present, no frame); then `lock` pages locked at L (mlocked,
 * unevictable): with 64 frames, `64 - lock` are free and reclaim can free none.
 */
function pressed(strategy: string, from: number, lock: number): [Box, SwapDevice] {
  const b = new Box(strategy, 64);
  const d = b.swapon("s0", 16, 0);
  b.mmap(1, V, 4).touch(1, V + from, 4 - from).pageout(1, V + from, 4 - from)
    .touch(1, V, from, Op.r).mmap(1, L, lock, RW, LOCKED);
  return [b, d];
}

Deno.test("unuse: out of memory on a swap PTE: false, the walk stops there", () => {
  // Pages 2 and 3 on swap, pages 0 and 1 the zero page, every frame locked: no frame for slot 0.
  // The walk of V counts PTEs 0, 1 and 2, where it stops (the locked area after V is not
  // reached); page 3 is not tried.
  const [b, d] = pressed("anon_vma_chain", 2, 64);
  deepStrictEqual(b.k.frames.freeCount, 0);
  const counted = b.delta(() => deepStrictEqual(b.unuse(d), false));
  deepStrictEqual(counted, { pte_walks: 3 });
  deepStrictEqual([b.pte(1, V + 2), b.pte(1, V + 3), d.used], [[PTE_SWAP, 0], [PTE_SWAP, 1], 2]);
  b.check();
  // One frame free: slot 0 comes back, slot 1 finds none. PTEs 0..3 walked. (Each allocation
  // below the low watermark reclaims first, in vain: its rmap walks look up one PTE a visit, all
  // of them in range, and are no business of unuse.)
  const [b2, d2] = pressed("anon_vma_chain", 2, 63);
  const c2 = b2.delta(() => deepStrictEqual(b2.unuse(d2), false));
  deepStrictEqual([c2.pte_walks! - c2.rmap_vma_visits!, c2.rmap_wasted_visits], [4, undefined]);
  deepStrictEqual([c2.swap_in_pages, c2.swap_io_requests], [1, 1]);
  deepStrictEqual([b2.pte(1, V + 2)[0], b2.pte(1, V + 3), d2.used], [P | PTE_NX, [PTE_SWAP, 1], 1]);
  b2.check();
});

Deno.test("unuse: out of memory on a tmpfs page: false before any address space", () => {
  // tmpfs:/t's pages 0..2 on slots 0..2, process 1's anonymous page on slot 3, every frame
  // locked. shmem_unuse fails on index 0 and stops: indexes 1 and 2 are not tried (each try
  // would move the slot readahead history to its slot: it stays at index 0's, offset 1), no
  // PTE is walked, everything stays on swap.
  const b = new Box("anon_vma_chain", 64);
  const d = b.swapon("s0", 16, 0);
  b.mmap(1, V, 3, RW, MapFlag.shared, "tmpfs:/t").touch(1, V, 3).pageout(1, V, 3)
    .mmap(1, W2, 1).touch(1, W2, 1).pageout(1, W2, 1).mmap(1, L, 64, RW, LOCKED);
  const t = b.k.objects.get("tmpfs:/t")!;
  deepStrictEqual([[...t.swap.values()], b.pte(1, W2), b.k.frames.freeCount], [
    [0, 1, 2],
    [PTE_SWAP, 3],
    0,
  ]);
  const counted = b.delta(() => deepStrictEqual(b.unuse(d), false));
  deepStrictEqual([counted, d.used, t.swap.size, b.k.slotRa.prevOffset], [{}, 4, 3, 1]);
  b.check();
});

/**
 * Process 1's page at V written and paged out (slot 0), then forked: processes 1 and 2 share
 * slot 0. Then process 1's `excl` pages at W2 written and paged out (slots 1..), and 60 pages
 * locked at L: 4 frames free (64 frames: the low watermark is 3, the high 4).
 */
function sharedUnderPressure(shared: number, excl: number): [Box, SwapDevice] {
  const b = new Box("anon_vma_chain", 64);
  const d = b.swapon("s0", 16, 0);
  b.mmap(1, V, shared).touch(1, V, shared).pageout(1, V, shared).fork(1, 2);
  if (excl > 0) b.mmap(1, W2, excl).touch(1, W2, excl).pageout(1, W2, excl);
  b.mmap(1, L, 60, RW, LOCKED);
  deepStrictEqual([b.k.frames.freeCount, b.k.lowWater, b.k.highWater], [4, 3, 4]);
  return [b, d];
}

Deno.test("unuse: passes repeat while reclaim pushes pages back and each frees slots", () => {
  const [b, d] = sharedUnderPressure(1, 1);
  const c = b.delta(() => deepStrictEqual(b.unuse(d), true));
  // Pass 1, process 1: slot 0 read (4 free frames: no reclaim), mapped, kept in the swap cache
  // (process 2 still references it). Slot 1 read: 3 free frames, at the low watermark, so reclaim
  // first: it finds slot 0's page clean, in the swap cache, not accessed (unuse_pte maps pages
  // old), unmaps it (a swap PTE again) and frees it. Slot 1's page is mapped, its only reference
  // gone: out of the swap cache (slot 1 freed). Process 2: slot 0 read again; reclaim finds only
  // slot 1's page, dirty with nowhere to go (the device is being emptied): nothing freed. The
  // page is mapped in process 2, kept in the swap cache for process 1. Device: 2 slots -> 1.
  // Pass 2, process 1: slot 0's page in the swap cache, mapped, its last reference dropped: out
  // of the swap cache. The device is empty: process 2 is not walked. 3 reads, 1 page reclaimed.
  deepStrictEqual([c.swap_in_pages, c.pages_reclaimed, d.used], [3, 1, 0]);
  // PTEs walked by unuse: pass 1, process 1's V, W2 and L (1 + 1 + 60) and process 2's V; pass
  // 2, process 1's again: 125. Every other is reclaim's, one a visit of its rmap walks.
  deepStrictEqual(c.pte_walks! - c.rmap_vma_visits!, 62 + 1 + 62);
  deepStrictEqual(b.pte(1, V), b.pte(2, V));
  deepStrictEqual([b.page(1, V), b.page(1, W2)], [[ANON_BACK, 2], [ANON_BACK | PG.exclusive, 1]]);
  b.check();
});

Deno.test("unuse: a pass that frees no slot is the last; the pages it could not keep stay out", () => {
  const [b, d] = sharedUnderPressure(2, 0);
  const c = b.delta(() => deepStrictEqual(b.unuse(d), true));
  // Process 1: slot 0 read (4 free), slot 1 read after a reclaim that pushes slot 0's page back
  // out. Process 2: slot 0 read after a reclaim that pushes slot 1's page out of process 1;
  // slot 1 read after one that pushes slot 0's out of process 2. Each page was mapped once and
  // kept in the swap cache for the other process: no slot freed, so no second pass (one would do
  // the same again). 4 reads, 3 pages reclaimed; only process 2's page 1 is left mapped.
  deepStrictEqual([c.swap_in_pages, c.pages_reclaimed, d.used], [4, 3, 2]);
  deepStrictEqual(c.pte_walks! - c.rmap_vma_visits!, 2 + 60 + 2);
  deepStrictEqual([b.pte(1, V), b.pte(1, V + 1), b.pte(2, V)], [
    [PTE_SWAP, 0],
    [PTE_SWAP, 1],
    [PTE_SWAP, 0],
  ]);
  deepStrictEqual([b.pte(2, V + 1)[0], b.page(2, V + 1)], [P | PTE_NX, [
    PG.anon | PG.swapBacked | PG.swapCache,
    1,
  ]]);
  b.check();
});

Deno.test("unuse: only anonymous areas' existing page tables are walked, until the device is empty", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    const b = new Box(strategy, 64);
    const d = b.swapon("s0", 16, 0);
    // Process 1: a private file mapping read (page-cache pages mapped, no anon_vma), then 1024
    // anonymous pages from V + 256: three PTE tables' worth (256, 512, 256 pages); page 300 of
    // the area (in the second table) written and paged out, page 844 (third table) written; the
    // first table never made. Process 2: 4 anonymous pages resident.
    b.mmap(1, W2, 4, Prot.read, MapFlag.private, "file:/f").touch(1, W2, 4, Op.r)
      .mmap(1, V + 256, 1024).touch(1, V + 556, 1).pageout(1, V + 556, 1).touch(1, V + 1100, 1)
      .mmap(2, V, 4).touch(2, V, 4);
    deepStrictEqual(b.k.pt.lookup(mmOf(b.k, 1), V + 256), -1);
    const c = b.delta(() => deepStrictEqual(b.unuse(d), true));
    // The second and third tables of the area: 512 + 256 PTEs. The file area is skipped, and
    // process 2 too: the device was empty when its turn came.
    deepStrictEqual(c, { swap_in_pages: 1, swap_io_requests: 1, pte_walks: 512 + 256 }, strategy);
    deepStrictEqual(b.pte(1, V + 556)[0], P | PTE_NX);
    b.check();
  }
});
