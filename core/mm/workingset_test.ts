/**
 * `core/mm/workingset.ts` on small machines: refault detection as Linux 6.x's `mm/workingset.c`
 * does it. A page reclaim frees leaves a shadow, the eviction count (`nonresident_age`) at that
 * moment times two, plus one when the page had been active (PG_workingset), and ages the machine
 * by one (`workingset_eviction`); a page read back whose refault distance (the age now less its
 * eviction) is within the workingset goes straight to the active list and ages the machine again;
 * one that had been active is marked PG_workingset and counts as reclaim cost of its type
 * (`workingset_refault`, `workingset_test_recent`, `lru_note_cost_refault`). The workingset is the
 * active file list, plus the inactive file list for an anonymous page, plus, while swap has room,
 * the active anonymous list and, for a file page, the inactive anonymous one.
 *
 * The machine is a memory cgroup `Kernel` driven through system calls; its pages are freed with
 * the `reclaim` call (`memoryReclaim`). The list sizes the workingset is measured in are the
 * cgroup's flushed statistics (`Kernel.memcgStat`), which the machine never flushes (0): the tests
 * of the workingset's size set them as a flush would (a test hook on the Kernel's state).
 */
import { memcgKernel } from "../../tests/_syscalls.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { LRU, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { STAT_REFAULTS_ANON } from "./workingset.ts";
import { create, read, write } from "../sys/file.ts";
import { memoryReclaim } from "../sys/reclaim.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** The shadows of object `name`'s evicted pages, by page index. */
function fileShadows(k: Kernel, name: string): Record<number, number> {
  return Object.fromEntries(k.objects.get(name)!.shadow);
}

/** The shadows in the swap slots of tmpfs object `name`'s pages (-1: none), by page index. */
function swapShadows(k: Kernel, name: string): Record<number, number> {
  const o = k.objects.get(name)!;
  return Object.fromEntries([...o.swap].map(([i, slot]) => [i, k.swap.shadow[slot]!]));
}

/** The LRU list page `index` of object `name` is on. */
function listOf(k: Kernel, name: string, index: number): number {
  return k.frames.lru[k.objects.get(name)!.pages.get(index)!]!;
}

/**
 * 10 pages of a disk file read and reclaimed (swap as asked): all 10 freed, page 0 first (the
 * list's tail), so page i leaves shadow 2i and the machine's age is 10. Without swap: 10>>3 = 1,
 * 9>>2 = 2, 7>>1 = 3, 4 at priorities 3..0. With swap (SCAN_FRACT, file share 140 of 200): 2,
 * 3, 5 pages at priorities 2..0, the same order.
 */
function evictedFile(swap: number): Kernel {
  const k = memcgKernel(swap);
  create(k, "file:f", 10 * PAGE_SIZE);
  read(k, "file:f", 0, 10 * PAGE_SIZE);
  memoryReclaim(k, 32);
  deepStrictEqual(k.objects.get("file:f")!.pages.size, 0);
  return k;
}

Deno.test("a page freed leaves its eviction count, times two, as its shadow", () => {
  for (const swap of [0, 4096]) {
    const k = evictedFile(swap);
    deepStrictEqual(fileShadows(k, "file:f"), {
      0: 0,
      1: 2,
      2: 4,
      3: 6,
      4: 8,
      5: 10,
      6: 12,
      7: 14,
      8: 16,
      9: 18,
    });
    deepStrictEqual(k.nrAge, 10);
  }
});

Deno.test("a page that had been active leaves an odd shadow (PG_workingset)", () => {
  // 100 file pages on the active list, no swap: the reclaim's third pass deactivates them
  // (PG_workingset) and frees 55 (memcg_reclaim_test.ts): shadows 2 age + 1, ages 0..54.
  const k = memcgKernel(0);
  create(k, "file:f", 100 * PAGE_SIZE);
  read(k, "file:f", 0, 100 * PAGE_SIZE);
  read(k, "file:f", 0, 100 * PAGE_SIZE);
  memoryReclaim(k, 32);
  const shadows = Object.values(fileShadows(k, "file:f")).sort((a, b) => a - b);
  deepStrictEqual(shadows, Array.from({ length: 55 }, (_, age) => 2 * age + 1));
  deepStrictEqual(k.nrAge, 55);
  // Swap-backed pages likewise, in their swap slots: 8 tmpfs pages active (written twice) and 8
  // inactive, swappiness 200; an anonymous refault activation counted by the last flush (test
  // hook) ages the active list: its pages go inactive, PG_workingset. The inactive pages are
  // written and freed: even shadows; the active ones written, and freed by the next reclaim:
  // odd shadows.
  const a = memcgKernel(4096, 200);
  create(a, "tmpfs:a", 8 * PAGE_SIZE);
  write(a, "tmpfs:a", 0, 8 * PAGE_SIZE, 3);
  write(a, "tmpfs:a", 0, 8 * PAGE_SIZE, 4);
  create(a, "tmpfs:b", 8 * PAGE_SIZE);
  write(a, "tmpfs:b", 0, 8 * PAGE_SIZE, 3);
  a.memcgStat[STAT_REFAULTS_ANON] = 1;
  memoryReclaim(a, 32);
  memoryReclaim(a, 32);
  const odd = (o: Record<number, number>) =>
    Object.values(o).filter((s) => s >= 0).map((s) => s % 2);
  deepStrictEqual(odd(swapShadows(a, "tmpfs:b")), [0, 0, 0, 0, 0, 0, 0, 0]);
  deepStrictEqual(odd(swapShadows(a, "tmpfs:a")), [1, 1, 1, 1, 1]);
});

Deno.test("with the statistics 0, no refault is activated: every distance is at least 1", () => {
  // Page 9 was the last evicted (age 9, the machine 10 now): distance 1, a workingset of 0.
  const k = evictedFile(0);
  read(k, "file:f", 9 * PAGE_SIZE, PAGE_SIZE);
  deepStrictEqual(listOf(k, "file:f", 9), LRU.inactiveFile);
  deepStrictEqual(k.nrAge, 10);
  // Its shadow is used up.
  ok(!k.objects.get("file:f")!.shadow.has(9));
});

Deno.test("a refault within the workingset is activated, and ages the machine", () => {
  // Active file pages 5 (as flushed; test hook). The machine is at 10. Page 9 (evicted at 9):
  // distance 1, activated, 11. Page 8: 11 - 8 = 3, activated, 12. Page 7: 12 - 7 = 5, within
  // 5: activated, 13. Page 6: 13 - 6 = 7 > 5: inactive. Page 0: 13: inactive.
  const k = evictedFile(0);
  k.memcgStat[LRU.activeFile] = 5;
  for (const p of [9, 8, 7, 6, 0]) read(k, "file:f", p * PAGE_SIZE, PAGE_SIZE);
  deepStrictEqual([9, 8, 7, 6, 0].map((p) => listOf(k, "file:f", p)), [
    LRU.activeFile,
    LRU.activeFile,
    LRU.activeFile,
    LRU.inactiveFile,
    LRU.inactiveFile,
  ]);
  deepStrictEqual(k.nrAge, 13);
  // Pages evicted while inactive (even shadows): not PG_workingset, no cost.
  for (const p of [9, 8, 7]) {
    deepStrictEqual(k.frames.flags[k.objects.get("file:f")!.pages.get(p)!]! & PG.workingset, 0);
  }
  deepStrictEqual([k.fileCost, k.anonCost], [0, 0]);
});

Deno.test("a file page's workingset: active file, and with swap room both anonymous lists", () => {
  // Page 0 read back at distance 10; one flushed list size of 10 at a time (test hook), or 9.
  const cases: [number, number, number, number][] = [
    // [swap, list, size, list page 0 goes to]
    [0, LRU.activeFile, 10, LRU.activeFile],
    [0, LRU.activeFile, 9, LRU.inactiveFile],
    [0, LRU.inactiveFile, 10, LRU.inactiveFile],
    [0, LRU.activeAnon, 10, LRU.inactiveFile], // no swap: anonymous pages could not go
    [0, LRU.inactiveAnon, 10, LRU.inactiveFile],
    [4096, LRU.activeAnon, 10, LRU.activeFile],
    [4096, LRU.inactiveAnon, 10, LRU.activeFile],
    [4096, LRU.inactiveFile, 10, LRU.inactiveFile],
  ];
  for (const [swap, lru, size, want] of cases) {
    const k = evictedFile(swap);
    k.memcgStat[lru] = size;
    read(k, "file:f", 0, PAGE_SIZE);
    deepStrictEqual(listOf(k, "file:f", 0), want, `swap ${swap}, list ${lru} of ${size}`);
    deepStrictEqual(k.nrAge, want === LRU.activeFile ? 11 : 10);
  }
});

/**
 * 4 tmpfs pages (frames 1..4, page 0 at the inactive list's tail) written and reclaimed at
 * swappiness 200 with `swap` slots (at least 4): priority 2 writes page 0, priority 1 pages 1 and
 * 2 (each to the head once written); priority 0 writes page 3, then its next look takes page 0,
 * under writeback, and waits: every write completes, pages 0, 1, 2, 3 go to the tail in turn, and
 * page 0 is freed (age 0), then from the tail page 3 (age 1) and page 2 (age 2): the batch's 4
 * looks. Page 1 stays in the swap cache. With 4 slots, swap is then full.
 */
function evictedTmpfs(swap: number): Kernel {
  const k = memcgKernel(swap, 200);
  create(k, "tmpfs:t", 4 * PAGE_SIZE);
  write(k, "tmpfs:t", 0, 4 * PAGE_SIZE, 3);
  memoryReclaim(k, 32);
  return k;
}

Deno.test("a swap-backed page's workingset: active and inactive file, with swap room active anon", () => {
  const k0 = evictedTmpfs(4096);
  deepStrictEqual(swapShadows(k0, "tmpfs:t"), { 0: 0, 1: -1, 2: 4, 3: 2 });
  deepStrictEqual(k0.nrAge, 3);
  const first = 0;
  // Page 0 (age 0) read back: distance 3. One flushed list size of 3 at a time (or 2).
  const cases: [number, number, number, number][] = [
    [4096, LRU.inactiveFile, 3, LRU.activeAnon],
    [4096, LRU.activeFile, 3, LRU.activeAnon],
    [4096, LRU.activeFile, 2, LRU.inactiveAnon],
    [4096, LRU.activeAnon, 3, LRU.activeAnon],
    [4096, LRU.inactiveAnon, 3, LRU.inactiveAnon],
    [4, LRU.activeAnon, 3, LRU.inactiveAnon], // swap full: no room
    [4, LRU.inactiveFile, 3, LRU.activeAnon],
  ];
  for (const [swap, lru, size, want] of cases) {
    const k = evictedTmpfs(swap);
    deepStrictEqual(swapShadows(k, "tmpfs:t")[first], 0);
    deepStrictEqual(k.swap.used < k.swap.total, swap > 4, "room in swap");
    k.memcgStat[lru] = size;
    read(k, "tmpfs:t", first * PAGE_SIZE, PAGE_SIZE);
    deepStrictEqual(listOf(k, "tmpfs:t", first), want, `swap ${swap}, list ${lru} of ${size}`);
    deepStrictEqual(k.nrAge, want === LRU.activeAnon ? 4 : 3);
  }
});

Deno.test("a refault of a page that had been active: PG_workingset, and cost to its type", () => {
  // File: the 55 pages freed from the active list (odd shadows, see above). A large flushed
  // active file size (test hook: 1000; also big enough that lru_note_cost does not halve: 32 is
  // not more than a quarter of 1000): the page evicted first (age 0) read back is activated,
  // marked PG_workingset, and counts 32 (one page of I/O) against file pages.
  const k = memcgKernel(0);
  create(k, "file:f", 100 * PAGE_SIZE);
  read(k, "file:f", 0, 100 * PAGE_SIZE);
  read(k, "file:f", 0, 100 * PAGE_SIZE);
  memoryReclaim(k, 32);
  deepStrictEqual([k.fileCost, k.anonCost], [0, 0]);
  const sh = fileShadows(k, "file:f");
  const first = Number(Object.keys(sh).find((i) => sh[Number(i)] === 1));
  k.memcgStat[LRU.activeFile] = 1000;
  read(k, "file:f", first * PAGE_SIZE, PAGE_SIZE);
  const f = k.objects.get("file:f")!.pages.get(first)!;
  deepStrictEqual(k.frames.lru[f], LRU.activeFile);
  deepStrictEqual(k.frames.flags[f]! & PG.workingset, PG.workingset);
  deepStrictEqual([k.fileCost, k.anonCost, k.nrAge], [32, 0, 56]);
  // The halving: with 100 (a quarter: 25 < 32), both costs halve: 16.
  const k2 = memcgKernel(0);
  create(k2, "file:f", 100 * PAGE_SIZE);
  read(k2, "file:f", 0, 100 * PAGE_SIZE);
  read(k2, "file:f", 0, 100 * PAGE_SIZE);
  memoryReclaim(k2, 32);
  k2.memcgStat[LRU.activeFile] = 100;
  read(k2, "file:f", first * PAGE_SIZE, PAGE_SIZE);
  deepStrictEqual([k2.fileCost, k2.anonCost], [16, 0]);
  // Anonymous: the tmpfs pages of the odd-shadow test above, one read back within a large
  // workingset: its cost goes to anonymous pages.
  const a = memcgKernel(4096, 200);
  create(a, "tmpfs:a", 8 * PAGE_SIZE);
  write(a, "tmpfs:a", 0, 8 * PAGE_SIZE, 3);
  write(a, "tmpfs:a", 0, 8 * PAGE_SIZE, 4);
  create(a, "tmpfs:b", 8 * PAGE_SIZE);
  write(a, "tmpfs:b", 0, 8 * PAGE_SIZE, 3);
  a.memcgStat[STAT_REFAULTS_ANON] = 1;
  memoryReclaim(a, 32);
  memoryReclaim(a, 32);
  const ash = swapShadows(a, "tmpfs:a");
  const page = Number(Object.keys(ash).find((i) => ash[Number(i)]! % 2 === 1));
  a.memcgStat[LRU.activeFile] = 1000000;
  const [anonCost, fileCost] = [a.anonCost, a.fileCost];
  read(a, "tmpfs:a", page * PAGE_SIZE, PAGE_SIZE);
  deepStrictEqual(listOf(a, "tmpfs:a", page), LRU.activeAnon);
  const af = a.objects.get("tmpfs:a")!.pages.get(page)!;
  deepStrictEqual(a.frames.flags[af]! & PG.workingset, PG.workingset);
  deepStrictEqual([a.anonCost, a.fileCost], [anonCost + 32, fileCost]);
});
