import { deepStrictEqual } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { runBatch } from "../run_batch.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("anon_vma_chain");

const A = 0x7f0000000000, PG = 4096;

function run(t: TraceBuilder) {
  const r = runBatch(t.batch(), { memPages: 256, swapPages: 1024, check: true });
  deepStrictEqual(r.diagnostics, []);
  return r;
}

Deno.test("anon_vma_chain: the 2015 reuse rule bounds anon_vmas in a fork-exit chain", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon").w(1, A);
  for (let pid = 1; pid <= 30; pid++) t.fork(pid, pid + 1).exit(pid).w(pid + 1, A);
  const r = run(t);
  // The root, the last child's own, and one reused in between; never one per generation.
  deepStrictEqual(r.machine.extraCounters(), {
    anon_vma_count: 3,
    anon_vma_chain_count: 3,
    check_errors: 0,
    checks: t.batch().length, // one after every event
  });
  deepStrictEqual(r.counters.rmap_meta_bytes_peak, 96 * 3 + 64 * 6);
});

Deno.test("anon_vma_chain: fork allocates a chain entry per ancestor plus an anon_vma and its entry", () => {
  const t = new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A)
    .fork(1, 2).fork(2, 3);
  const r = run(t);
  // fork 1→2: 1 clone entry + anon_vma + entry = 3; fork 2→3: 2 clone entries + 2 = 4.
  deepStrictEqual(r.counters.fork_rmap_allocs, 7);
  deepStrictEqual(r.machine.extraCounters().anon_vma_count, 3);
  deepStrictEqual(r.machine.extraCounters().anon_vma_chain_count, 6);
});

Deno.test("anon_vma_chain: pages left under the parent's anon_vma make walks visit every child (AIM7)", () => {
  const t = new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon");
  for (let p = 0; p < 4; p++) t.w(1, A + p * PG);
  for (let c = 2; c <= 4; c++) {
    t.fork(1, c);
    for (let p = 0; p < 4; p++) t.w(c, A + p * PG); // each child COWs its own copy
  }
  t.reclaim(16);
  const r = run(t);
  // Each of the 16 pages gets two page_referenced walks (second chance) and one try_to_unmap.
  // The parent's 4 pages are filed under the root anon_vma, whose tree holds all 4 areas: each
  // page_referenced walk visits 4 areas, 3 of them wasted; try_to_unmap stops at the first.
  // The children's copies are under their own anon_vma: 1 visit per walk.
  deepStrictEqual(
    {
      visits: r.counters.rmap_vma_visits,
      wasted: r.counters.rmap_wasted_visits,
      pte_walks: r.counters.pte_walks,
      reclaimed: r.counters.pages_reclaimed,
    },
    { visits: 4 * (4 + 4 + 1) + 12 * 3, wasted: 4 * 2 * 3, pte_walks: 72, reclaimed: 16 },
  );
});

Deno.test("anon_vma_chain: COW reuse moves the page to the writer's anon_vma", () => {
  // Children 2 and 3 inherit the page (filed under the root); 3 copies it, the parent exits, and
  // 2's write reuses it. The root's tree still holds both children's areas, but the reused page
  // now lives under 2's own anon_vma, so its walks visit 2's area only: nothing wasted.
  const t = new TraceBuilder().mmap(1, A, "4K", "rw-", "private,anon").w(1, A)
    .fork(1, 2).fork(1, 3).w(3, A).exit(1).w(2, A).reclaim(2);
  const r = run(t);
  deepStrictEqual(
    [r.counters.cow_copies, r.counters.cow_reuses, r.counters.pages_reclaimed],
    [1, 1, 2],
  );
  deepStrictEqual(r.counters.rmap_wasted_visits, 0);
});
