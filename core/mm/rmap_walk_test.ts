/**
 * `core/mm/rmap_walk.ts` on small machines: the walks of `RmapWalker` (Linux's `rmap_walk` with
 * the `rmap_one` callbacks of `mm/rmap.c`) called directly on a page: `referenced`
 * (`folio_referenced`: test-and-clear each accessed bit, stop once every mapping is found or at a
 * locked area), `unmap` (`try_to_unmap`: swap entries for a swap-cache page, the dirty bit carried
 * to the page), `mkclean` (`page_mkclean`: write-protect write-notify PTEs and clean them, through
 * i_mmap) and `collect` (for `check`); an anonymous page through the strategy, a page-cache page
 * through its object's i_mmap unless the strategy's rmap holds those (pte_chain); and the visit
 * counters (`rmap_vma_visits`, `pte_walks`, `rmap_wasted_visits`), counted by the walker the same
 * way whatever the strategy, each strategy's design deciding only which areas it reports.
 *
 * The machine is driven through the system calls of `core/sys/` on a `Kernel` of its own, so that
 * the tests can read and set PTE bits and frame flags. Every expected number is reasoned in a
 * comment; `check()` runs the invariant checker (which compares each strategy's walk with a scan
 * of every page table) after the walks that change PTEs.
 */
import { SyscallBox } from "../../tests/_syscalls.ts";
import { deepStrictEqual } from "node:assert/strict";
import { C, type CounterName, newCounters } from "../counters.ts";
import { mmOf } from "./address_space.ts";
import { PG } from "./frames.ts";
import { Kernel } from "./kernel.ts";
import { A, D, P, PTE_SWAP, W } from "./pte.ts";
import { madvise } from "../sys/madvise.ts";
import { Madv, MapFlag, PAGE_SIZE, Prot } from "../../uapi/event.ts";

/** A virtual page (not an address) at the start of a page-table page. */
const V = 0x7f0000000;
const R = Prot.read, RW = Prot.read | Prot.write, RX = Prot.read | Prot.exec;
const SHARED = MapFlag.shared, PRIVATE = MapFlag.private;

/** A machine of 256 frames driven system call by system call. */
class Box extends SyscallBox {
  constructor(strategy: string) {
    super(new Kernel({ memPages: 256, swapPages: 64, strategy }, newCounters()));
  }

  /** Sets (or clears) PTE bits `bits` of `v` in each of `pids`. */
  bits(bits: number, on: boolean, v: number, ...pids: number[]): this {
    for (const pid of pids) {
      const s = this.slot(pid, v);
      const f = this.k.pt.flags;
      f[s] = on ? f[s]! | bits : f[s]! & ~bits;
    }
    return this;
  }
}

/** MADV_PAGEOUT of page `v` of `pid`. */
function madviseOut(b: Box, pid: number, v: number): void {
  b.k.counters[C.events]!++;
  madvise(b.k, mmOf(b.k, pid), v, PAGE_SIZE, Madv.pageout);
}

/** Visit counters as [rmap_vma_visits, pte_walks, rmap_wasted_visits]. */
function visits(c: Partial<Record<CounterName, number>>): number[] {
  return [c.rmap_vma_visits ?? 0, c.pte_walks ?? 0, c.rmap_wasted_visits ?? 0];
}

/**
 * Process 1's two private pages at V written, then forked twice (processes 2 and 3); process 2
 * writes page V (its own copy) and makes V + 1 read-only (its area split in two); process 3
 * unmaps both. Process 1's page at V is then mapped by process 1 alone.
 */
function family(strategy: string): Box {
  return new Box(strategy).mmap(1, V, 2).touch(1, V, 2).fork(1, 2).fork(1, 3).touch(2, V, 1)
    .mprotect(2, V + 1, 1, R).munmap(3, V, 2);
}

Deno.test("walk: each visit counted the same whatever the strategy; which areas each reports", () => {
  // [rmap_vma_visits, pte_walks, rmap_wasted_visits] of collecting process 1's page at V:
  const expected: Record<string, number[]> = {
    // Its anon_vma (process 1's: the page was new there) chains process 1's area and both of
    // process 2's halves; the interval tree skips the half [V+1, V+2), which cannot hold index V.
    // Process 1's PTE maps the page; process 2's maps its copy: a PTE walked, a visit wasted.
    anon_vma_chain: [2, 2, 1],
    // One list for the family, every area on it visited: as above, plus process 2's other half,
    // where the page's address falls outside the area (vma_address fails): wasted, no PTE.
    anon_vma: [3, 2, 2],
    // The page's chain: process 1's PTE alone.
    pte_chain: [1, 1, 0],
    // Every address space of the family at V: process 1 (found), process 2 (its copy: wasted)
    // and process 3, which has no area there (wasted, no PTE looked at).
    anonmm: [3, 2, 2],
  };
  for (const [strategy, want] of Object.entries(expected)) {
    const b = family(strategy);
    const f = b.frame(1, V);
    deepStrictEqual(b.k.frames.mapcount[f], 1);
    let got: number[] = [];
    const c = b.delta(() => got = b.k.walker.collect(f));
    deepStrictEqual([got, visits(c)], [[mmOf(b.k, 1).id, V], want], strategy);
    deepStrictEqual(Object.keys(c).length, want[2]! > 0 ? 3 : 2, strategy); // nothing else
  }
});

Deno.test("referenced: clears every accessed bit, counts those set, walks until all are found", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    // Process 1's page at V, forked to processes 2 and 3: three PTEs map it. Accessed bits
    // cleared, then set again in processes 1 and 3 by a read.
    const b = new Box(strategy).mmap(1, V, 1).touch(1, V, 1).fork(1, 2).fork(1, 3);
    const f = b.frame(1, V);
    b.bits(A, false, V, 1, 2, 3).r(1, V).r(3, V);
    let refs = -1;
    let c = b.delta(() => refs = b.k.walker.referenced(f));
    // Each of the three areas visited and its PTE looked up (the same anon_vma for all three, or
    // three chain entries); two accessed bits, both cleared; none executable.
    deepStrictEqual([refs, visits(c), b.k.walker.exec, b.k.walker.locked], [
      2,
      [3, 3, 0],
      false,
      false,
    ]);
    deepStrictEqual([1, 2, 3].map((pid) => b.pte(pid, V)[0] & A), [0, 0, 0], strategy);
    // Test-and-clear: a second walk finds none.
    c = b.delta(() => refs = b.k.walker.referenced(f));
    deepStrictEqual([refs, visits(c)], [0, [3, 3, 0]], strategy);
    // Process 3 writes its copy: the page is mapped twice. folio_referenced_one stops once it
    // has found the mapcount's mappings: after process 2's area, process 3's is not visited.
    b.touch(3, V, 1).r(2, V);
    deepStrictEqual(b.k.frames.mapcount[f], 2);
    c = b.delta(() => refs = b.k.walker.referenced(f));
    deepStrictEqual([refs, visits(c)], [1, [2, 2, 0]], strategy);
    b.check();
  }
});

Deno.test("referenced and unmap stop at a locked area and say so", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    // Three PTEs of process 1's page (forks do not inherit VM_LOCKED); process 2 locks its area,
    // made read-only first (populating a writable private area breaks COW); every accessed bit
    // set.
    const b = new Box(strategy).mmap(1, V, 1).touch(1, V, 1).fork(1, 2).fork(1, 3)
      .mprotect(2, V, 1, R).mlock(2, V, 1)
      .mmap(1, V + 1, 1).touch(1, V + 1, 1);
    const f = b.frame(1, V), g = b.frame(1, V + 1);
    b.bits(A, true, V, 1, 2, 3);
    // The walk order: anon_vma_chain the anon_vma's areas in the order they joined (1, 2, 3);
    // pte_chain its chain from the newest entry (3, 2, 1).
    const first = strategy === "pte_chain" ? 3 : 1;
    let refs = -1;
    let c = b.delta(() => refs = b.k.walker.referenced(f));
    // The first area's bit cleared and counted, then process 2's locked area ends the walk
    // (the page is to stay resident): its bit and the third one untouched.
    deepStrictEqual([refs, visits(c), b.k.walker.locked], [1, [2, 2, 0], true], strategy);
    const last = 4 - first;
    deepStrictEqual([b.pte(first, V)[0] & A, b.pte(2, V)[0] & A, b.pte(last, V)[0] & A], [0, A, A]);
    // A walk of another page starts unlocked.
    b.k.walker.referenced(g);
    deepStrictEqual(b.k.walker.locked, false, strategy);
    // try_to_unmap: the first PTE goes (the page is not in the swap cache: none), then the
    // locked area ends the walk; the page stays mapped twice.
    b.k.walker.referenced(f);
    c = b.delta(() => b.k.walker.unmap(f));
    deepStrictEqual([visits(c), b.k.walker.locked, b.k.frames.mapcount[f]], [[2, 2, 0], true, 2]);
    deepStrictEqual([b.pte(first, V), b.pte(2, V)[1], b.pte(last, V)[1]], [[0, 0], f, f]);
    deepStrictEqual(c.tlb_flushes, 1);
    b.k.walker.unmap(g);
    deepStrictEqual([b.k.walker.locked, b.pte(1, V + 1)], [false, [0, 0]], strategy);
  }
});

Deno.test("referenced: an accessed executable mapping of a file page is reported (exec)", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    // A file page mapped r-x by process 1 and r-- by process 2 (both private), both read.
    const b = new Box(strategy).mmap(1, V, 1, RX, PRIVATE, "file:/lib").r(1, V)
      .mmap(2, V, 1, R, PRIVATE, "file:/lib").r(2, V);
    const f = b.frame(1, V);
    deepStrictEqual([b.frame(2, V), b.k.frames.flags[f]! & PG.anon], [f, 0]);
    const walk = () => [b.k.walker.referenced(f), b.k.walker.exec];
    deepStrictEqual(walk(), [2, true], strategy);
    b.r(2, V); // only the r-- mapping accessed
    deepStrictEqual(walk(), [1, false], strategy);
    b.r(1, V); // only the r-x one
    deepStrictEqual(walk(), [1, true], strategy);
    deepStrictEqual(walk(), [0, false], strategy); // none: no longer exec
  }
});

Deno.test("unmap: a page-cache page's PTEs cleared, the dirty bit carried to the page", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    // A file page at index 0 mapped shared by processes 1 (written: its PTE writable and dirty)
    // and 2 (read), and by process 3, which never touched it (its area last on i_mmap).
    const b = new Box(strategy).mmap(1, V, 1, RW, SHARED, "file:/f").touch(1, V, 1)
      .mmap(2, V, 1, RW, SHARED, "file:/f").r(2, V).mmap(3, V, 1, RW, SHARED, "file:/f");
    const f = b.frame(1, V);
    deepStrictEqual([b.pte(1, V)[0] & (W | D), b.pte(2, V)[0] & (W | D)], [W | D, 0]);
    // The page's flag cleared by hand: the PTE's dirty bit is then the only record of the store
    // (as on x86, where a store through a writable TLB entry sets only the PTE's bit).
    b.k.frames.flags[f]! &= ~PG.dirty;
    const rss = [mmOf(b.k, 1).rss, mmOf(b.k, 2).rss];
    const c = b.delta(() => b.k.walker.unmap(f));
    // Both PTEs none (a file page is found again in the page cache), a TLB flush each; the walk
    // ends with the last mapping: process 3's area is not visited.
    deepStrictEqual([b.pte(1, V), b.pte(2, V), b.k.frames.mapcount[f]], [[0, 0], [0, 0], 0]);
    deepStrictEqual([mmOf(b.k, 1).rss, mmOf(b.k, 2).rss], [rss[0]! - 1, rss[1]! - 1]);
    deepStrictEqual(c, { pte_walks: 2, rmap_vma_visits: 2, tlb_flushes: 2 }, strategy);
    deepStrictEqual([b.k.frames.flags[f]! & PG.dirty, b.k.walker.locked], [PG.dirty, false]);
    b.check();
    // Mapped again: the walk finds the two new PTEs and no trace of the old ones (pte_chain's
    // entries went with them: pteRemoved); i_mmap has process 3's area too (no table: wasted).
    b.r(1, V).r(2, V);
    deepStrictEqual(b.frame(2, V), f);
    const again = b.delta(() => b.k.walker.collect(f));
    deepStrictEqual(visits(again), strategy === "pte_chain" ? [2, 2, 0] : [3, 3, 1]);
    // A page no PTE wrote stays clean.
    b.k.frames.flags[f]! &= ~PG.dirty;
    b.k.walker.unmap(f);
    deepStrictEqual([b.k.frames.mapcount[f], b.k.frames.flags[f]! & PG.dirty], [0, 0], strategy);
    b.check();
  }
});

Deno.test("unmap: an anonymous page in the swap cache leaves a swap entry in each PTE", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    // Process 1's page at V, forked: two PTEs. Given a slot as shrink_folio_list does
    // (add_to_swap) before try_to_unmap.
    const b = new Box(strategy).mmap(1, V, 1).touch(1, V, 1).fork(1, 2);
    const f = b.frame(1, V);
    b.k.swap.addPending(); // the default device, made when reclaim first needs swap
    const slot = b.k.swap.alloc();
    deepStrictEqual(slot, 0);
    b.k.frames.flags[f]! |= PG.swapCache | PG.dirty;
    b.k.frames.swap[f] = slot;
    b.k.swap.cache[slot] = f;
    const c = b.delta(() => b.k.walker.unmap(f));
    // Both PTEs swap entries for the slot, which each references; the page, unmapped, stays in
    // the swap cache for reclaim to write and free.
    deepStrictEqual([b.pte(1, V), b.pte(2, V)], [[PTE_SWAP, slot], [PTE_SWAP, slot]], strategy);
    deepStrictEqual([b.k.swap.refs[slot], b.k.frames.mapcount[f], mmOf(b.k, 2).rss], [2, 0, 0]);
    deepStrictEqual(c, { pte_walks: 2, rmap_vma_visits: 2, tlb_flushes: 2 }, strategy);
    b.check();
  }
});

Deno.test("mkclean: write-notify PTEs write-protected and cleaned, others cleaned, via i_mmap", () => {
  for (const strategy of ["anon_vma_chain", "pte_chain"]) {
    // A file page mapped shared by process 1 (written: writable, dirty), process 2 (read: a
    // write-notify mapping maps it read-only, clean) and process 3 (never touched: no page
    // table). And a tmpfs page mapped shared by process 1 (written) and process 2 (read: tmpfs
    // is mapped writable at once, so writable and clean).
    const b = new Box(strategy).mmap(1, V, 1, RW, SHARED, "file:/f").touch(1, V, 1)
      .mmap(2, V, 1, RW, SHARED, "file:/f").r(2, V).mmap(3, V, 1, RW, SHARED, "file:/f")
      .mmap(1, V + 1, 1, RW, SHARED, "tmpfs:/t").touch(1, V + 1, 1)
      .mmap(2, V + 1, 1, RW, SHARED, "tmpfs:/t").r(2, V + 1);
    const f = b.frame(1, V), t = b.frame(1, V + 1);
    const bits = (v: number) => [b.pte(1, v)[0] & (W | D | P), b.pte(2, v)[0] & (W | D | P)];
    deepStrictEqual([bits(V), bits(V + 1)], [[P | W | D, P], [P | W | D, P | W]]);
    let c = b.delta(() => b.k.walker.mkclean(f));
    // page_mkclean walks i_mmap whatever the strategy (pte_chain's chain too holds the page):
    // every area, process 3's included (its PTE walked, no table: wasted). Only process 1's PTE
    // had anything to clear: write-protected and cleaned, one TLB flush.
    deepStrictEqual(c, { rmap_vma_visits: 3, pte_walks: 3, rmap_wasted_visits: 1, tlb_flushes: 1 });
    deepStrictEqual(bits(V), [P, P], strategy);
    c = b.delta(() => b.k.walker.mkclean(t));
    // Not a write-notify mapping: the dirty bit cleared, the write bit kept; a PTE that is
    // writable or dirty is flushed (both).
    deepStrictEqual(c, { rmap_vma_visits: 2, pte_walks: 2, tlb_flushes: 2 }, strategy);
    deepStrictEqual(bits(V + 1), [P | W, P | W], strategy);
    b.check();
  }
});

Deno.test("a page-cache page: the areas of i_mmap covering its index, or the strategy's chain", () => {
  // Page 2 of file:/f, mapped read-only (private) by process 1 at pgoff 2 (its first page), by
  // process 2 at pgoff 0 over 3 pages (its last), by process 3 at pgoff 3 and process 4 at pgoff
  // 0 over 2 pages (neither covers index 2), and by process 5 at pgoff 0 over 3 pages, never
  // touched. Each of 1..4 reads its first page.
  const expected: Record<string, number[]> = {
    // i_mmap: processes 1, 2 and 5 (no page table: a PTE walk, wasted); 3 and 4 skipped unvisited.
    anon_vma_chain: [3, 3, 1],
    // pte_chain's chain holds page-cache pages too: the two PTEs that map it.
    pte_chain: [2, 2, 0],
  };
  for (const [strategy, want] of Object.entries(expected)) {
    const b = new Box(strategy).mmap(1, V, 1, R, PRIVATE, "file:/f", 2).r(1, V)
      .mmap(2, V, 3, R, PRIVATE, "file:/f", 0).r(2, V).r(2, V + 2)
      .mmap(3, V, 2, R, PRIVATE, "file:/f", 3).r(3, V)
      .mmap(4, V, 2, R, PRIVATE, "file:/f", 0).r(4, V)
      .mmap(5, V, 3, R, PRIVATE, "file:/f", 0);
    const f = b.frame(1, V);
    deepStrictEqual([b.frame(2, V + 2), b.k.frames.index[f], b.k.frames.mapcount[f]], [f, 2, 2]);
    let got: number[] = [];
    const c = b.delta(() => got = b.k.walker.collect(f));
    const pairs = [mmOf(b.k, 1).id, V, mmOf(b.k, 2).id, V + 2];
    deepStrictEqual([got.length, visits(c)], [4, want], strategy);
    deepStrictEqual(new Set(got), new Set(pairs), strategy);
    // referenced stops at the mapcount: for i_mmap after process 2's area, before process 5's.
    const r = b.delta(() => b.k.walker.referenced(f));
    deepStrictEqual(visits(r), [2, 2, 0], strategy);
  }
});

Deno.test("walk: an address past an area's end is a wasted visit; the walk goes on", () => {
  // As `family`, but the page at V + 1: mapped by process 1 and by process 2's read-only half
  // [V+1, V+2). anon_vma visits every area of the family's list: process 2's other half [V, V+1)
  // would map the page at V + 1, its end: wasted, no PTE looked at; then the half that maps it.
  const b = family("anon_vma");
  const f = b.frame(1, V + 1);
  deepStrictEqual([b.frame(2, V + 1), b.k.frames.mapcount[f]], [f, 2]);
  let got: number[] = [];
  const c = b.delta(() => got = b.k.walker.collect(f));
  deepStrictEqual([got, visits(c)], [[mmOf(b.k, 1).id, V + 1, mmOf(b.k, 2).id, V + 1], [3, 2, 1]]);
});

Deno.test("walk: an address space without the area is a wasted visit; the walk goes on", () => {
  // anonmm: process 1's page at V forked to 2 and 3; process 2 unmaps it. The family's address
  // spaces in order: 1 (found), 2 (no area at V: wasted, no PTE), 3 (found).
  const b = new Box("anonmm").mmap(1, V, 1).touch(1, V, 1).fork(1, 2).fork(1, 3).munmap(2, V, 1);
  const f = b.frame(1, V);
  let got: number[] = [];
  const c = b.delta(() => got = b.k.walker.collect(f));
  const want = [mmOf(b.k, 1).id, V, mmOf(b.k, 3).id, V];
  deepStrictEqual([got, visits(c)], [want, [3, 2, 1]]);
});

Deno.test("walk: a swap entry whose slot number is the page's frame number does not map it", () => {
  // Process 1 writes V (frame 1, the first handed out) and V + 1 (frame 2), pages V + 1 out
  // (slot 0, frame 2 freed), forks; process 2 writes V (its copy: frame 2 again) and pages it
  // out: slot 1. Process 2's PTE at V is then a swap entry whose number is 1, the frame of
  // process 1's page, and on the walk of that page (both areas share its anon_vma).
  const b = new Box("anon_vma_chain").mmap(1, V, 2).touch(1, V, 2);
  madviseOut(b, 1, V + 1);
  b.fork(1, 2).touch(2, V, 1);
  madviseOut(b, 2, V);
  const f = b.frame(1, V);
  deepStrictEqual([f, b.pte(2, V)], [1, [PTE_SWAP, 1]]);
  let got: number[] = [];
  const c = b.delta(() => got = b.k.walker.collect(f));
  // Process 2's PTE walked, not present: a wasted visit.
  deepStrictEqual([got, visits(c)], [[mmOf(b.k, 1).id, V], [2, 2, 1]]);
});
