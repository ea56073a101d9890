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
  for (let c = 2; c <= 4; c++) t.fork(1, c);
  // Children 2 and 3 copy every page into their own anon_vma, and so does the parent (its copies
  // stay under the root anon_vma, its own); child 4 writes nothing, so the 4 original pages, still
  // under the root, are mapped by child 4 alone.
  for (const pid of [2, 3, 1]) for (let p = 0; p < 4; p++) t.w(pid, A + p * PG);
  t.reclaim(16);
  const r = run(t);
  // Every walk ends at the page's last mapping, as Linux's do. The root's tree holds the 4 areas
  // in the order they were linked (1, 2, 3, 4): a walk of an original page visits 1, 2 and 3,
  // whose PTEs map their own copies (3 wasted visits), before 4's: 4 visits. Fork made 4's PTEs
  // old, so an original page gets one folio_referenced walk (nothing referenced) and one
  // try_to_unmap: 8 visits, 6 wasted. Each copy was written, so it gets two folio_referenced walks
  // (second chance) and one try_to_unmap, each ending at the first area (the parent's is first in
  // the root's tree): 3 visits.
  deepStrictEqual(
    {
      visits: r.counters.rmap_vma_visits,
      wasted: r.counters.rmap_wasted_visits,
      pte_walks: r.counters.pte_walks,
      reclaimed: r.counters.pages_reclaimed,
    },
    { visits: 4 * 8 + 12 * 3, wasted: 4 * 6, pte_walks: 68, reclaimed: 16 },
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
