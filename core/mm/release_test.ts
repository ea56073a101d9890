/**
 * Pages whose swap write is still in flight, in a memory cgroup, where reclaim's writes take time:
 * a page whose last mapping or last swap reference goes meanwhile stays in the swap cache
 * (`core/mm/release.ts`), as Linux's `free_swap_and_cache` and `free_swap_cache` leave it
 * (`folio_free_swap` fails under writeback), and reclaim frees it, slot and all, once the write has
 * completed; MADV_PAGEOUT keeps such a page (`core/mm/vmscan.ts`).
 */
import { deepStrictEqual } from "node:assert/strict";
import { checkKernel } from "../check.ts";
import { C, newCounters } from "../counters.ts";
import { mmOf } from "./address_space.ts";
import { touch } from "./access.ts";
import { LRU, NONE, PG } from "./frames.ts";
import { Kernel } from "./kernel.ts";
import { WRITE_LATENCY } from "./memcg_reclaim.ts";
import { SLOW_REQUEST_FACTOR } from "./writeback.ts";
import { madvise } from "../sys/madvise.ts";
import { mmap, munmap } from "../sys/mmap.ts";
import { exit } from "../sys/process.ts";
import { swapoff } from "../sys/swap.ts";
import { Madv, MapFlag, Op, PAGE_SIZE, Prot } from "../../uapi/event.ts";
import { STRATEGIES } from "../rmap/registry.ts";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const V = 0x7f0000000, W2 = 0x7f1000000;
/** An address (bytes) for the traces of the last tests. */
const RA = 0x10000000;
const ANON = MapFlag.private | MapFlag.anon;

/**
 * A cgroup of 4096 pages, and process 1 writing 4097 pages at V: the 4097th charge reclaims once.
 * Its priorities scan the oldest pages (written in page order) and write them, into slots that
 * follow each other: the pass's plug merges them into one request, sent when the 255th write
 * starts another (a request of 254 pages is the most; one of 32 or more flushes the plug); those
 * 254, a slow request (SLOW_REQUEST_PAGES), complete once reclaim has scanned 3 × WRITE_LATENCY
 * (180) more pages, meanwhile writing pages 254..433, and it frees pages 0..42 as it meets them
 * again. The pass ends: pages 254..433, 180, are still being written (sent as the pass ended), 211
 * written pages wait in the swap cache.
 */
function overfull(): { k: Kernel; seq: number } {
  const k = new Kernel(
    { memPages: 4096, swapPages: 4096, strategy: "anon_vma_chain", vm: { memcg: true } },
    newCounters(),
  );
  let seq = 0;
  const mm = mmOf(k, 1);
  mmap(k, mm, V, 8192 * PAGE_SIZE, Prot.read | Prot.write, ANON, null, 0);
  for (let p = 0; p < 4097; p++) {
    if (!touch(k, mm, V + p, Op.w, ++seq)) throw new Error(`write ${p}`);
  }
  deepStrictEqual([WRITE_LATENCY, SLOW_REQUEST_FACTOR], [60, 3]);
  deepStrictEqual([k.counters[C.swap_out_pages], k.counters[C.pages_reclaimed]], [434, 43]);
  return { k, seq };
}

/** Frames under writeback, and whether each is an unmapped swap-cache page with a slot in use. */
function inFlight(k: Kernel): number[] {
  const out: number[] = [];
  const fr = k.frames;
  for (let f = 0; f < fr.flags.length; f++) {
    if (fr.isFree(f) || !(fr.flags[f]! & PG.writeback)) continue;
    const slot = fr.swap[f]!;
    deepStrictEqual(
      [(fr.flags[f]! & PG.swapCache) !== 0, slot !== NONE && k.swap.cache[slot] === f],
      [true, true],
    );
    out.push(f);
  }
  return out;
}

function check(k: Kernel): void {
  deepStrictEqual(checkKernel(k), []);
}

Deno.test("munmap of pages still being written leaves them in the swap cache until reclaim", () => {
  const { k, seq } = overfull();
  const mm = mmOf(k, 1);
  // 434 slots in use: 43 pages on swap only, 211 in the swap cache too, 180 being written.
  deepStrictEqual([inFlight(k).length, k.swap.used], [180, 434]);
  // The 4097 pages go: the 3663 mapped ones are freed; the 43 pages on swap only and the 211 in
  // the swap cache, with their slots; the 180 pages being written keep theirs (their last
  // reference went, but folio_free_swap fails under writeback).
  munmap(k, mm, V, 8192 * PAGE_SIZE);
  check(k);
  deepStrictEqual([inFlight(k).length, k.swap.used, k.frames.freeCount], [180, 180, 4096 - 180]);
  // New memory fills the cgroup again: its first reclaim completes the writes (at its start), so
  // the 180 pages go to the tail of the inactive list, and it frees 41 of them, writing nothing
  // (its priorities scan 1 + 2 + 4 + 8 + 16 pages, then 10 at priority 7, 4096 >> 7 in proportion
  // to swappiness, and stop with 32 freed); the other 139 stay, written and clean.
  mmap(k, mm, W2, 8192 * PAGE_SIZE, Prot.read | Prot.write, ANON, null, 0);
  let s = seq, next = 0;
  const write = (n: number) => {
    for (const end = next + n; next < end; next++) {
      if (!touch(k, mm, W2 + next, Op.w, ++s)) throw new Error(`write ${next}`);
    }
  };
  let reclaimed = k.counters[C.pages_reclaimed]!, written = k.counters[C.swap_out_pages]!;
  write(4096 - 180 + 1);
  check(k);
  deepStrictEqual(
    [
      k.counters[C.pages_reclaimed]! - reclaimed,
      k.counters[C.swap_out_pages]! - written,
      inFlight(k).length,
      k.swap.used,
    ],
    [41, 0, 0, 139],
  );
  // The next reclaims (41 pages apart) free those 139 first, 41 at a time, then go on into the
  // new pages: every slot in use is then one they wrote.
  reclaimed = k.counters[C.pages_reclaimed]!, written = k.counters[C.swap_out_pages]!;
  write(4 * 41);
  check(k);
  deepStrictEqual(k.swap.used, k.counters[C.swap_out_pages]! - written);
  deepStrictEqual(k.counters[C.pages_reclaimed]! - reclaimed > 139, true);
});

Deno.test("exit while pages are being written: they stay in the swap cache", () => {
  const { k } = overfull();
  exit(k, 1);
  check(k);
  deepStrictEqual([inFlight(k).length, k.swap.used, k.frames.freeCount], [180, 180, 4096 - 180]);
});

Deno.test("a page faulted back while being written, then unmapped, stays in the swap cache", () => {
  const { k, seq } = overfull();
  const mm = mmOf(k, 1);
  // Page 300 is being written: a read finds it in the swap cache (a minor fault) and maps it
  // again, still under writeback, keeping its slot (a read of an exclusive page does not free
  // it); its swap PTE's reference went with the fault.
  const minor = k.counters[C.minor_faults]!;
  if (!touch(k, mm, V + 300, Op.r, seq + 1)) throw new Error("read 300");
  deepStrictEqual(k.counters[C.minor_faults]! - minor, 1);
  const f = k.pt.num[k.pt.lookup(mm, V + 300)]!;
  const slot = k.frames.swap[f]!;
  deepStrictEqual([k.frames.mapcount[f], k.swap.refs[slot], k.frames.flags[f]! & PG.writeback], [
    1,
    0,
    PG.writeback,
  ]);
  // Its last mapping goes (putAnon): the page stays with its slot while the write runs.
  munmap(k, mm, V + 300, PAGE_SIZE);
  check(k);
  deepStrictEqual([k.frames.isFree(f), k.swap.cache[slot], k.frames.mapcount[f]], [false, f, 0]);
  // Page 301, also in flight, unmapped without being faulted (slotPut): the same.
  munmap(k, mm, V + 301, PAGE_SIZE);
  deepStrictEqual([inFlight(k).length, k.swap.used], [180, 434]);
  // Page 0, written and freed already: its slot goes with its swap PTE.
  munmap(k, mm, V, PAGE_SIZE);
  deepStrictEqual(k.swap.used, 433);
});

Deno.test("MADV_PAGEOUT of a page faulted back while being written keeps it, active", () => {
  const { k, seq } = overfull();
  const mm = mmOf(k, 1);
  // Page 300 is being written and found again in the swap cache (a minor fault): mapped, still
  // under writeback. MADV_PAGEOUT cannot free it before its write ends: reclaim_pages'
  // shrink_folio_list activates a page under writeback (its second case) and keeps it mapped.
  if (!touch(k, mm, V + 300, Op.r, seq + 1)) throw new Error("read 300");
  const f = k.pt.num[k.pt.lookup(mm, V + 300)]!;
  madvise(k, mm, V + 300, PAGE_SIZE, Madv.pageout);
  check(k);
  deepStrictEqual(
    [k.frames.isFree(f), k.frames.mapcount[f], k.frames.lru[f], k.frames.flags[f]! & PG.writeback],
    [false, 1, LRU.activeAnon, PG.writeback],
  );
});

Deno.test("pages read ahead, then their area gone: freed with their slots, every strategy told", () => {
  for (const name of Object.keys(STRATEGIES)) {
    // 8 pages written and paged out; page 0 read back: a major fault whose window (8 pages
    // centred on it, clipped to the area) reads pages 1..4 into the swap cache, unmapped, each
    // still referred to by its swap PTE. The process exits: page 0, mapped and in the swap cache with no swap
    // reference left, goes with its last mapping (putAnon); pages 1..4 go with their swap PTEs'
    // references (slotPut), and the strategy forgets each (pageFreed: objtree drops it from its
    // space, which can then go). Nothing is left.
    const t = new TraceBuilder().mmap(1, RA, 8 * PAGE_SIZE, "rw-", "private,anon")
      .w(1, RA, 8 * PAGE_SIZE).madvise(1, RA, 8 * PAGE_SIZE, "pageout").r(1, RA);
    const m = new TestMachine(name, 64, 64).run(t);
    deepStrictEqual([m.c.major_faults, m.c.swap_in_pages, m.machine.residentPages()], [1, 5, 5]);
    m.run(new TraceBuilder().exit(1));
    deepStrictEqual(m.leftOver(), [[], [0, 0, 0]], name);
  }
});

Deno.test("an mlocked file page's last mapping gone: back on the evictable list, reclaimable", () => {
  // A file page mapped with MAP_LOCKED is on the unevictable list. When its last mapping goes it
  // stays in the page cache, munlocked, on the inactive file list (munlock_folio), where reclaim
  // can free it; left unevictable it could never be.
  const t = new TraceBuilder().create(1, "file:/f", PAGE_SIZE)
    .mmap(1, RA, PAGE_SIZE, "r--", "private,locked,populate", "file:/f", 0);
  const m = new TestMachine("anon_vma_chain", 64, 0).run(t);
  deepStrictEqual(m.machine.residentPages(), 1);
  m.run(new TraceBuilder().munmap(1, RA, PAGE_SIZE));
  deepStrictEqual(m.machine.residentPages(), 1, "still in the page cache");
  m.run(new TraceBuilder().reclaim(32));
  deepStrictEqual(m.machine.residentPages(), 0);
});

Deno.test("pages written and not yet freed when their area goes: freed, every strategy told", () => {
  // scan reclaims by walking page tables, with no LRU lists: no write of its is ever in flight.
  for (const name of Object.keys(STRATEGIES).filter((n) => n !== "scan")) {
    // A memory cgroup of 4096 pages: 4097 pages written (one reclaim: 434 written, 0..42 freed, 211
    // written pages in the swap cache, 180 being written), 99 more: the next two reclaims complete
    // the 180 writes and free 41 written pages each (their priorities scan 1 + 2 + 4 + 8 + 16 + 10
    // pages); 309 stay in the swap cache, written, unmapped, each referred to by its swap PTE, and
    // still known to the strategy (objtree keeps them in their space). The area goes: each of the
    // 309 goes with its swap PTE's reference (slotPut), and the strategy forgets it (pageFreed).
    // Once the process exits nothing is left.
    const m = new TestMachine(name, 4096, 4096, { memcg: true }).run(
      new TraceBuilder().mmap(1, RA, "32M", "rw-", "private,anon").w(1, RA, 4196 * PAGE_SIZE),
    );
    deepStrictEqual([m.c.swap_out_pages, m.c.pages_reclaimed], [434, 43 + 41 + 41], name);
    m.run(new TraceBuilder().munmap(1, RA, "32M").exit(1));
    deepStrictEqual(m.leftOver(), [[], [0, 0, 0]], name);
  }
});

Deno.test("swapoff waits for the writes of pages it frees", () => {
  const { k } = overfull();
  const mm = mmOf(k, 1);
  // The area goes: its 180 pages being written stay in the swap cache (above). swapoff frees them
  // with their slots, waiting for each write first (try_to_unuse's folio_wait_writeback), so no
  // write in flight is left behind for a frame that another page may take.
  munmap(k, mm, V, 8192 * PAGE_SIZE);
  deepStrictEqual(k.inFlight.length, 180);
  swapoff(k, "swap");
  check(k);
  deepStrictEqual([inFlight(k).length, k.inFlight.length, k.swap.devices.length], [0, 0, 0]);
  deepStrictEqual(k.frames.freeCount, 4096);
});
