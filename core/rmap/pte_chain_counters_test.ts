/**
 * `pte_chain`'s own counters, stage by stage, each number reasoned from the design (the module
 * comment of `core/rmap/pte_chain.ts`): an entry per PTE, ⌈n / 7⌉ blocks of 64 bytes for a page
 * mapped n ≥ 2 times, and one scan step per entry looked at to find the one to remove or move (a
 * chain is in mapping order: the parent's entry first, the child's after it).
 */
import { deepStrictEqual } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { TestMachine } from "../../tests/_machine.ts";

const A = 0x10000000, B = 0x20000000, P = 4096;

Deno.test("pte_chain: entries, blocks and scan steps through fork, munmap, mremap and exit", () => {
  const m = new TestMachine("pte_chain", 64, 64);
  const now = () => {
    const x = m.x;
    return [
      x.pte_chain_entries,
      x.pte_chain_entries_peak,
      x.pte_chain_blocks,
      x.pte_chain_scan_steps,
      m.c.rmap_meta_bytes_peak,
      m.c.fork_rmap_allocs,
    ];
  };
  // Three pages mapped once: three direct pointers, no block.
  m.run(new TraceBuilder().mmap(1, A, 4 * P, "rw-", "private,anon").w(1, A, 3 * P));
  deepStrictEqual(now(), [3, 3, 0, 0, 0, 0]);
  // fork: one entry per copied PTE; each page mapped twice needs a block.
  m.run(new TraceBuilder().fork(1, 2));
  deepStrictEqual(now(), [6, 6, 3, 0, 192, 3]);
  // The child unmaps the third page: its entry is second in the chain (2 steps); the page is
  // mapped once again and gives its block back.
  m.run(new TraceBuilder().munmap(2, A + 2 * P, P));
  deepStrictEqual(now(), [5, 6, 2, 2, 192, 3]);
  // The parent moves its area: its entry is first in each chain (1 step a page, 3 pages).
  m.run(new TraceBuilder().mremap(1, A, 4 * P, B, 4 * P));
  deepStrictEqual(now(), [5, 6, 2, 5, 192, 3]);
  // The child exits: its entries are second in the two chains it is on (2 steps each).
  m.run(new TraceBuilder().exit(2));
  deepStrictEqual(now(), [3, 6, 0, 9, 192, 3]);
  // Seven more children: each page mapped 8 times needs ⌈8 / 7⌉ = 2 blocks.
  const forks = new TraceBuilder();
  for (let pid = 3; pid <= 9; pid++) forks.fork(1, pid);
  m.run(forks);
  deepStrictEqual(now(), [24, 24, 6, 9, 6 * 64, 3 + 21]);
});

Deno.test("pte_chain: mremap rewrites the moved PTE's entry, not another of the same space", () => {
  // One file page mapped twice by one process; the second mapping moves. The chain holds
  // (pid 1, A) then (pid 1, B): the move looks at both entries (2 steps) and rewrites B's;
  // the munmap of A and the pageout's unmap each find theirs first (1 step each).
  const m = new TestMachine("pte_chain", 64, 64);
  m.run(
    new TraceBuilder().create(1, "file:/f", P)
      .mmap(1, A, P, "r--", "shared", "file:/f").r(1, A)
      .mmap(1, B, P, "r--", "shared", "file:/f").r(1, B)
      .mremap(1, B, P, B + 16 * P, P).r(1, B + 16 * P).munmap(1, A, P)
      .madvise(1, B + 16 * P, P, "pageout"),
  );
  deepStrictEqual([m.x.pte_chain_entries, m.x.pte_chain_scan_steps], [0, 4]);
  deepStrictEqual([m.c.rmap_vma_visits, m.c.rmap_wasted_visits, m.c.pages_reclaimed], [1, 0, 1]);
});
