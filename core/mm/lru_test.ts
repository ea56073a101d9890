/**
 * `core/mm/lru.ts`: where pages go on the LRU lists (Linux's `mm/swap.c`, `mm/mlock.c`): a new
 * page's first list (`folio_add_lru`: inactive; in a locked area, `mlock_new_folio`: unevictable),
 * `folio_activate`, `mark_page_accessed` (a second touch of an inactive page activates it), and
 * the lists' reclaim cost (`lru_note_cost`: pages written count 32, `SWAP_CLUSTER_MAX`, pages kept
 * 1; both costs halve once their sum passes a quarter of the LRU pages the cgroup's flushed
 * statistics count).
 *
 * The placement functions are called on a `FrameTable` of a few frames (pages of their own:
 * frames, flags and lists only), and seen through system calls on a `Kernel` (`read` of a file
 * marks its pages accessed, a locked area's fault adds its page unevictable). `noteCost` is called
 * on a `Kernel`, whose flushed statistics (`memcgStat`, never flushed by the machine) the test sets.
 */
import { deepStrictEqual } from "node:assert/strict";
import { newCounters } from "../counters.ts";
import { mmOf } from "./address_space.ts";
import { FrameTable, LRU, NONE, PG } from "./frames.ts";
import { Kernel } from "./kernel.ts";
import { activate, lruAddNew, markAccessed, mlockPage, noteCost } from "./lru.ts";
import type { Vma } from "./vma.ts";
import { create, read, write } from "../sys/file.ts";
import { mmap, munmap } from "../sys/mmap.ts";
import { touch } from "./access.ts";
import { MapFlag, Op, PAGE_SIZE, Prot } from "../../uapi/event.ts";

/** The frames of list `lru`, head (newest) first. */
function list(fr: FrameTable, lru: number): number[] {
  const out: number[] = [];
  for (let f = fr.lruHead[lru]!; f !== NONE; f = fr.lruNext[f]!) out.push(f);
  return out;
}

/** A table with frames 1..n allocated, each with flags `flags`, on no list. */
function frames(n: number, flags: number): FrameTable {
  const fr = new FrameTable(16);
  for (let i = 1; i <= n; i++) {
    const f = fr.alloc();
    fr.flags[f] = flags;
  }
  return fr;
}

const LOCKED = { locked: true } as Vma;
const UNLOCKED = { locked: false } as Vma;

Deno.test("lruAddNew: inactive by type at the head, unevictable and mlocked in a locked area", () => {
  const fr = frames(4, PG.anon | PG.swapBacked);
  fr.flags[3] = PG.pageCache;
  fr.flags[4] = PG.pageCache;
  lruAddNew(fr, 1, null);
  lruAddNew(fr, 2, UNLOCKED);
  lruAddNew(fr, 3, null);
  lruAddNew(fr, 4, LOCKED);
  deepStrictEqual(list(fr, LRU.inactiveAnon), [2, 1]);
  deepStrictEqual(list(fr, LRU.inactiveFile), [3]);
  deepStrictEqual(list(fr, LRU.unevictable), [4]);
  deepStrictEqual([1, 2, 3, 4].map((f) => fr.flags[f]), [
    PG.anon | PG.swapBacked,
    PG.anon | PG.swapBacked,
    PG.pageCache,
    PG.pageCache | PG.mlocked,
  ]);
  // A swap-backed page of the page cache (tmpfs) goes with the anonymous ones.
  const t = frames(1, PG.pageCache | PG.swapBacked);
  lruAddNew(t, 1, null);
  deepStrictEqual(list(t, LRU.inactiveAnon), [1]);
});

Deno.test("mlockPage: mlocked, to the unevictable list's head", () => {
  const fr = frames(3, PG.anon | PG.swapBacked);
  for (const f of [1, 2, 3]) fr.lruAdd(f, LRU.activeAnon);
  mlockPage(fr, 1);
  mlockPage(fr, 3);
  deepStrictEqual(list(fr, LRU.unevictable), [3, 1]);
  deepStrictEqual(list(fr, LRU.activeAnon), [2]);
  deepStrictEqual(fr.flags[3], PG.anon | PG.swapBacked | PG.mlocked);
  deepStrictEqual(fr.flags[2], PG.anon | PG.swapBacked);
});

Deno.test("activate: the head of the active list of the page's type", () => {
  const fr = frames(3, PG.pageCache);
  fr.flags[1] = PG.anon | PG.swapBacked;
  for (const f of [1, 2, 3]) lruAddNew(fr, f, null);
  activate(fr, 2);
  activate(fr, 1);
  activate(fr, 3);
  deepStrictEqual(list(fr, LRU.activeAnon), [1]);
  deepStrictEqual(list(fr, LRU.activeFile), [3, 2]);
  deepStrictEqual([list(fr, LRU.inactiveAnon), list(fr, LRU.inactiveFile)], [[], []]);
  deepStrictEqual(fr.flags[2], PG.pageCache); // flags as they were
});

Deno.test("markAccessed: referenced first, activated (referenced cleared) at the second touch", () => {
  const fr = frames(4, PG.pageCache);
  fr.flags[4] = PG.pageCache | PG.swapBacked;
  for (const f of [1, 2, 3, 4]) lruAddNew(fr, f, null);
  markAccessed(fr, 1);
  deepStrictEqual([fr.flags[1], fr.lru[1]], [PG.pageCache | PG.referenced, LRU.inactiveFile]);
  markAccessed(fr, 1);
  deepStrictEqual([fr.flags[1], fr.lru[1]], [PG.pageCache, LRU.activeFile]);
  // On the active list a touch only marks it referenced again; another leaves it so.
  markAccessed(fr, 1);
  markAccessed(fr, 1);
  deepStrictEqual([fr.flags[1], fr.lru[1]], [PG.pageCache | PG.referenced, LRU.activeFile]);
  // A swap-backed page: to the active anonymous list.
  markAccessed(fr, 4);
  markAccessed(fr, 4);
  deepStrictEqual([fr.flags[4], fr.lru[4]], [PG.pageCache | PG.swapBacked, LRU.activeAnon]);
  // Unevictable (mlocked): referenced, never moved.
  mlockPage(fr, 2);
  markAccessed(fr, 2);
  markAccessed(fr, 2);
  deepStrictEqual(fr.lru[2], LRU.unevictable);
  deepStrictEqual(fr.flags[2]! & PG.referenced, PG.referenced);
  deepStrictEqual(list(fr, LRU.activeFile), [1]);
  deepStrictEqual(list(fr, LRU.inactiveFile), [3]);
});

/** A memory cgroup `Kernel` of 64 frames (no swap). */
function cgroup(): Kernel {
  return new Kernel(
    { memPages: 64, swapPages: 0, strategy: "anon_vma_chain", vm: { memcg: true } },
    newCounters(),
  );
}

Deno.test("through the machine: read(2) twice activates a file page, a locked area's page is unevictable", () => {
  const k = cgroup();
  create(k, "file:f", 2 * PAGE_SIZE);
  read(k, "file:f", 0, 2 * PAGE_SIZE);
  const o = k.objects.get("file:f")!;
  const [p0, p1] = [o.pages.get(0)!, o.pages.get(1)!];
  deepStrictEqual(list(k.frames, LRU.inactiveFile), [p1, p0]);
  read(k, "file:f", 0, PAGE_SIZE);
  deepStrictEqual([list(k.frames, LRU.activeFile), list(k.frames, LRU.inactiveFile)], [[p0], [
    p1,
  ]]);
  // A write(2) to a disk file does not mark it accessed (no FGP_ACCESSED): page 1 stays.
  write(k, "file:f", PAGE_SIZE, PAGE_SIZE, 3);
  deepStrictEqual(k.frames.lru[p1], LRU.inactiveFile);
  // A locked, populated anonymous area: its pages unevictable and mlocked.
  const mm = mmOf(k, 1);
  mmap(
    k,
    mm,
    0x7f0000000,
    2 * PAGE_SIZE,
    Prot.read | Prot.write,
    MapFlag.private | MapFlag.anon | MapFlag.locked,
    null,
    0,
  );
  deepStrictEqual(k.frames.lruSize[LRU.unevictable], 2);
  for (const f of list(k.frames, LRU.unevictable)) {
    deepStrictEqual(k.frames.flags[f]! & PG.mlocked, PG.mlocked);
  }
});

Deno.test("through the machine: unmapping a file page its PTE accessed marks the page accessed", () => {
  // Linux's zap_present_folio_ptes calls folio_mark_accessed for a page-cache page whose PTE is
  // young: after one read(2) (PG_referenced), a mapping that touched the page activates it as it
  // goes; without the read the page is only marked referenced.
  const k = cgroup();
  create(k, "file:g", 2 * PAGE_SIZE);
  read(k, "file:g", 0, PAGE_SIZE);
  const mm = mmOf(k, 1);
  const at = 0x7f0000; // a virtual page
  mmap(k, mm, at, 2 * PAGE_SIZE, Prot.read, MapFlag.shared, "file:g", 0);
  for (const v of [0, 1]) deepStrictEqual(touch(k, mm, at + v, Op.r, v + 1), true);
  const o = k.objects.get("file:g")!;
  const [p0, p1] = [o.pages.get(0)!, o.pages.get(1)!];
  deepStrictEqual([k.frames.lru[p0], k.frames.lru[p1]], [LRU.inactiveFile, LRU.inactiveFile]);
  deepStrictEqual(k.frames.flags[p1]! & PG.referenced, 0);
  munmap(k, mm, at, 2 * PAGE_SIZE);
  deepStrictEqual(k.frames.lru[p0], LRU.activeFile);
  deepStrictEqual([k.frames.lru[p1], k.frames.flags[p1]! & PG.referenced], [
    LRU.inactiveFile,
    PG.referenced,
  ]);
});

Deno.test("noteCost: 32 a page written, 1 a page kept, by type; nothing for no cost", () => {
  const k = cgroup();
  // Flushed LRU size 1000 (test hook): costs halve once their sum passes 250.
  k.memcgStat[LRU.inactiveAnon] = 400;
  k.memcgStat[LRU.activeAnon] = 100;
  k.memcgStat[LRU.inactiveFile] = 300;
  k.memcgStat[LRU.activeFile] = 200;
  noteCost(k, false, 2, 5); // 2 * 32 + 5
  deepStrictEqual([k.anonCost, k.fileCost], [69, 0]);
  noteCost(k, true, 1, 3); // 32 + 3
  deepStrictEqual([k.anonCost, k.fileCost], [69, 35]);
  noteCost(k, true, 0, 0);
  deepStrictEqual([k.anonCost, k.fileCost], [69, 35]);
  // 69 + 35 + 146 = 250: not more than a quarter: no halving.
  noteCost(k, true, 4, 18);
  deepStrictEqual([k.anonCost, k.fileCost], [69, 181]);
  // 251: both halve (rounded down): 70 / 2 = 35, 181 / 2 = 90.
  noteCost(k, false, 0, 1);
  deepStrictEqual([k.anonCost, k.fileCost], [35, 90]);
  // Only the four LRU lists count (not the unevictable one nor the refault counts): a quarter of
  // 1000 still, whatever those hold.
  k.memcgStat[LRU.unevictable] = 4000;
  k.memcgStat[6] = 4000;
  k.memcgStat[7] = 4000;
  noteCost(k, false, 3, 29); // 35 + 96 + 29 = 160, + 90 = 250: kept
  deepStrictEqual([k.anonCost, k.fileCost], [160, 90]);
  noteCost(k, true, 0, 1); // 251: halve
  deepStrictEqual([k.anonCost, k.fileCost], [80, 45]);
  // With the statistics 0 (a new cgroup) every cost noted halves both.
  const z = cgroup();
  noteCost(z, true, 0, 7);
  deepStrictEqual([z.anonCost, z.fileCost], [0, 3]);
  noteCost(z, false, 1, 0);
  deepStrictEqual([z.anonCost, z.fileCost], [16, 1]);
  // A cost of 0 is not noted at all: nothing halves.
  noteCost(z, false, 0, 0);
  noteCost(z, true, 0, 0);
  deepStrictEqual([z.anonCost, z.fileCost], [16, 1]);
});
