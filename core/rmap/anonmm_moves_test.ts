/**
 * `anonmm` finds an anonymous page by its family of address spaces and the address it was
 * faulted at, so what mremap does to a page decides whether a walk can find it again: a page
 * shared with another space is copied (the one address cannot serve both), a page of the zero
 * page or of a file is moved as it is (anonmm never walks them), and a swap-cache page mapped
 * again by its only mapper takes the address it is mapped at now. The counts are those
 * `anon_vma_chain` gives where anonmm does the same.
 */
import { deepStrictEqual } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import type { CounterName } from "../counters.ts";
import { runBatch } from "../run_batch.ts";

const A = 0x10000000, B = 0x20000000, P = 4096, F = "file:/f";

function run(t: TraceBuilder, strategy: string, names: CounterName[]) {
  const r = runBatch(t.batch(), {
    memPages: 64,
    swapPages: 16,
    check: true,
    recordLoads: false,
    strategy,
  });
  deepStrictEqual(r.diagnostics, [], strategy);
  return Object.fromEntries(names.map((n) => [n, r.counters[n]]));
}

Deno.test("anonmm: mremap copies a shared anonymous page, moves the zero page and file pages", () => {
  const names: CounterName[] = ["mremap_pages_copied", "mremap_ptes_moved"];
  /** Pid 1 maps a page of `what` (forks, and the child maps it too), and moves its area. */
  const moved = (what: "zero" | "file" | "anon", fork = true) => {
    const t = new TraceBuilder().create(1, F, 4 * P);
    if (what === "zero") t.mmap(1, A, 4 * P, "rw-", "private,anon").r(1, A);
    else if (what === "file") t.mmap(1, A, 4 * P, "r--", "private", F, 0).r(1, A);
    else t.mmap(1, A, 4 * P, "rw-", "private,anon").w(1, A);
    if (fork) t.fork(1, 2).r(2, A);
    return t.mremap(1, A, 4 * P, B, 4 * P).r(1, B);
  };
  // File pages mapped once keep their page-cache index (the checker compares it with the cache):
  // the load's major fault maps the file's 4 pages (its retry's fault-around).
  deepStrictEqual(run(moved("file", false), "anonmm", names), {
    mremap_pages_copied: 0,
    mremap_ptes_moved: 4,
  });
  for (const [what, ptes] of [["zero", 1], ["file", 4]] as const) {
    deepStrictEqual(run(moved(what), "anonmm", names), {
      mremap_pages_copied: 0,
      mremap_ptes_moved: ptes,
    }, what);
  }
  deepStrictEqual(run(moved("anon"), "anonmm", names), {
    mremap_pages_copied: 1,
    mremap_ptes_moved: 0,
  });
  deepStrictEqual(run(moved("anon"), "anon_vma_chain", names), {
    mremap_pages_copied: 0,
    mremap_ptes_moved: 1,
  });
});

Deno.test("anonmm: a swap-cache page mapped again after an mremap is found at its new address", () => {
  // Two pages swapped out while shared with a child; the child swaps the first back in and
  // unmaps it (it stays in the swap cache for the parent's entry); the parent moves its area and
  // maps the cached page at the new address; its pageout must find that PTE.
  const t = new TraceBuilder().mmap(1, A, 4 * P, "rw-", "private,anon").w(1, A, 2 * P).fork(1, 2)
    .reclaim(16).reclaim(16).r(2, A).munmap(2, A, 4 * P).mremap(1, A, 4 * P, B, 4 * P).r(1, B)
    .madvise(1, B, P, "pageout");
  const names: CounterName[] = [
    "swap_out_pages",
    "pages_reclaimed",
    "pte_walks",
    "rmap_vma_visits",
    "rmap_wasted_visits",
  ];
  const want = {
    swap_out_pages: 2,
    pages_reclaimed: 3, // both pages by reclaim, then the first again (clean in the swap cache)
    pte_walks: 13,
    rmap_vma_visits: 13,
    rmap_wasted_visits: 0,
  };
  deepStrictEqual(run(t, "anonmm", names), want);
  deepStrictEqual(run(t, "anon_vma_chain", names), want);
});
