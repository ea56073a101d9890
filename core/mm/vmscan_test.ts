/**
 * Reclaim from the LRU lists (`core/mm/vmscan.ts`, Linux's `mm/vmscan.c`) on small machines: a
 * scene is set with events (`tests/_kernel.ts`), then `shrinkLists`, `shrinkActive`,
 * `shrinkPage` or `reclaimUnmapped` is called directly and the lists, flags, PTEs, slots and
 * counters it leaves are compared with what Linux's rules give, reasoned in a comment beside each
 * number:
 *
 * - `shrink_lruvec` scans the inactive lists `SWAP_CLUSTER_MAX` (32) pages at a time, ageing an
 *   active list first when its inactive list is shorter (`inactive_is_low`), and gives up after
 *   4 × the LRU pages + 64 scanned (the machine's own bound on a hopeless scan);
 * - `shrink_folio_list` / `folio_check_references`: a page whose PTEs were accessed gets a second
 *   chance (PG_referenced set, back to the head of its inactive list), and is activated when it
 *   was referenced before, by more than one PTE, or is an executable file page; a page nobody
 *   accessed is unmapped (`try_to_unmap`), given a swap slot if anonymous, written if dirty, and
 *   freed; an anonymous page that finds no slot is activated (`add_to_swap` failing:
 *   `activate_locked`), and with no swap left the scan sends such pages to the active list
 *   without looking at them;
 * - `shrink_active_list`: pages leave the active list with their accessed bits cleared, except
 *   referenced executable file pages, pinned pages, and pages of locked areas (mlocked).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { MapFlag } from "../../uapi/event.ts";
import { KernelRig } from "../../tests/_kernel.ts";
import { registerWrapped } from "../../tests/_strategy_wrapper.ts";
import { LRU, NONE, PG } from "./frames.ts";
import { A as PTE_A, P as PTE_P } from "./pte.ts";
import {
  keepActive,
  reclaimUnmapped,
  SCAN_BATCH,
  shrinkActive,
  shrinkLists,
  shrinkPage,
  writeSlot,
} from "./vmscan.ts";

const A = 0x7f0000000000; // anonymous areas
const B = 0x7f1000000000; // a second area
const F = 0x7f2000000000; // file and tmpfs mappings
const P = 4096;
const MEM = 1024; // frames: low watermark 40, so setting a scene never reclaims

/** A rig whose process 1 has written `n` pages of private anonymous memory at A. */
function anon(
  n: number,
  swapPages = 1024,
  extra: Partial<ConstructorParameters<typeof KernelRig>[0]> = {},
) {
  const r = new KernelRig({ memPages: MEM, swapPages, ...extra });
  r.run(new TraceBuilder().mmap(1, A, n * P, "rw-", "private,anon").w(1, A, n * P));
  return r;
}

/** The frames of `pid`'s `n` pages at `base` (-1 where none is mapped). */
function frames(r: KernelRig, n: number, base = A, pid = 1): number[] {
  return Array.from({ length: n }, (_, p) => r.frameAt(pid, base + p * P));
}

Deno.test("vmscan: a batch is SWAP_CLUSTER_MAX, 32 pages", () => {
  deepStrictEqual(SCAN_BATCH, 32);
});

Deno.test("shrinkLists: accessed pages get a second chance, then the oldest are freed", () => {
  const r = anon(8);
  const k = r.k;
  const fr = frames(r, 8);
  // Written in page order: each new page at the head of the inactive anon list, page 0 oldest.
  deepStrictEqual(r.lru(LRU.inactiveAnon), fr);
  const d = r.delta(
    ["pages_reclaimed", "swap_out_pages", "swap_io_requests", "pte_walks"],
    () => shrinkLists(k, 4),
  );
  // First pass over the 8: each PTE accessed (the writes), so each page gets PG_referenced and
  // goes back to the head, in order (8 walks). The second look at pages 0..3 finds their bits
  // clear: each is unmapped (a walk each), given slots 0..3 and written, 4 pages in one run of
  // adjacent slots (one request). 8 + 4 + 4 walks.
  deepStrictEqual(d, {
    result: 4,
    pages_reclaimed: 4,
    swap_out_pages: 4,
    swap_io_requests: 1,
    pte_walks: 16,
  });
  deepStrictEqual(r.lru(LRU.inactiveAnon), fr.slice(4));
  deepStrictEqual(r.sizes(), [4, 0, 0, 0, 0]);
  for (const f of fr.slice(4)) ok(k.frames.flags[f]! & PG.referenced, `frame ${f} referenced`);
  for (let p = 0; p < 8; p++) {
    const pte = r.pteAt(1, A + p * P);
    if (p < 4) {
      // The PTE holds the swap entry, slot p, referenced once; the frame is free.
      deepStrictEqual([r.slotAt(1, A + p * P), k.swap.refs[p]], [p, 1]);
      ok(k.frames.isFree(fr[p]!));
    } else deepStrictEqual(pte & (PTE_P | PTE_A), PTE_P); // present, its accessed bit cleared
  }
  // The slots hold what the write (event 2) stored.
  deepStrictEqual([k.swap.used, k.swap.stamp[0], k.swap.stamp[3]], [4, 2, 2]);
  // No memory cgroup: no shadows, so the eviction clock (nonresident_age) never moved.
  deepStrictEqual(k.nrAge, 0);
  r.check();
});

Deno.test("shrinkPage: activation from a second reference, from two PTEs, of an executable file page", () => {
  const X = "file:/bin";
  const r = anon(2);
  r.run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).fork(1, 2).r(1, B).r(2, B)
      .create(1, X, P).mmap(1, F, P, "r-x", "private", X, 0).x(1, F)
      .mmap(1, F + 8 * P, P, "rwx", "private,anon").w(1, F + 8 * P)
      .create(1, "file:/data", P).mmap(1, F + 16 * P, P, "r--", "shared", "file:/data", 0)
      .r(1, F + 16 * P),
  );
  const k = r.k;
  const [a0, a1] = frames(r, 2);
  const shared = r.frameAt(1, B), exe = r.frameAt(1, F), anonExec = r.frameAt(1, F + 8 * P);
  const data = r.frameAt(1, F + 16 * P);
  // Page a0: one accessed PTE, not referenced before: a second chance (folio_check_references:
  // referenced_ptes 1 without PG_referenced sets PG_referenced and keeps the page: FOLIOREF_KEEP,
  // back to the head of the inactive list).
  deepStrictEqual(shrinkPage(k, a0!, false), 0);
  deepStrictEqual(k.frames.lru[a0!], LRU.inactiveAnon);
  deepStrictEqual(k.frames.lruHead[LRU.inactiveAnon], a0);
  ok(k.frames.flags[a0!]! & PG.referenced);
  // Accessed again: referenced before and now: activated (FOLIOREF_ACTIVATE).
  r.run(new TraceBuilder().r(1, A));
  deepStrictEqual(shrinkPage(k, a0!, false), 0);
  deepStrictEqual(k.frames.lru[a0!], LRU.activeAnon);
  // Page a1, not looked at, stays on the inactive list.
  deepStrictEqual(k.frames.lru[a1!], LRU.inactiveAnon);
  // Two PTEs accessed (parent and child after fork): `referenced_ptes > 1` activates at once.
  deepStrictEqual(k.frames.flags[shared]! & PG.referenced, 0);
  deepStrictEqual(shrinkPage(k, shared, false), 0);
  deepStrictEqual(k.frames.lru[shared], LRU.activeAnon);
  // An executable file page accessed once: activated at once (VM_EXEC and a file page).
  deepStrictEqual(k.frames.lru[exe], LRU.inactiveFile);
  deepStrictEqual(shrinkPage(k, exe, false), 0);
  deepStrictEqual(k.frames.lru[exe], LRU.activeFile);
  // An anonymous page in an executable area is no file page: a second chance only.
  deepStrictEqual(shrinkPage(k, anonExec, false), 0);
  deepStrictEqual(k.frames.lru[anonExec], LRU.inactiveAnon);
  deepStrictEqual(k.frames.lruHead[LRU.inactiveAnon], anonExec);
  // A file page in an area that is not executable, accessed once: a second chance only.
  deepStrictEqual(shrinkPage(k, data, false), 0);
  deepStrictEqual([k.frames.lru[data], k.frames.lruHead[LRU.inactiveFile]], [
    LRU.inactiveFile,
    data,
  ]);
  ok(k.frames.flags[data]! & PG.referenced);
  // Every one of them still mapped: a second chance unmaps nothing.
  for (const f of [a0!, shared, exe, anonExec, data]) ok(k.frames.mapcount[f]! > 0);
  deepStrictEqual(r.c("pages_reclaimed"), 0);
  r.check();
});

Deno.test("shrinkPage: a page not accessed since its last look is unmapped, written if dirty, freed", () => {
  const r = new KernelRig({ memPages: MEM, swapPages: 64 });
  r.run(
    new TraceBuilder().create(1, "file:/c", 2 * P).mmap(1, F, 2 * P, "r--", "private", "file:/c", 0)
      .r(1, F).create(1, "file:/d", 2 * P).mmap(1, B, 2 * P, "rw-", "shared", "file:/d", 0)
      .w(1, B).mmap(1, A, P, "rw-", "private,anon").w(1, A),
  );
  const k = r.k;
  const clean = r.frameAt(1, F), dirty = r.frameAt(1, B), an = r.frameAt(1, A);
  const c = k.objects.get("file:/c")!, d = k.objects.get("file:/d")!;
  const names = ["pages_reclaimed", "file_write_pages", "swap_out_pages", "pte_walks"] as const;
  // First look: each accessed once: a second chance, one walk each, nothing freed.
  for (const f of [clean, dirty, an]) deepStrictEqual(shrinkPage(k, f, false), 0);
  deepStrictEqual(r.pick([...names]), {
    pages_reclaimed: 0,
    file_write_pages: 0,
    swap_out_pages: 0,
    pte_walks: 3,
  });
  // Second look: nothing accessed: each unmapped (a walk to find the accessed bits clear, one to
  // unmap) and freed. The clean file page is dropped, the dirty one written to its file (the
  // dirty bit of its PTE moves to the page as it is unmapped), the anonymous page written to its
  // new slot 0.
  for (const f of [clean, dirty, an]) deepStrictEqual(shrinkPage(k, f, false), 1);
  deepStrictEqual(r.pick([...names]), {
    pages_reclaimed: 3,
    file_write_pages: 1,
    swap_out_pages: 1,
    pte_walks: 3 + 6,
  });
  // The file holds what the write (event 6) stored, slot 0 what the anonymous write (event 8) did.
  deepStrictEqual([c.pages.has(0), d.pages.has(0), d.disk.get(0)], [false, false, 6]);
  deepStrictEqual([r.frameAt(1, F), r.frameAt(1, B), r.slotAt(1, A), k.swap.stamp[0]], [
    -1,
    -1,
    0,
    8,
  ]);
  for (const f of [clean, dirty, an]) ok(k.frames.isFree(f));
  r.check();
});

Deno.test("shrinkPage, keepActive: an unmapped page is not walked, though an area covers it", () => {
  // Two pages of a file cached by read(2), then the file mapped but not touched: the area covers
  // both indices, no PTE maps them. Nothing to walk: no visit, no PTE looked at.
  const r = new KernelRig({ memPages: MEM, swapPages: 0 });
  r.run(
    new TraceBuilder().create(1, "file:/u", 2 * P).read(1, "file:/u", 0, 2 * P)
      .mmap(1, F, 2 * P, "r--", "shared", "file:/u", 0),
  );
  const k = r.k;
  const obj = k.objects.get("file:/u")!;
  const [u0, u1] = [obj.pages.get(0)!, obj.pages.get(1)!];
  const names = ["pte_walks", "rmap_vma_visits", "pages_reclaimed"] as const;
  deepStrictEqual(r.delta([...names], () => keepActive(k, u0, LRU.activeFile)), {
    result: false,
    pte_walks: 0,
    rmap_vma_visits: 0,
    pages_reclaimed: 0,
  });
  deepStrictEqual(r.delta([...names], () => shrinkPage(k, u0, false)), {
    result: 1,
    pte_walks: 0,
    rmap_vma_visits: 0,
    pages_reclaimed: 1,
  });
  deepStrictEqual(r.delta([...names], () => shrinkPage(k, u1, true)), {
    result: 1,
    pte_walks: 0,
    rmap_vma_visits: 0,
    pages_reclaimed: 1,
  });
  r.check();
});

Deno.test("shrinkPage: force (MADV_PAGEOUT) ignores the accessed bits", () => {
  const r = anon(2);
  const k = r.k;
  const [a0, a1] = frames(r, 2);
  // Accessed, never looked at: freed at once, with only the unmapping walk.
  const d = r.delta(["pages_reclaimed", "pte_walks"], () => shrinkPage(k, a1!, true));
  deepStrictEqual(d, { result: 1, pages_reclaimed: 1, pte_walks: 1 });
  // PG_referenced (from an earlier look) is no reason to keep it either.
  k.frames.flags[a0!]! |= PG.referenced;
  deepStrictEqual(shrinkPage(k, a0!, true), 1);
  deepStrictEqual([r.slotAt(1, A), r.slotAt(1, A + P)], [1, 0]);
  r.check();
});

Deno.test("shrinkPage: pinned pages are rotated, mlocked pages culled, without a walk", () => {
  const r = anon(3);
  const k = r.k;
  const [a0, a1, a2] = frames(r, 3);
  k.frames.flags[a0!]! |= PG.pinned;
  const d = r.delta(["pte_walks"], () => shrinkPage(k, a0!, false));
  // Pinned (an operation holds it): back to the head of its list, untouched.
  deepStrictEqual(d, { result: 0, pte_walks: 0 });
  deepStrictEqual(r.lru(LRU.inactiveAnon), [a1, a2, a0]);
  deepStrictEqual(r.pteAt(1, A) & PTE_A, PTE_A);
  deepStrictEqual(shrinkPage(k, a0!, true), 0); // force too
  deepStrictEqual(r.lru(LRU.inactiveAnon), [a1, a2, a0]);
  k.frames.flags[a0!]! &= ~PG.pinned;
  // PG_mlocked (folio_evictable false): to the unevictable list, no walk, still mapped.
  k.frames.flags[a1!]! |= PG.mlocked;
  const e = r.delta(["pte_walks"], () => shrinkPage(k, a1!, true));
  deepStrictEqual(e, { result: 0, pte_walks: 0 });
  deepStrictEqual([r.lru(LRU.inactiveAnon), r.lru(LRU.unevictable)], [[a2, a0], [a1]]);
  deepStrictEqual(r.frameAt(1, A + P), a1);
  k.frames.flags[a1!]! &= ~PG.mlocked;
  k.frames.lruMove(a1!, LRU.inactiveAnon);
  r.check();
});

Deno.test("shrinkPage: a page of a locked area is mlocked when a walk meets the area", () => {
  const r = anon(2);
  const k = r.k;
  const [a0, a1] = frames(r, 2);
  r.run(new TraceBuilder().fork(1, 2));
  // The child's area locked under the pages (as a racing mlock would leave it): the walk (parent
  // first, as the anon_vma's chain lists the areas) counts the parent's accessed bit, meets the
  // locked area and stops there; the page goes to the unevictable list, PG_mlocked, still mapped.
  r.mm(2).vmas[0]!.flags |= MapFlag.locked;
  deepStrictEqual(shrinkPage(k, a0!, false), 0);
  ok(k.frames.flags[a0!]! & PG.mlocked);
  deepStrictEqual([k.frames.lru[a0!], k.frames.mapcount[a0!]], [LRU.unevictable, 2]);
  // Force: no referenced walk; the page gets a slot, the unmapping walk takes the parent's PTE and
  // stops at the child's locked area: mlocked, in the swap cache, mapped by the child.
  const before = k.swap.used;
  deepStrictEqual(shrinkPage(k, a1!, true), 0);
  ok(k.frames.flags[a1!]! & PG.mlocked);
  ok(k.frames.flags[a1!]! & PG.swapCache);
  deepStrictEqual(
    [k.frames.lru[a1!], k.frames.mapcount[a1!], k.swap.used],
    [LRU.unevictable, 1, before + 1],
  );
  deepStrictEqual([r.frameAt(2, A + P), r.slotAt(1, A + P)], [a1, k.frames.swap[a1!]]);
  deepStrictEqual(r.c("pages_reclaimed"), 0);
  r.check();
});

Deno.test("shrinkActive: a batch from the tail of the active list, accessed bits and PG_referenced cleared", () => {
  const r = anon(40);
  const k = r.k;
  const fr = frames(r, 40);
  // All 40 activated oldest first (page 0 at the tail of the active list), PG_referenced set.
  for (const f of fr) {
    k.frames.lruMove(f!, LRU.activeAnon);
    k.frames.flags[f!]! |= PG.referenced;
  }
  const d = r.delta(["pte_walks"], () => shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon));
  // SWAP_CLUSTER_MAX pages from the tail, each walked (folio_referenced clears its bit), none kept:
  // pages 0..31 move to the inactive list, page 0 first (so at its tail), PG_referenced cleared.
  deepStrictEqual(d, { result: 32, pte_walks: 32 });
  deepStrictEqual([r.lru(LRU.inactiveAnon), r.lru(LRU.activeAnon)], [
    fr.slice(0, 32),
    fr.slice(32),
  ]);
  for (const f of fr.slice(0, 32)) deepStrictEqual(k.frames.flags[f!]! & PG.referenced, 0);
  for (const f of fr.slice(32)) ok(k.frames.flags[f!]! & PG.referenced);
  deepStrictEqual([r.pteAt(1, A) & PTE_A, r.pteAt(1, A + 32 * P) & PTE_A], [0, PTE_A]);
  // The rest: 8, then none.
  deepStrictEqual(shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon), 8);
  deepStrictEqual(shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon), 0);
  deepStrictEqual(r.sizes(), [40, 0, 0, 0, 0]);
  r.check();
});

Deno.test("shrinkActive: a page kept active on a short list is not met again in the same call", () => {
  // One referenced executable page alone on the active file list. Linux's shrink_active_list takes
  // its batch off the list first (isolate_lru_folios), so the page is judged once: kept (its
  // accessed bit cleared by the walk), back on the active list. Met again in the same call, with
  // the bit now clear, it would be deactivated.
  const r = new KernelRig({ memPages: MEM, swapPages: 0 });
  r.run(
    new TraceBuilder().create(1, "file:/bin", P).mmap(1, F, P, "r-x", "private", "file:/bin", 0)
      .x(1, F),
  );
  const exe = r.frameAt(1, F);
  r.k.frames.lruMove(exe, LRU.activeFile);
  const d = r.delta(["pte_walks"], () => shrinkActive(r.k, LRU.activeFile, LRU.inactiveFile));
  deepStrictEqual(d, { result: 1, pte_walks: 1 });
  deepStrictEqual([r.lru(LRU.activeFile), r.lru(LRU.inactiveFile)], [[exe], []]);
  r.check();
});

Deno.test("shrinkActive: a referenced executable file page stays; other pages go, mapped or not", () => {
  const X = "file:/bin";
  const r = new KernelRig({ memPages: MEM, swapPages: 64 });
  // An executable page accessed, an anonymous page of an executable area written, 40 pages of a
  // file read twice by read(2) (mark_page_accessed activated them, unmapped), and a page of a
  // data file mapped and read.
  r.run(
    new TraceBuilder().create(1, X, P).mmap(1, F, P, "r-x", "private", X, 0).x(1, F)
      .mmap(1, B, P, "rwx", "private,anon").w(1, B)
      .create(1, "file:/u", 40 * P).read(1, "file:/u", 0, 40 * P).read(1, "file:/u", 0, 40 * P)
      .create(1, "file:/d", P).mmap(1, F + 8 * P, P, "r--", "shared", "file:/d", 0).r(1, F + 8 * P),
  );
  const k = r.k;
  const exe = r.frameAt(1, F), anonExec = r.frameAt(1, B), data = r.frameAt(1, F + 8 * P);
  const obj = k.objects.get("file:/u")!;
  const u = Array.from({ length: 40 }, (_, i) => obj.pages.get(i)!);
  deepStrictEqual(r.lru(LRU.activeFile), u);
  // At the tail of the active list, a mapped page of a file not executable, accessed: deactivated
  // (a walk); then the executable page: kept (one walk, its bit cleared), back to the head; the
  // next 30 pages, unmapped, deactivated without a walk: 32 scanned.
  k.frames.lruMoveTail(exe, LRU.activeFile);
  k.frames.lruMoveTail(data, LRU.activeFile);
  const d = r.delta(["pte_walks"], () => shrinkActive(k, LRU.activeFile, LRU.inactiveFile));
  deepStrictEqual(d, { result: 32, pte_walks: 2 });
  deepStrictEqual([r.lru(LRU.activeFile), r.lru(LRU.inactiveFile)], [
    [...u.slice(30), exe],
    [data, ...u.slice(0, 30)],
  ]);
  deepStrictEqual(r.pteAt(1, F) & PTE_A, 0);
  // Not accessed since: it goes with the last 10 (its walk finds no bit).
  deepStrictEqual(r.delta(["pte_walks"], () => shrinkActive(k, LRU.activeFile, LRU.inactiveFile)), {
    result: 11,
    pte_walks: 1,
  });
  deepStrictEqual(r.lru(LRU.inactiveFile), [data, ...u, exe]);
  // An accessed anonymous page of an executable area is no executable file page: it goes.
  k.frames.lruMove(anonExec, LRU.activeAnon);
  deepStrictEqual(shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon), 1);
  deepStrictEqual(k.frames.lru[anonExec], LRU.inactiveAnon);
  deepStrictEqual(r.pteAt(1, B) & PTE_A, 0);
  r.check();
});

Deno.test("shrinkActive: a pinned page goes back to the head; a locked area's page is mlocked", () => {
  const r = anon(33);
  const k = r.k;
  const fr = frames(r, 33);
  for (const f of fr) k.frames.lruMove(f!, LRU.activeAnon);
  // Pinned at the tail: to the head without a walk, counted; then 31 pages walked and moved.
  k.frames.flags[fr[0]!]! |= PG.pinned;
  const d = r.delta(["pte_walks"], () => shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon));
  deepStrictEqual(d, { result: 32, pte_walks: 31 });
  deepStrictEqual([r.lru(LRU.activeAnon), r.lru(LRU.inactiveAnon)], [
    [fr[32], fr[0]],
    fr.slice(1, 32),
  ]);
  deepStrictEqual(r.pteAt(1, A) & PTE_A, PTE_A);
  k.frames.flags[fr[0]!]! &= ~PG.pinned;
  // In a locked area: mlocked (unevictable) rather than deactivated, after a walk.
  r.mm(1).vmas[0]!.flags |= MapFlag.locked;
  deepStrictEqual(keepActive(k, fr[0]!, LRU.activeAnon), true);
  const e = r.delta(["pte_walks"], () => shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon));
  deepStrictEqual(e, { result: 1, pte_walks: 1 });
  deepStrictEqual(r.lru(LRU.unevictable), [fr[0], fr[32]]);
  for (const f of [fr[0]!, fr[32]!]) ok(k.frames.flags[f]! & PG.mlocked);
  // An unmapped page is not walked; not pinned, it is not kept.
  const q = new KernelRig({ memPages: MEM, swapPages: 0 });
  q.run(new TraceBuilder().create(1, "file:/u", P).read(1, "file:/u", 0, P));
  const f = q.k.objects.get("file:/u")!.pages.get(0)!;
  deepStrictEqual(q.delta(["pte_walks"], () => keepActive(q.k, f, LRU.activeFile)), {
    result: false,
    pte_walks: 0,
  });
});

Deno.test("shrinkLists: an inactive list shorter than its active list is topped up first", () => {
  // Anonymous: 4 pages on the inactive list, 8 on the active list, every PTE accessed.
  const r = anon(12);
  const k = r.k;
  const fr = frames(r, 12);
  for (const f of fr.slice(4)) k.frames.lruMove(f!, LRU.activeAnon);
  // inactive_is_low (4 < 8): shrink_active_list moves the 8, clearing their bits (8 walks), to the
  // head. The scan then gives pages 0..3 their second chance (4 walks) and frees the first two
  // moved, pages 4 and 5 (a walk and an unmapping each).
  const d = r.delta(["pte_walks", "pages_reclaimed"], () => shrinkLists(k, 2));
  deepStrictEqual(d, { result: 2, pte_walks: 8 + 4 + 4, pages_reclaimed: 2 });
  deepStrictEqual(r.lru(LRU.inactiveAnon), [...fr.slice(6), ...fr.slice(0, 4)]);
  deepStrictEqual(r.sizes(), [10, 0, 0, 0, 0]);
  deepStrictEqual([r.slotAt(1, A + 4 * P), r.slotAt(1, A + 5 * P)], [0, 1]);
  r.check();
});

Deno.test("shrinkLists: the file lists are balanced the same way, unmapped pages freed as found", () => {
  const r = new KernelRig({ memPages: MEM, swapPages: 0 });
  // An 8-page file read around whole by the first read(2) (fault-free, unmapped pages): pages
  // 0..2 read once (PG_referenced), 3..7 twice (activated, page 3 first).
  r.run(
    new TraceBuilder().create(1, "file:/f", 8 * P).read(1, "file:/f", 0, 3 * P)
      .read(1, "file:/f", 3 * P, 5 * P).read(1, "file:/f", 3 * P, 5 * P),
  );
  const k = r.k;
  const obj = k.objects.get("file:/f")!;
  const fr = Array.from({ length: 8 }, (_, i) => obj.pages.get(i)!);
  deepStrictEqual([r.lru(LRU.inactiveFile), r.lru(LRU.activeFile)], [fr.slice(0, 3), fr.slice(3)]);
  // 3 < 5: the five deactivated first (to the head), then pages 0 and 1 freed: nobody maps them,
  // so PG_referenced alone does not keep them (no PTE was accessed).
  const d = r.delta(["pte_walks", "pages_reclaimed", "file_write_pages"], () => shrinkLists(k, 2));
  deepStrictEqual(d, { result: 2, pte_walks: 0, pages_reclaimed: 2, file_write_pages: 0 });
  deepStrictEqual([r.lru(LRU.inactiveFile), r.sizes()], [[fr[2], ...fr.slice(3)], [0, 0, 6, 0, 0]]);
  deepStrictEqual([...obj.pages.keys()].sort(), [2, 3, 4, 5, 6, 7]);
  r.check();
  // 4 and 4: the inactive list is not short, the active pages stay where they are.
  const q = new KernelRig({ memPages: MEM, swapPages: 0 });
  q.run(
    new TraceBuilder().create(1, "file:/f", 8 * P).read(1, "file:/f", 0, 4 * P)
      .read(1, "file:/f", 4 * P, 4 * P).read(1, "file:/f", 4 * P, 4 * P),
  );
  deepStrictEqual(q.sizes(), [0, 0, 4, 4, 0]);
  deepStrictEqual(shrinkLists(q.k, 2), 2);
  deepStrictEqual(q.sizes(), [0, 0, 2, 4, 0]);
});

Deno.test("shrinkLists: a mapped file page accessed gets its second chance, an unmapped one goes", () => {
  // The mapped page (older, at the tail) is accessed: PG_referenced, back to the head (a walk);
  // the unmapped page behind it is freed.
  const r = new KernelRig({ memPages: MEM, swapPages: 0 });
  r.run(
    new TraceBuilder().create(1, "file:/m", P).mmap(1, F, P, "r--", "private", "file:/m", 0)
      .r(1, F).create(1, "file:/u", P).read(1, "file:/u", 0, P),
  );
  const k = r.k;
  const m = r.frameAt(1, F);
  deepStrictEqual(r.lru(LRU.inactiveFile), [m, k.objects.get("file:/u")!.pages.get(0)]);
  deepStrictEqual(r.delta(["pte_walks"], () => shrinkLists(k, 1)), { result: 1, pte_walks: 1 });
  deepStrictEqual([r.lru(LRU.inactiveFile), k.objects.get("file:/u")!.pages.size], [[m], 0]);
  ok(k.frames.flags[m]! & PG.referenced);
  r.check();
});

Deno.test("shrinkLists: the file list is scanned a batch at a time before the anonymous one", () => {
  const r = anon(8);
  // 40 unmapped clean file pages, read once, and the 8 accessed anonymous pages.
  r.run(new TraceBuilder().create(1, "file:/f", 40 * P).read(1, "file:/f", 0, 40 * P));
  const k = r.k;
  deepStrictEqual(r.sizes(), [8, 0, 40, 0, 0]);
  // A batch of 32 file pages freed, then the anonymous batch: 8 second chances (each page once:
  // a batch is taken off the list, isolate_lru_folios); the next round frees the 8 file pages left:
  // 40, nothing written.
  let d = r.delta(["pte_walks", "pages_reclaimed", "swap_out_pages"], () => shrinkLists(k, 40));
  deepStrictEqual(d, { result: 40, pte_walks: 8, pages_reclaimed: 40, swap_out_pages: 0 });
  deepStrictEqual(r.sizes(), [8, 0, 0, 0, 0]);
  // A target under a batch stops the file scan at it, and the anonymous scan does not start.
  const q = anon(8);
  q.run(new TraceBuilder().create(1, "file:/f", 40 * P).read(1, "file:/f", 0, 40 * P));
  d = q.delta(["pte_walks", "pages_reclaimed", "swap_out_pages"], () => shrinkLists(q.k, 3));
  deepStrictEqual(d, { result: 3, pte_walks: 0, pages_reclaimed: 3, swap_out_pages: 0 });
  deepStrictEqual(q.sizes(), [8, 0, 37, 0, 0]);
  q.check();
  // 40 file pages and 40 anonymous pages, target 70. Round 1: file pages 0..31 freed, anonymous
  // pages 0..31 given their second chance (32 walks). Round 2: file pages 32..39 freed (40), then
  // anonymous pages 32..39 their second chance (8 walks), and the batch's other 24 looks free
  // anonymous pages 0..23 (64). Round 3: pages 24..29 (70). 30 anonymous pages written and freed,
  // each with a walk to find its bit clear and one to unmap it.
  const w = anon(40);
  w.run(new TraceBuilder().create(1, "file:/f", 40 * P).read(1, "file:/f", 0, 40 * P));
  d = w.delta(["pte_walks", "pages_reclaimed", "swap_out_pages"], () => shrinkLists(w.k, 70));
  deepStrictEqual(d, { result: 70, pte_walks: 40 + 60, pages_reclaimed: 70, swap_out_pages: 30 });
  deepStrictEqual(w.lru(LRU.inactiveAnon), frames(w, 40).slice(30));
  w.check();
});

Deno.test("shrinkLists: a file batch is 32 pages, then the anonymous list's turn", () => {
  // 33 clean file pages and 8 accessed anonymous pages, 33 wanted. Round 1: 32 file pages freed
  // (a batch), then the anonymous batch: its 8 pages given their second chance (8 walks). Round
  // 2: the 33rd file page, 33, done. A file batch of 33 would have reached the target before the
  // anonymous list's turn.
  const r = anon(8);
  r.run(new TraceBuilder().create(1, "file:/f", 33 * P).read(1, "file:/f", 0, 33 * P));
  const d = r.delta(["pte_walks", "pages_reclaimed"], () => shrinkLists(r.k, 33));
  deepStrictEqual(d, { result: 33, pte_walks: 8, pages_reclaimed: 33 });
  deepStrictEqual(r.sizes(), [8, 0, 0, 0, 0]);
  r.check();
});

Deno.test("shrinkLists: with no swap, anonymous pages bounce until 4 × LRU pages + 64 are scanned", () => {
  // 64 anonymous pages, no swap device: none can be written, so each one the scan meets goes to
  // the active list (n counts it), and the active list, longer, sends 32 back each round.
  //   round 1: 32 to the active list (scanned 32); round 2: the other 32 (64);
  //   rounds 3..6: 32 back to the inactive list (32 walks) and 32 to the active list again: 64
  //   each, 128, 192, 256, 320, the limit 4 × 64 + 64 = 320: stop.
  // 4 rounds of 32 walks; every page ends on the active list; nothing freed.
  const r = anon(64, 0);
  const k = r.k;
  const d = r.delta(["pte_walks", "pages_reclaimed"], () => shrinkLists(k, 10));
  deepStrictEqual(d, { result: 0, pte_walks: 128, pages_reclaimed: 0 });
  deepStrictEqual(r.sizes(), [0, 64, 0, 0, 0]);
  r.check();
});

Deno.test("shrinkLists: the scan limit counts every list, active ones included", () => {
  // As above, but 32 of the 64 pages start on the active list: the limit is the same, 320.
  //   round 1: the 32 inactive to the active list (32); rounds 2..6: 32 back (32 walks), 32 to
  //   the active list again: 96, 160, 224, 288, 352: 5 rounds of 32 walks.
  const r = anon(64, 0);
  const k = r.k;
  for (const f of frames(r, 64).slice(32)) k.frames.lruMove(f!, LRU.activeAnon);
  deepStrictEqual(r.delta(["pte_walks"], () => shrinkLists(k, 10)), { result: 0, pte_walks: 160 });
  // With 33 pinned file pages, 32 active and 1 inactive: the limit 4 × (64 + 33) + 64 = 452.
  // Each round: the file list topped up (1 < 32): 32 looked at and kept (pinned); the one
  // inactive file page looked at once (a batch is taken off the list) and kept; then the
  // anonymous pages as above.
  //   round 1: 32 + 1 + 32 = 65; round 2: 130; round 3: 32 + 32 (32 walks) + 1 + 32 = 227;
  //   round 4: 324 (64 walks); round 5: 421 (96); round 6: 518 (128 walks), stop.
  const q = anon(64, 0);
  q.run(
    new TraceBuilder().create(1, "file:/f", 33 * P).read(1, "file:/f", 0, 33 * P)
      .read(1, "file:/f", 0, 33 * P),
  );
  const obj = q.k.objects.get("file:/f")!;
  for (const f of obj.pages.values()) q.k.frames.flags[f]! |= PG.pinned;
  q.k.frames.lruMove(obj.pages.get(0)!, LRU.inactiveFile);
  deepStrictEqual(q.sizes(), [64, 0, 1, 32, 0]);
  deepStrictEqual(q.delta(["pte_walks"], () => shrinkLists(q.k, 10)), {
    result: 0,
    pte_walks: 128,
  });
  deepStrictEqual(q.sizes(), [0, 64, 1, 32, 0]);
});

Deno.test("shrinkLists: pages the rmap cannot unmap bounce between the lists until the limit", () => {
  // A strategy whose walks find nothing while `miss` is on (try_to_unmap failing): every page
  // looked at is activated, after a walk for its references and one to unmap it; each time the
  // active list is longer its pages go back, after a walk each. 8 pages: limit 4 × 8 + 64 = 96.
  //   round 1: 8 looked at (16 walks; anonymous pages get slots): 8;
  //   rounds 2..7: 8 moved back (8 walks) and 8 looked at (16): 24, 40, 56, 72, 88, 104: stop.
  // 16 + 6 × 24 = 160 walks, as many for file pages as for anonymous ones.
  let miss = false, walks = 0;
  const done = registerWrapped("vmscan_miss_all", "anon_vma_chain", (f, v, inner) => {
    if (!miss) return inner(f, v);
    walks++;
  });
  try {
    const r = anon(8, 64, { strategy: "vmscan_miss_all" });
    miss = true;
    deepStrictEqual(shrinkLists(r.k, 4), 0);
    deepStrictEqual([walks, r.sizes(), r.k.swap.used], [160, [0, 8, 0, 0, 0], 8]);
    miss = false;
    const q = new KernelRig({ memPages: MEM, swapPages: 0, strategy: "vmscan_miss_all" });
    const t = new TraceBuilder().create(1, "file:/f", 8 * P);
    q.run(t.mmap(1, F, 8 * P, "r--", "private", "file:/f", 0).r(1, F, 8 * P));
    deepStrictEqual(q.sizes(), [0, 0, 8, 0, 0]);
    miss = true;
    walks = 0;
    deepStrictEqual(shrinkLists(q.k, 4), 0);
    deepStrictEqual([walks, q.sizes()], [160, [0, 0, 0, 8, 0]]);
  } finally {
    miss = false;
    done();
  }
});

Deno.test("shrinkLists: nothing inactive and every active page kept: the active lists aged whole", () => {
  // 32 executable file pages, accessed, on the active list (exactly a batch: each looked at
  // once). Round 1: the file list topped up: all 32 kept (referenced, executable: 32 walks), so
  // nothing is inactive; shrink_lruvec ages the active lists again: their bits now clear, all 32
  // move (32 walks). Round 2: the 5 oldest freed (a walk and an unmapping each).
  const X = "file:/bin";
  const r = new KernelRig({ memPages: MEM, swapPages: 0 });
  r.run(
    new TraceBuilder().create(1, X, 32 * P).mmap(1, F, 32 * P, "r-x", "private", X, 0)
      .x(1, F, 32 * P),
  );
  const k = r.k;
  const fr = frames(r, 32, F);
  for (const f of fr) k.frames.lruMove(f!, LRU.activeFile);
  const d = r.delta(["pte_walks", "pages_reclaimed"], () => shrinkLists(k, 5));
  deepStrictEqual(d, { result: 5, pte_walks: 32 + 32 + 10, pages_reclaimed: 5 });
  deepStrictEqual([r.lru(LRU.inactiveFile), r.sizes()], [fr.slice(5), [0, 0, 27, 0, 0]]);
  r.check();
});

Deno.test("shrinkLists: nothing on the lists, nothing to do", () => {
  const r = new KernelRig({ memPages: MEM, swapPages: 64 });
  deepStrictEqual(shrinkLists(r.k, 32), 0);
  // Active pages only, all pinned: each round looks at them and keeps them, until the limit.
  const q = anon(2);
  const [a0, a1] = frames(q, 2);
  for (const f of [a0!, a1!]) {
    q.k.frames.lruMove(f, LRU.activeAnon);
    q.k.frames.flags[f]! |= PG.pinned;
  }
  const d = q.delta(["pte_walks"], () => shrinkLists(q.k, 32));
  deepStrictEqual(d, { result: 0, pte_walks: 0 });
  deepStrictEqual(q.sizes(), [0, 2, 0, 0, 0]);
});

Deno.test("shrinkLists: swap full: pages in the swap cache are still freed, the others activated", () => {
  // 16 slots. Area A: 8 pages paged out (slots 0..7), pages 0..3 read back (page_cluster 0: one
  // page a fault): exclusive, and swap not more than half full (vm_swap_full), so they stay in
  // the swap cache, clean. Area B: 8 pages paged out: slots 8..15, swap full. Area F: 4 new
  // pages, not in the swap cache.
  const r = new KernelRig({ memPages: MEM, swapPages: 16, vm: { page_cluster: 0 } });
  r.run(
    new TraceBuilder().mmap(1, A, 8 * P, "rw-", "private,anon").w(1, A, 8 * P)
      .madvise(1, A, 8 * P, "pageout").r(1, A, 4 * P)
      .mmap(1, B, 8 * P, "rw-", "private,anon").w(1, B, 8 * P).madvise(1, B, 8 * P, "pageout")
      .mmap(1, F, 4 * P, "rw-", "private,anon").w(1, F, 4 * P),
  );
  const k = r.k;
  const cached = frames(r, 4), fresh = frames(r, 4, F);
  deepStrictEqual([k.swap.used, k.swap.total], [16, 16]);
  for (const f of cached) ok(k.frames.flags[f]! & PG.swapCache);
  deepStrictEqual(r.lru(LRU.inactiveAnon), [...cached, ...fresh]);
  // The swap-cache pages: a second chance (4 walks), the 4 new pages straight to the active list
  // (no slot for them: not even walked), then the swap-cache pages again: unmapped and freed
  // without a write, their slots' contents still good (4 walks, 4 unmappings).
  const d = r.delta(
    ["pte_walks", "pages_reclaimed", "swap_out_pages"],
    () => shrinkLists(k, 4),
  );
  deepStrictEqual(d, { result: 4, pte_walks: 12, pages_reclaimed: 4, swap_out_pages: 0 });
  deepStrictEqual([r.lru(LRU.inactiveAnon), r.lru(LRU.activeAnon)], [[], fresh]);
  for (let p = 0; p < 4; p++) deepStrictEqual(r.slotAt(1, A + p * P), p);
  deepStrictEqual(k.swap.used, 16);
  r.check();
});

Deno.test("shrinkPage: a swap-cache page on a device being emptied moves to another device", () => {
  // Device a (priority 5) takes the pageout; b (priority 1) is the other. Page 0 read back:
  // mapped, in the swap cache, its slot referenced by nothing else (the child forked after the
  // pageout unmapped it). Page 1 is shared with the child: read back by the parent, the child's
  // PTE still holds the slot.
  const r = new KernelRig({ memPages: MEM, swapPages: 0, vm: { page_cluster: 0 } });
  r.run(
    new TraceBuilder().swapon("a", 8 * P, 5).swapon("b", 8 * P, 1)
      .mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A, 2 * P).madvise(1, A, 2 * P, "pageout")
      .fork(1, 2).munmap(2, A, P).r(1, A, 2 * P),
  );
  const k = r.k;
  const [p0, p1] = frames(r, 2);
  const a = k.swap.find("a")!, b = k.swap.find("b")!;
  deepStrictEqual([k.frames.swap[p0!], k.frames.swap[p1!], k.swap.refs[0], k.swap.refs[1]], [
    0,
    1,
    0,
    1,
  ]);
  a.removing = true; // swapoff of a under way (try_to_unuse)
  // Page 0: its slot given up (freed), a new slot on b, the page dirty again and written there.
  // Page 1: the child still needs slot 1, so the page keeps it and is freed without a write.
  const d = r.delta(
    ["swap_out_pages", "pages_reclaimed"],
    () => [shrinkPage(k, p0!, true), shrinkPage(k, p1!, true)],
  );
  deepStrictEqual(d, { result: [1, 1], swap_out_pages: 1, pages_reclaimed: 2 });
  deepStrictEqual([r.slotAt(1, A), r.slotAt(1, A + P), r.slotAt(2, A + P)], [b.base, 1, 1]);
  deepStrictEqual([a.used, b.used, k.swap.refs[1]], [1, 1, 2]);
  // On a device not being emptied, a swap-cache page keeps its slot: freed without a write.
  a.removing = false;
  r.run(new TraceBuilder().r(2, A + P));
  const c = r.frameAt(2, A + P);
  deepStrictEqual([k.frames.swap[c], k.swap.refs[1]], [1, 1]);
  deepStrictEqual(r.delta(["swap_out_pages"], () => shrinkPage(k, c, true)), {
    result: 1,
    swap_out_pages: 0,
  });
});

Deno.test("shrinkPage: no slot left: the anonymous page is activated and stays mapped", () => {
  const r = anon(2, 1);
  const k = r.k;
  const [a0, a1] = frames(r, 2);
  // One slot: page 0 takes it; page 1 finds none: activated (no room to write it), still mapped.
  deepStrictEqual([shrinkPage(k, a0!, true), shrinkPage(k, a1!, true)], [1, 0]);
  deepStrictEqual([r.slotAt(1, A), r.frameAt(1, A + P), k.frames.lru[a1!]], [
    0,
    a1,
    LRU.activeAnon,
  ]);
  deepStrictEqual(k.frames.flags[a1!]! & PG.swapCache, 0);
  r.check();
});

Deno.test("shrinkPage: a page the unmapping walk could not wholly unmap is activated", () => {
  // A strategy whose walk finds nothing while `miss` is on (try_to_unmap failing): the page got
  // its slot, but a PTE still maps it, in no locked area: activated, not freed, its slot kept.
  let miss = false;
  const done = registerWrapped("vmscan_miss", "anon_vma_chain", (f, v, inner) => {
    if (!miss) inner(f, v);
  });
  try {
    const r = anon(1, 64, { strategy: "vmscan_miss" });
    const k = r.k;
    const [a0] = frames(r, 1);
    miss = true;
    deepStrictEqual(shrinkPage(k, a0!, true), 0);
    miss = false;
    deepStrictEqual([k.frames.lru[a0!], k.frames.mapcount[a0!], r.frameAt(1, A)], [
      LRU.activeAnon,
      1,
      a0,
    ]);
    ok(k.frames.flags[a0!]! & PG.swapCache);
    deepStrictEqual(k.frames.flags[a0!]! & PG.mlocked, 0);
    r.check();
  } finally {
    done();
  }
});

/** A tmpfs page, a shared anonymous page and a dirty file page, written by process 1. */
function objects(cfg: Partial<ConstructorParameters<typeof KernelRig>[0]> = {}) {
  const r = new KernelRig({ memPages: MEM, swapPages: 8, ...cfg });
  r.run(
    new TraceBuilder().write(1, "tmpfs:/t", 0, P).mmap(1, B, P, "rw-", "shared,anon").w(1, B)
      .write(1, "file:/f", 0, P).write(1, "tmpfs:/t", P, P),
  );
  const k = r.k;
  const t = k.objects.get("tmpfs:/t")!, f = k.objects.get("file:/f")!;
  const sh = r.frameAt(1, B);
  return { r, k, t, f, sh, tmp: t.pages.get(0)!, tmp1: t.pages.get(1)!, file: f.pages.get(0)! };
}

Deno.test("reclaimUnmapped: tmpfs and shared anonymous pages go to swap, file pages to their file", () => {
  // A dedicated device of 2 slots for shared anonymous memory (slots 0..1, made first), the
  // default device after it (slots 2..9).
  const { r, k, t, f, sh, tmp, file } = objects({ sharedAnonSwapPages: 2 });
  const names = [
    "pages_reclaimed",
    "swap_out_pages",
    "file_write_pages",
    "swap_io_requests",
  ] as const;
  // The tmpfs page (event 1): a slot of the default device, written, its object's swap map
  // pointing at it, referenced once (by that map), the frame freed.
  let d = r.delta([...names], () => reclaimUnmapped(k, tmp));
  deepStrictEqual(d, {
    result: 1,
    pages_reclaimed: 1,
    swap_out_pages: 1,
    file_write_pages: 0,
    swap_io_requests: 1,
  });
  deepStrictEqual([t.pages.has(0), t.swap.get(0), k.swap.refs[2], k.swap.stamp[2]], [
    false,
    2,
    1,
    1,
  ]);
  ok(k.frames.isFree(tmp));
  // The shared anonymous page (written by event 3), unmapped by force first: a slot of the
  // dedicated device, slot 0.
  d = r.delta([...names], () => shrinkPage(k, sh, true));
  deepStrictEqual(d, {
    result: 1,
    pages_reclaimed: 1,
    swap_out_pages: 1,
    file_write_pages: 0,
    swap_io_requests: 1,
  });
  const shObj = k.objAt[[...k.objById.keys()].find((id) => k.objAt[id]!.kind === "anon")!]!;
  deepStrictEqual([shObj.swap.get(0), k.swap.refs[0], k.swap.stamp[0], r.frameAt(1, B)], [
    0,
    1,
    3,
    -1,
  ]);
  // A private anonymous page is no shared anonymous memory: the default device, slot 3.
  r.run(new TraceBuilder().mmap(1, A, P, "rw-", "private,anon").w(1, A));
  deepStrictEqual(shrinkPage(k, r.frameAt(1, A), true), 1);
  deepStrictEqual(r.slotAt(1, A), 3);
  // The dirty file page (event 4): written to its file, no slot.
  d = r.delta([...names], () => reclaimUnmapped(k, file));
  deepStrictEqual(d, {
    result: 1,
    pages_reclaimed: 1,
    swap_out_pages: 0,
    file_write_pages: 1,
    swap_io_requests: 0,
  });
  deepStrictEqual([f.pages.has(0), f.disk.get(0), f.shadow.size, k.swap.used], [false, 4, 0, 3]);
  deepStrictEqual(k.nrAge, 0); // no memory cgroup: no shadows
  r.check();
});

Deno.test("reclaimUnmapped: a clean file page is dropped; no slot for a tmpfs page: activated", () => {
  const { r, k, t, file, tmp, tmp1 } = objects({ swapPages: 1 });
  // Written back first (fsync): clean, dropped without a write.
  r.run(new TraceBuilder().fsync(1, "file:/f"));
  deepStrictEqual(
    r.delta(["file_write_pages", "pages_reclaimed"], () => reclaimUnmapped(k, file)),
    {
      result: 1,
      file_write_pages: 0,
      pages_reclaimed: 1,
    },
  );
  // One slot: tmpfs page 0 takes it; page 1 finds none and is activated, still cached.
  deepStrictEqual([reclaimUnmapped(k, tmp), reclaimUnmapped(k, tmp1)], [1, 0]);
  deepStrictEqual([t.pages.get(1), k.frames.lru[tmp1], t.swap.has(1)], [
    tmp1,
    LRU.activeAnon,
    false,
  ]);
  r.check();
});

Deno.test("reclaimUnmapped: an unmapped anonymous page outside the swap cache is not freed", () => {
  // It cannot be: its contents are nowhere else (the machine frees such a page when unmapped).
  const r = anon(1);
  const [a0] = frames(r, 1);
  deepStrictEqual(reclaimUnmapped(r.k, a0!), 0);
  deepStrictEqual([r.frameAt(1, A), r.k.frames.lru[a0!], r.c("pages_reclaimed")], [
    a0,
    LRU.inactiveAnon,
    0,
  ]);
});

Deno.test("reclaimUnmapped: in a memory cgroup, freed pages leave shadows; writes complete later", () => {
  // memcg: late writeback (a strategy with an rmap). nonresident_age starts at 0: shadows 0, 2,
  // 4, ... (age × 2, +1 for a page that was active: PG_workingset).
  const { r, k, t, f, tmp, tmp1, file } = objects({ vm: { memcg: true } });
  ok(k.lateWriteback);
  // The dirty file page: not written (reclaim other than kswapd's leaves it to the flusher) but
  // marked PG_reclaim and activated.
  deepStrictEqual(reclaimUnmapped(k, file), 0);
  deepStrictEqual(
    [k.frames.flags[file]! & (PG.dirty | PG.reclaim), k.frames.lru[file], f.disk.get(0)],
    [PG.dirty | PG.reclaim, LRU.activeFile, undefined],
  );
  // Once written back, clean: freed, its shadow (age 0) in its object; the age moves to 1.
  k.frames.flags[file]! &= ~(PG.dirty | PG.reclaim);
  deepStrictEqual(reclaimUnmapped(k, file), 1);
  deepStrictEqual([f.shadow.get(0), k.nrAge], [0, 1]);
  // The tmpfs page, written (not zero-filled): its write starts, the page stays in the swap
  // cache (PG_writeback, at the head of its list) until it completes; the object points at the
  // slot already. No shadow yet.
  const d = r.delta(["pages_reclaimed", "swap_out_pages"], () => reclaimUnmapped(k, tmp));
  deepStrictEqual(d, { result: 0, pages_reclaimed: 0, swap_out_pages: 1 });
  const slot = t.swap.get(0)!;
  deepStrictEqual([t.pages.has(0), k.swap.cache[slot], k.frames.swap[tmp], k.inFlight], [
    false,
    tmp,
    slot,
    [tmp],
  ]);
  deepStrictEqual(
    k.frames.flags[tmp]! & (PG.pageCache | PG.dirty | PG.swapCache | PG.writeback),
    PG.swapCache | PG.writeback,
  );
  deepStrictEqual(k.frames.lruHead[LRU.inactiveAnon], tmp);
  // Written: the next reclaim frees it without writing again; its slot, referenced by the
  // object, keeps the shadow (age 1, not active: 2).
  k.frames.flags[tmp]! &= ~PG.writeback;
  k.inFlight.length = 0;
  k.inFlightAt.length = 0;
  const e = r.delta(["pages_reclaimed", "swap_out_pages"], () => reclaimUnmapped(k, tmp));
  deepStrictEqual(e, { result: 1, pages_reclaimed: 1, swap_out_pages: 0 });
  deepStrictEqual([k.swap.shadow[slot], k.nrAge, k.swap.cache[slot], k.swap.refs[slot]], [
    2,
    2,
    NONE,
    1,
  ]);
  // tmpfs page 1 zero-filled (stamp 0, as never written): nothing to write, so freed at once.
  k.frames.stamp[tmp1] = 0;
  const e1 = r.delta(["pages_reclaimed", "swap_out_pages"], () => reclaimUnmapped(k, tmp1));
  deepStrictEqual(e1, { result: 1, pages_reclaimed: 1, swap_out_pages: 0 });
  deepStrictEqual([k.inFlight, t.pages.has(1), k.swap.stamp[t.swap.get(1)!]], [[], false, 0]);
  ok(k.frames.isFree(tmp1));
  r.check();
});

Deno.test("reclaimUnmapped: in a memory cgroup a dirty swap-cache page is written, freed once written", () => {
  const r = anon(2, 64, { vm: { memcg: true } });
  const k = r.k;
  const [a0, a1] = frames(r, 2);
  // Unmapped by force, with its write started: in the swap cache, clean, under writeback.
  deepStrictEqual(shrinkPage(k, a0!, true), 0);
  deepStrictEqual([r.c("swap_out_pages"), r.slotAt(1, A), k.frames.swap[a0!]], [1, 0, 0]);
  deepStrictEqual(
    k.frames.flags[a0!]! & (PG.dirty | PG.swapCache | PG.writeback),
    PG.swapCache | PG.writeback,
  );
  // The write done: freed without another write; the PTE holds the slot, which keeps the shadow
  // (age 0; PG_workingset marks the page as once active: 0 × 2 + 1).
  k.frames.flags[a0!]! = (k.frames.flags[a0!]! & ~PG.writeback) | PG.workingset;
  deepStrictEqual(reclaimUnmapped(k, a0!), 1);
  deepStrictEqual([r.c("swap_out_pages"), k.swap.shadow[0], k.nrAge, k.swap.cache[0]], [
    1,
    1,
    1,
    NONE,
  ]);
  ok(k.frames.isFree(a0!));
  // A zero-filled page (never written: stamp 0) is not written at all, so it goes at once.
  k.frames.stamp[a1!] = 0;
  deepStrictEqual(shrinkPage(k, a1!, true), 1);
  deepStrictEqual([r.c("swap_out_pages"), r.slotAt(1, A + P), k.swap.stamp[1]], [1, 1, 0]);
});

Deno.test("writeSlot: adjacent slots are one request; a zero-filled page is not written", () => {
  const r = anon(2);
  const k = r.k;
  const [a0, a1] = frames(r, 2);
  k.frames.stamp[a1!] = 0;
  // Slots 0..9 taken (so that the per-slot arrays hold them), as reclaim would have.
  const slots = Array.from({ length: 10 }, () => k.swap.alloc());
  deepStrictEqual(slots, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  k.ioLast = -2; // a new reclaim pass
  const d = r.delta(["swap_out_pages", "swap_io_requests"], () => {
    writeSlot(k, a0!, 5); // a new run
    writeSlot(k, a0!, 6); // next to 5: the same request
    writeSlot(k, a1!, 7); // zero-filled: only the stamp (zeromap), no write
    writeSlot(k, a0!, 8); // the last slot written is 6: a new request
    writeSlot(k, a0!, 9);
  });
  deepStrictEqual(d, { result: undefined, swap_out_pages: 4, swap_io_requests: 2 });
  deepStrictEqual([5, 6, 7, 8, 9].map((s) => k.swap.stamp[s]), [2, 2, 0, 2, 2]);
  deepStrictEqual(k.ioLast, 9);
});

Deno.test("reclaimUnmapped: a swap-cache page nothing refers to gives its slot back; pageFreed", () => {
  // The strategy hears pageFreed for anonymous pages only (the rmap's hold on them ends).
  const heard: number[] = [];
  const done = registerWrapped(
    "vmscan_spy",
    "anon_vma_chain",
    (f, v, inner) => inner(f, v),
    (s) => {
      const own = s.pageFreed.bind(s);
      s.pageFreed = (f) => {
        heard.push(f);
        own(f);
      };
    },
  );
  try {
    // 4 pages paged out (slots 0..3); page 1 read back, pages 0, 2, 3 read ahead into the swap
    // cache (not mapped, not yet anonymous pages: no rmap owner). Page 2's PTE then unmapped
    // while the page is pinned (as a readahead window holds its pages): its slot loses its last
    // reference, but the pinned page stays in the swap cache.
    const r = anon(4, 64, { strategy: "vmscan_spy" });
    r.run(new TraceBuilder().madvise(1, A, 4 * P, "pageout").r(1, A + P));
    const k = r.k;
    const [f1, f2] = [k.swap.cache[1]!, k.swap.cache[2]!];
    k.frames.flags[f2]! |= PG.pinned;
    r.run(new TraceBuilder().munmap(1, A + 2 * P, P));
    k.frames.flags[f2]! &= ~PG.pinned;
    deepStrictEqual([k.swap.refs[2], k.swap.cache[2], k.swap.used], [0, f2, 4]);
    heard.length = 0;
    // Page 2: freed, and its slot with it (clean: no write); not anonymous: no pageFreed.
    deepStrictEqual(r.delta(["swap_out_pages"], () => reclaimUnmapped(k, f2)), {
      result: 1,
      swap_out_pages: 0,
    });
    deepStrictEqual([k.swap.used, k.swap.inUse[2], heard], [3, 0, []]);
    // Page 1, mapped, anonymous: unmapped into its slot (referenced by the PTE: kept), freed,
    // and the strategy hears of it.
    deepStrictEqual(shrinkPage(k, f1, true), 1);
    deepStrictEqual([k.swap.used, k.swap.refs[1], heard], [3, 1, [f1]]);
    r.check();
  } finally {
    done();
  }
});
