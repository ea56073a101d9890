/**
 * The fault paths of `core/mm/fault.ts` that the shared suites reach rarely or never: every way a
 * fault can run out of memory (each reported once, naming the fault, and nothing mapped), the swap
 * fault's exclusive and shared cases (a page swapped in alone is mapped writable, one others still
 * hold is copied on write), `should_try_to_free_swap` (a page swapped in by a write, with swap
 * full or in a locked area leaves the swap cache, so its slot serves another page), the mlock of
 * pages faulted into a locked area, and the TLB flush of each copy-on-write.
 */
import { deepStrictEqual } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { C, type CounterName } from "../counters.ts";
import { type BatchRun, runBatch } from "../run_batch.ts";
import { Machine } from "../machine.ts";
import { verifyAccess } from "../../analyze/verify.ts";
import { ReferenceModel } from "../reference.ts";
import { Op } from "../../uapi/event.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";

const A = 0x7f0000000000; // a big anonymous area that fills memory
const B = 0x7f1000000000; // the page under test
const P = 4096;
const F = "file:/data";
const MEM = 16; // frames: 16 anonymous pages fill memory (no swap: none can be reclaimed)

function run(t: TraceBuilder, swap = 0, mem = MEM): BatchRun {
  return runBatch(t.batch(), { memPages: mem, swapPages: swap, check: true, recordLoads: true });
}

function pick(r: BatchRun, names: CounterName[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, r.counters[n]]));
}

/** Diagnostics as `kind line: message`; the checker must have nothing to say. */
function said(r: BatchRun): string[] {
  return r.diagnostics.map((d) => `${d.kind} ${d.line}: ${d.message}`);
}

const OOM = ": out of memory (no frame left after reclaim)";
const FAULTS: CounterName[] = ["minor_faults", "major_faults", "cow_faults", "cow_copies"];

/** Pid 1 writes `n` pages of a fresh anonymous area at A. */
const fill = (t: TraceBuilder, n: number) =>
  t.mmap(1, A, 64 * P, "rw-", "private,anon").w(1, A, n * P);

Deno.test("fault: a new anonymous page with memory full is reported once and not mapped", () => {
  const r = run(fill(new TraceBuilder(), 16).mmap(1, B, P, "rw-", "private,anon").w(1, B).w(1, B));
  deepStrictEqual(said(r), [
    `warning 4: pid 1: fault at 0x7f1000000000 in pid of mm 1${OOM}`,
    `warning 5: pid 1: fault at 0x7f1000000000 in pid of mm 1${OOM}`,
  ]);
  deepStrictEqual(pick(r, [...FAULTS, "rss_peak_pages"]), {
    minor_faults: 16,
    major_faults: 0,
    cow_faults: 0,
    cow_copies: 0,
    rss_peak_pages: 16,
  });
});

Deno.test("fault: a file page with memory full is reported for a read, a shared and a private write", () => {
  for (const [prot, flags, op] of [["r--", "private", "r"], ["rw-", "shared", "w"]] as const) {
    let t = fill(new TraceBuilder().create(1, F, 64 * P), 16).mmap(1, B, 8 * P, prot, flags, F, 0);
    t = op === "r" ? t.r(1, B) : t.w(1, B);
    const r = run(t);
    deepStrictEqual(said(r), [`warning 5: pid 1: fault at 0x7f1000000000${OOM}`], flags);
    deepStrictEqual(pick(r, [...FAULTS, "file_read_pages"]), {
      minor_faults: 16,
      major_faults: 0,
      cow_faults: 0,
      cow_copies: 0,
      file_read_pages: 0,
    }, flags);
  }
  // One frame left: the file page is read into it, and the private copy finds none.
  const r = run(
    fill(new TraceBuilder().create(1, F, 64 * P), 15)
      .mmap(1, B, 8 * P, "rw-", "private", F, 0).w(1, B).r(1, B + P),
  );
  deepStrictEqual(said(r), [`warning 5: pid 1: fault at 0x7f1000000000${OOM}`]);
  // The read of the next page finds a frame: reclaim takes the file page the failed copy read,
  // unmapped and unpinned again.
  deepStrictEqual(pick(r, [...FAULTS, "file_read_pages"]), {
    minor_faults: 15,
    major_faults: 1,
    cow_faults: 0,
    cow_copies: 0,
    file_read_pages: 2,
  });
});

Deno.test("fault: a write to the zero page with memory full is reported and the zero page stays", () => {
  const r = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").r(1, B)
      .mmap(1, A, 64 * P, "rw-", "private,anon").w(1, A, 16 * P).w(1, B).r(1, B),
  );
  deepStrictEqual(said(r), [`warning 5: pid 1: write fault at 0x7f1000000000${OOM}`]);
  deepStrictEqual(pick(r, [...FAULTS, "zero_page_maps", "tlb_flushes"]), {
    minor_faults: 17, // the read of the zero page and 16 writes; the failed one is not counted
    major_faults: 0,
    cow_faults: 0,
    cow_copies: 0,
    zero_page_maps: 1,
    tlb_flushes: 0,
  });
  // The failed write stored nothing: the read after it loads the zero page.
  deepStrictEqual([r.machine.loadCount, r.machine.loadStamp[0]], [1, 0]);
});

Deno.test("fault: a copy-on-write with memory full is reported and the shared page stays", () => {
  const r = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .mmap(1, A, 64 * P, "rw-", "private,anon").w(1, A, 15 * P).w(2, B).r(2, B),
  );
  deepStrictEqual(said(r), [`warning 6: pid 2: copy-on-write at 0x7f1000000000${OOM}`]);
  deepStrictEqual(pick(r, [...FAULTS, "cow_reuses", "tlb_flushes"]), {
    minor_faults: 16,
    major_faults: 0,
    cow_faults: 0,
    cow_copies: 0,
    cow_reuses: 0,
    tlb_flushes: 1, // fork's write protection of the parent's PTE; no copy, no flush
  });
  // The failed write stored nothing: the child still reads the parent's write (event 2).
  deepStrictEqual([r.machine.loadCount, r.machine.loadStamp[0]], [1, 2]);
});

Deno.test("fault: a swap-in with memory and swap full is reported", () => {
  const r = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).madvise(1, B, P, "pageout")
      .mmap(1, A, 64 * P, "rw-", "private,anon").w(1, A, 16 * P).r(1, B).r(1, B),
    1,
  );
  deepStrictEqual(said(r), [
    `warning 6: pid 1: swap-in at 0x7f1000000000${OOM}`,
    `warning 7: pid 1: swap-in at 0x7f1000000000${OOM}`,
  ]);
  deepStrictEqual(pick(r, [...FAULTS, "swap_in_pages"]), {
    minor_faults: 17,
    major_faults: 0,
    cow_faults: 0,
    cow_copies: 0,
    swap_in_pages: 0,
  });
  deepStrictEqual(r.machine.loadCount, 0, "the failed read loads nothing");
});

Deno.test("swap fault: a page swapped in alone is mapped writable; one still shared is copied", () => {
  // Alone: the read swap-in maps it writable (exclusive), so the write after it does not fault.
  const alone = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).madvise(1, B, P, "pageout")
      .r(1, B).w(1, B),
    8,
  );
  deepStrictEqual(said(alone), []);
  deepStrictEqual(pick(alone, [...FAULTS, "cow_reuses", "swap_in_pages"]), {
    minor_faults: 1,
    major_faults: 1,
    cow_faults: 0,
    cow_copies: 0,
    cow_reuses: 0,
    swap_in_pages: 1,
  });
  // Shared by a fork (swapped out by reclaim, twice to age it: madvise pageout leaves shared pages
  // alone): the parent's read maps it read-only (the child's swap entry still refers to
  // the slot), and its write copies it (the swap cache holds it for the child).
  const r = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .reclaim(16).reclaim(16).r(1, B).w(1, B).r(2, B),
    8,
  );
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, [...FAULTS, "cow_reuses", "swap_in_pages"]), {
    minor_faults: 3, // the first write, the parent's copy, the child's mapping of the cached page
    major_faults: 1,
    cow_faults: 1,
    cow_copies: 1,
    cow_reuses: 0,
    swap_in_pages: 1,
  });
  // Once the child has mapped it too and exited, the parent holds it alone: the write reuses it
  // and takes it out of the swap cache.
  const reuse = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .reclaim(16).reclaim(16).r(1, B).r(2, B).exit(2).w(1, B)
      .madvise(1, B, P, "pageout"),
    8,
  );
  deepStrictEqual(said(reuse), []);
  deepStrictEqual(pick(reuse, [...FAULTS, "cow_reuses", "swap_in_pages", "swap_out_pages"]), {
    minor_faults: 3, // the first write, the child's mapping, the parent's reuse
    major_faults: 1,
    cow_faults: 1,
    cow_copies: 0,
    cow_reuses: 1,
    swap_in_pages: 1,
    swap_out_pages: 2, // out of the swap cache and dirty: written again
  });
});

Deno.test("swap fault: a write to a page others still hold copies it, counted as one fault", () => {
  // The write swap-in is the major fault; its copy-on-write is part of it, not a minor fault.
  const r = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .reclaim(16).reclaim(16).w(1, B),
    8,
  );
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, [...FAULTS, "swap_in_pages", "tlb_flushes"]), {
    minor_faults: 1,
    major_faults: 1,
    cow_faults: 1,
    cow_copies: 1,
    swap_in_pages: 1,
    tlb_flushes: 4, // fork, the unmap of each of the two PTEs by reclaim, the copy
  });
});

/** Three written pages at B, B + P, B + 2P; `out(t, a)` pages out the one at `a`. */
const three = () => new TraceBuilder().mmap(1, B, 4 * P, "rw-", "private,anon").w(1, B, 3 * P);
const out = (t: TraceBuilder, a: number) => t.madvise(1, a, P, "pageout");
const SWAP: CounterName[] = [
  "major_faults",
  "cow_faults",
  "swap_in_pages",
  "swap_out_pages",
  "pages_reclaimed",
];

Deno.test("swap fault: with swap full, a page swapped in leaves the swap cache and frees its slot", () => {
  // One slot: B goes out and fills swap; its read swap-in frees the slot, so B + P can go out.
  const r = run(out(out(three(), B).r(1, B), B + P), 1);
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, SWAP), {
    major_faults: 1,
    cow_faults: 0,
    swap_in_pages: 1,
    swap_out_pages: 2,
    pages_reclaimed: 2,
  });
});

Deno.test("swap fault: a page swapped in by a write leaves the swap cache; one read keeps its slot", () => {
  // Two slots, B out first. Written back in, B gives its slot up: B + P and B + 2P both go out.
  const w = run(out(out(out(three(), B).w(1, B), B + P), B + 2 * P), 2);
  deepStrictEqual(said(w), []);
  deepStrictEqual(pick(w, SWAP), {
    major_faults: 1,
    cow_faults: 0,
    swap_in_pages: 1,
    swap_out_pages: 3,
    pages_reclaimed: 3,
  });
  // Read back in, B stays in the swap cache with its slot (swap is not full yet): B + 2P finds
  // no slot.
  const r = run(out(out(out(three(), B).r(1, B), B + P), B + 2 * P), 2);
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, SWAP), {
    major_faults: 1,
    cow_faults: 0,
    swap_in_pages: 1,
    swap_out_pages: 2,
    pages_reclaimed: 2,
  });
});

Deno.test("swap fault: a page mlock swaps in is locked: reclaim takes the others, never it", () => {
  const r = run(out(three(), B).mlock(1, B, P).reclaim(16).reclaim(16), 8);
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, [...SWAP, "pte_walks"]), {
    major_faults: 0, // mlock's fault is retried once the read is done, and counted minor
    cow_faults: 0,
    swap_in_pages: 1,
    swap_out_pages: 3, // B by madvise, then B + P and B + 2P by reclaim
    pages_reclaimed: 3,
    pte_walks: 7, // B's pageout, then reclaim's walks of B + P and B + 2P, none of B
  });
});

Deno.test("fault: page-cache pages are mlocked only in locked areas", () => {
  const file = () =>
    new TraceBuilder().create(1, F, 4 * P).mmap(1, B, P, "r--", "private", F, 0).r(1, B);
  // Unlocked: reclaim takes the mapped page as well as the three read around it.
  const free = run(file().reclaim(16).reclaim(16));
  deepStrictEqual(pick(free, ["major_faults", "file_read_pages", "pages_reclaimed", "pte_walks"]), {
    major_faults: 1,
    file_read_pages: 4,
    pages_reclaimed: 4,
    pte_walks: 3,
  });
  // Locked: the mapped page is unevictable, reclaim never walks it.
  const locked = run(file().mlock(1, B, P).reclaim(16).reclaim(16));
  deepStrictEqual(said(locked), []);
  deepStrictEqual(
    pick(locked, ["major_faults", "file_read_pages", "pages_reclaimed", "pte_walks"]),
    { major_faults: 1, file_read_pages: 4, pages_reclaimed: 3, pte_walks: 0 },
  );
});

Deno.test("fault: System V segments fault page by page; tmpfs files map 16 cached pages at once", () => {
  // ipc/shm.c's shm_vm_ops has no map_pages: no fault-around for a shm: segment.
  for (const [o, faults] of [["shm:7", 16], ["tmpfs:/dev/shm/x", 1]] as const) {
    const r = run(
      new TraceBuilder().write(1, o, 0, 16 * P).mmap(1, B, 16 * P, "rw-", "shared", o)
        .r(1, B, 16 * P),
      0,
      64,
    );
    deepStrictEqual(said(r), []);
    deepStrictEqual(pick(r, ["minor_faults", "major_faults"]), {
      minor_faults: faults,
      major_faults: 0,
    }, o);
  }
});

Deno.test("fault: a write to the zero page takes a new page and flushes the old translation", () => {
  const r = run(new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").r(1, B).w(1, B));
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, ["minor_faults", "zero_page_maps", "tlb_flushes"]), {
    minor_faults: 2,
    zero_page_maps: 1,
    tlb_flushes: 1,
  });
});

Deno.test("swap fault: a cached page another space maps already is mapped read-only", () => {
  // The child swaps the page in first; the parent's entry is then the last reference to the
  // slot, but the child maps the page: not exclusive, so the parent's write copies it.
  const r = run(
    new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .reclaim(16).reclaim(16).r(2, B).r(1, B).w(1, B),
    8,
  );
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, [...FAULTS, "cow_reuses", "swap_in_pages"]), {
    minor_faults: 3, // the first write, the parent's mapping of the cached page, its copy
    major_faults: 1,
    cow_faults: 1,
    cow_copies: 1,
    cow_reuses: 0,
    swap_in_pages: 1,
  });
});

Deno.test("fault: a write that reuses a page from the swap cache frees its slot", () => {
  // One slot. The page shared with the child goes out and takes it; both map it again, the
  // child exits, and the parent's write reuses the page and gives the slot up, so that the
  // other page can go out.
  const r = run(
    new TraceBuilder().mmap(1, B, 2 * P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .reclaim(16).reclaim(16).r(1, B).r(2, B).exit(2).w(1, B)
      .w(1, B + P).madvise(1, B + P, P, "pageout"),
    1,
  );
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, [...FAULTS, "cow_reuses", "swap_in_pages", "swap_out_pages"]), {
    minor_faults: 4, // two first writes, the child's mapping, the reuse
    major_faults: 1,
    cow_faults: 1,
    cow_copies: 0,
    cow_reuses: 1,
    swap_in_pages: 1,
    swap_out_pages: 2,
  });
});

Deno.test("fault: a write fault on a file reads around it as a read fault does", () => {
  // filemap_fault's do_sync_mmap_readahead does not look at the kind of access: 32 pages.
  for (const flags of ["shared", "private"]) {
    const r = run(
      new TraceBuilder().create(1, F, 64 * P).mmap(1, B, 64 * P, "rw-", flags, F, 0)
        .w(1, B + 8 * P),
      0,
      64,
    );
    deepStrictEqual(said(r), []);
    deepStrictEqual(pick(r, ["major_faults", "file_read_pages"]), {
      major_faults: 1,
      file_read_pages: 32,
    }, flags);
  }
});

Deno.test("fault: a page faulted into a locked area after mlock (the file grew) is locked", () => {
  // mlock maps the one page the file has; once it grows, a read (a major fault, retried) maps the
  // pages read around it (fault-around), each locked as it is mapped: reclaim takes none.
  const grown = (t: TraceBuilder) =>
    run(t.truncate(1, F, 4 * P).r(1, B + 2 * P).reclaim(64).reclaim(64), 16, 64);
  const base = () => new TraceBuilder().create(1, F, P).mmap(1, B, 4 * P, "rw-", "shared", F, 0);
  const locked = grown(base().mlock(1, B, 4 * P));
  deepStrictEqual(said(locked), []);
  deepStrictEqual(pick(locked, ["file_read_pages", "pages_reclaimed", "pte_walks"]), {
    file_read_pages: 4,
    pages_reclaimed: 0,
    pte_walks: 0,
  });
  const unlocked = grown(base());
  deepStrictEqual(pick(unlocked, ["file_read_pages", "pages_reclaimed", "pte_walks"]), {
    file_read_pages: 4,
    pages_reclaimed: 4,
    // The 4 pages mapped: each referenced once in the first reclaim (second chance), then looked
    // at and unmapped in the second.
    pte_walks: 4 + 4 + 4,
  });
});

Deno.test("fault: a new page goes to the faulting area's own anon_vma, not its root's", () => {
  // anon_vma_chain: a page the child faults after the fork is exclusive to the child's area, so
  // its walk visits that area alone (a page filed under the root would visit the parent's too).
  const r = runBatch(
    new TraceBuilder().mmap(1, B, 4 * P, "rw-", "private,anon").w(1, B).fork(1, 2)
      .w(2, B + P).madvise(2, B + P, P, "pageout").batch(),
    { memPages: 64, swapPages: 16, check: true, strategy: "anon_vma_chain" },
  );
  deepStrictEqual(said(r), []);
  deepStrictEqual(pick(r, ["pages_reclaimed", "rmap_vma_visits", "rmap_wasted_visits"]), {
    pages_reclaimed: 1,
    rmap_vma_visits: 1,
    rmap_wasted_visits: 0,
  });
});

/**
 * Replays `t` event by event beside the reference model (`core/reference.ts`) and returns what
 * `--verify` finds wrong in each access (`analyze/verify.ts`: its segv, the stamps it loads, the
 * stamps a store leaves), as `line: message`.
 */
function wrongAccesses(t: TraceBuilder, vm: Partial<VmKnobs> = {}, mem = 64, swap = 256): string[] {
  const b = t.batch();
  const m = new Machine({
    memPages: mem,
    swapPages: swap,
    strategy: "anon_vma_chain",
    check: true,
    recordLoads: true,
    vm,
  });
  const ref = new ReferenceModel();
  const wrong: string[] = [];
  let loads = 0;
  for (let i = 0; i < b.length; i++) {
    const op = b.op[i]!;
    const segvs = m.counters[C.segv]!;
    m.apply(b, i, i + 1);
    if (op === Op.r || op === Op.w || op === Op.x) {
      const bad = verifyAccess(m, ref, b, i, op, m.counters[C.segv]! - segvs, i + 1);
      if (bad !== undefined) wrong.push(`${i + 1}: ${bad}`);
      if (op === Op.r) loads += m.loadCount;
    }
    ref.apply(b, i, i + 1);
  }
  if (loads === 0) wrong.push("no load compared");
  return wrong;
}

Deno.test("fault: every kind of write fault keeps the value written (read back by the writer)", () => {
  const tb = () => new TraceBuilder().mmap(1, B, 4 * P, "rw-", "private,anon");
  // A copy-on-write after fork, by the child and then by the parent (which reuses its page: the
  // child holds a copy now); each process reads its page back, then the other's view.
  const cow = tb().w(1, B).fork(1, 2).w(2, B).r(2, B).r(1, B).w(1, B).r(1, B).r(2, B);
  // A write to the zero page (zero_page=1): a new page, read back.
  const zero = tb().r(1, B + P).w(1, B + P).r(1, B + P);
  // A page swapped out while shared, then written by one process: swapped in read-only (the
  // other still holds the slot) and copied on write in the same fault; then the other swaps it
  // in and writes it (alone now: reused).
  const swapped = tb().w(1, B + 2 * P).fork(1, 2).madvise(1, B + 2 * P, P, "pageout")
    .w(2, B + 2 * P).r(2, B + 2 * P).r(1, B + 2 * P).w(1, B + 2 * P).r(1, B + 2 * P);
  // A shared mapping written after a read (dirty tracking of a shared page).
  const shared = new TraceBuilder().mmap(1, B, P, "rw-", "shared,anon").r(1, B).fork(1, 2)
    .w(2, B).r(1, B).r(2, B);
  for (const [name, t] of Object.entries({ cow, zero, swapped, shared })) {
    deepStrictEqual(wrongAccesses(t, { zero_page: true }), [], name);
  }
});

Deno.test("swap fault: a page found read ahead in the swap cache counts a readahead hit", () => {
  // 16 pages written and paged out; the read of page 0 (a new area: 4 hits, a window of 8
  // centred on it, clipped to the area) reads pages 0..4, 1..4 ahead; the read of page 1 finds
  // it in the swap cache with PG_readahead: a minor fault and one hit.
  const t = new TraceBuilder().mmap(1, B, 16 * P, "rw-", "private,anon").w(1, B, 16 * P)
    .madvise(1, B, 16 * P, "pageout").r(1, B).r(1, B + P);
  deepStrictEqual(
    pick(run(t, 64, 64), ["major_faults", "swap_ra_pages", "swap_ra_hits"]),
    { major_faults: 1, swap_ra_pages: 4, swap_ra_hits: 1 },
  );
});

Deno.test("fault: a page swapped in after a fork copied its swap entry is not exclusive", () => {
  // In a memory cgroup a page reclaim writes stays in the swap cache (its write in flight), with
  // the PG.exclusive it had when mapped. After a fork copies its swap entry, the parent's swap-in
  // maps it shared: mprotect must not make it writable, and the parent's store must copy it, or
  // the child would read the parent's data (a random workload found it).
  const t = new TraceBuilder().mmap(1, B, P, "rw-", "private,anon").w(1, B)
    .madvise(1, B, P, "pageout")
    .fork(1, 2)
    .r(1, B).mprotect(1, B, P, "r--").mprotect(1, B, P, "rw-")
    .r(2, B)
    .w(1, B);
  const r = runBatch(t.batch(), { memPages: 64, swapPages: 64, check: true, vm: { memcg: true } });
  deepStrictEqual(r.diagnostics.filter((d) => d.kind === "check"), []);
  deepStrictEqual(pick(r, ["major_faults", "cow_faults", "cow_copies"]), {
    major_faults: 0,
    cow_faults: 1,
    cow_copies: 1,
  });
});
