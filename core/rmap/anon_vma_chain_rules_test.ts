/**
 * `anon_vma_chain` at the edges of Linux's rules (mm/rmap.c, mm/vma.c): which neighbour may
 * lend its anon_vma (`find_mergeable_anon_vma`, `reusable_anon_vma`, `anon_vma_compatible`),
 * which areas may merge (`is_mergeable_anon_vma`), and when fork may reuse an anon_vma
 * (`anon_vma_clone`: no area of its own, fewer than 2 children). Each count is reasoned in a
 * comment; sizes 96 bytes an anon_vma, 64 a chain entry.
 */
import { deepStrictEqual } from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const A = 0x10000000, P = 4096;
const AV = 96, AVC = 64;
const tb = () => new TraceBuilder();

/** anon_vma_count, anon_vma_chain_count and the metadata bytes now. */
function counts(m: TestMachine): [number, number, number] {
  return [m.x.anon_vma_count!, m.x.anon_vma_chain_count!, m.machine.metaBytes()];
}

/** `[visits, wasted]` of a pageout of `pid`'s page at `addr` (which must free it). */
function pageout(m: TestMachine, pid: number, addr: number): [number, number] {
  const v = m.c.rmap_vma_visits, w = m.c.rmap_wasted_visits, r = m.c.pages_reclaimed;
  m.run(tb().madvise(pid, addr, P, "pageout"));
  deepStrictEqual(m.c.pages_reclaimed - r, 1, "the pageout freed the page");
  return [m.c.rmap_vma_visits - v, m.c.rmap_wasted_visits - w];
}

Deno.test("anon_vma_chain rules: when everyone exits every anon_vma and entry goes", () => {
  // Y's reference on the root X goes when Y is freed; X goes with it.
  const m = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).fork(1, 2).w(2, A).fork(2, 3)
      .exit(1).exit(2),
  );
  deepStrictEqual(counts(m)[0], 3);
  m.run(tb().exit(3));
  deepStrictEqual(counts(m), [0, 0, 0]);
});

Deno.test("anon_vma_chain rules: a split area's anon_vma has areas of its own: fork makes new ones", () => {
  // Split by mprotect: two areas on X (num_active_vmas 2). fork: each child area links to X and
  // gets a new anon_vma (X has areas of its own): 2 * (1 + 2) allocations; X, Y1, Y2; entries
  // 2 + 2 * 2 = 6 (3 * 96 + 6 * 64 = 672).
  const m = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P)
      .mprotect(1, A + P, P, "r--").fork(1, 2),
  );
  deepStrictEqual([m.c.fork_rmap_allocs, ...counts(m)], [6, 3, 6, 3 * AV + 6 * AVC]);
});

Deno.test("anon_vma_chain rules: after a fork-exit chain a split piece still leaves one reusable", () => {
  // The fork chain 1..4 with exits leaves X, Y (4's own) and Z (3's, with no area of its own
  // and no child), 10 allocations. 4 splits its area: both pieces on Y. 4 forks 5: the first
  // piece's child reuses Z (3 entries); the second finds no reusable anon_vma any more (Z now
  // has an area) and gets W under Y (3 + 2). 18 allocations; X, Y, Z, W; entries 4: 3 + 3,
  // 5: 3 + 4.
  const t = tb().mmap(1, A, 2 * P, "rw-", "private,anon").w(1, A).w(1, A + P);
  for (let p = 1; p <= 3; p++) t.fork(p, p + 1).exit(p).w(p + 1, A);
  const m = new TestMachine("anon_vma_chain").run(t.mprotect(4, A + P, P, "r--").fork(4, 5));
  deepStrictEqual([m.c.fork_rmap_allocs, ...counts(m)], [18, 4, 13, 4 * AV + 13 * AVC]);
});

Deno.test("anon_vma_chain rules: a parent anon_vma left with one child is reusable again", () => {
  // 2 (Y) forks 3 (Z) and 4 (W): Y has 2 children. 3 exits: Z's tree empties, Z goes and Y's
  // num_children drops to 1. 2 exits: Y has no area of its own. 4 forks 5: Y is reused.
  // 3 + 4 + 4 + 3 = 14 allocations; X, Y, W; entries 1's 1, 4's 3, 5's 3.
  const m = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, P, "rw-", "private,anon").w(1, A).fork(1, 2).fork(2, 3).fork(2, 4).exit(3)
      .exit(2).fork(4, 5),
  );
  deepStrictEqual([m.c.fork_rmap_allocs, ...counts(m)], [14, 3, 7, 3 * AV + 7 * AVC]);
});

Deno.test("anon_vma_chain rules: the next neighbour is asked first", () => {
  // A (rw-) and C (rw-) written: two roots X and W (C's neighbour B has none yet). B (rwx) between
  // them: find_mergeable_anon_vma tries the next area first and takes C's W. Made rw-, B merges
  // with C (same anon_vma), not with A. Unmapping C's page leaves W on B: still 2 anon_vmas.
  const m = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, P, "rw-", "private,anon").mmap(1, A + P, P, "rwx", "private,anon")
      .mmap(1, A + 2 * P, P, "rw-", "private,anon").w(1, A).w(1, A + 2 * P).w(1, A + P),
  );
  deepStrictEqual(counts(m), [2, 3, 2 * AV + 3 * AVC]);
  m.run(tb().mprotect(1, A + P, P, "rw-"));
  deepStrictEqual(counts(m), [2, 2, 2 * AV + 2 * AVC]);
  m.run(tb().munmap(1, A + 2 * P, P));
  deepStrictEqual(counts(m), [2, 2, 2 * AV + 2 * AVC]);
});

Deno.test("anon_vma_chain rules: an area without anon_vma merges into its neighbour's", () => {
  // A untouched, B (rwx) written: B's root W. Made rw-, B merges into A (kept, no anon_vma, and
  // W's chain is one entry): A takes W and a chain entry, B's goes. B's page is found through W.
  const m = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, P, "rw-", "private,anon").mmap(1, A + P, P, "rwx", "private,anon")
      .w(1, A + P).mprotect(1, A + P, P, "rw-"),
  );
  deepStrictEqual(counts(m), [1, 1, AV + AVC]);
  deepStrictEqual(pageout(m, 1, A + P), [1, 0]);
  // A's first write finds the anon_vma there: nothing new.
  m.run(tb().w(1, A));
  deepStrictEqual(counts(m), [1, 1, AV + AVC]);
});

Deno.test("anon_vma_chain rules: a forked area's anon_vma is neither lent nor merged", () => {
  // In the child, A' (written before the fork) links to X and its own Y: two entries. A new
  // area B' next to it may not borrow Y (reusable_anon_vma wants a single entry): its root V.
  const lend = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, P, "rw-", "private,anon").w(1, A).fork(1, 2)
      .mmap(2, A + P, P, "rwx", "private,anon").w(2, A + P),
  );
  deepStrictEqual(counts(lend), [3, 4, 3 * AV + 4 * AVC]);
  // Made rw-, B' cannot merge with A' (different anon_vmas): still two areas, found apart.
  lend.run(tb().mprotect(2, A + P, P, "rw-"));
  deepStrictEqual(counts(lend), [3, 4, 3 * AV + 4 * AVC]);
  deepStrictEqual(pageout(lend, 2, A + P), [1, 0]);
  // The other way round: B' (written before the fork) has two entries in the child; A', with no
  // anon_vma, may not merge with it (is_mergeable_anon_vma wants B's chain singular) and, once
  // written, gets an anon_vma of its own.
  const merge = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, P, "rw-", "private,anon").mmap(1, A + P, P, "rwx", "private,anon")
      .w(1, A + P).fork(1, 2).mprotect(2, A + P, P, "rw-"),
  );
  deepStrictEqual(counts(merge), [2, 3, 2 * AV + 3 * AVC]);
  merge.run(tb().w(2, A));
  deepStrictEqual(counts(merge), [3, 4, 3 * AV + 4 * AVC]);
  // A new area B' with no anon_vma next to A' may not merge into it either (A's chain is not
  // singular): written, it gets its own root V (X, Y, V; entries 1 + 2 + 1).
  const merge2 = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A, P, "rw-", "private,anon").w(1, A).fork(1, 2)
      .mmap(2, A + P, P, "rwx", "private,anon").mprotect(2, A + P, P, "rw-").w(2, A + P),
  );
  deepStrictEqual(counts(merge2), [3, 4, 3 * AV + 4 * AVC]);
});

Deno.test("anon_vma_chain rules: two roots side by side never merge", () => {
  // B written (W) and moved away, A written (X), B moved back after A (its vm_pgoff follows A's):
  // made rw-, the two would be one mapping but for their anon_vmas, so they stay apart.
  const m = new TestMachine("anon_vma_chain").run(
    tb().mmap(1, A + P, P, "rwx", "private,anon").w(1, A + P).mremap(1, A + P, P, A + 10 * P, P)
      .mmap(1, A, P, "rw-", "private,anon").w(1, A).mremap(1, A + 10 * P, P, A + P, P)
      .mprotect(1, A + P, P, "rw-"),
  );
  deepStrictEqual(counts(m), [2, 2, 2 * (AV + AVC)]);
  deepStrictEqual([pageout(m, 1, A), pageout(m, 1, A + P)], [[1, 0], [1, 0]]);
});

Deno.test("anon_vma_chain rules: an incompatible neighbour lends nothing", () => {
  // anon_vma_compatible wants the areas adjacent, the same file, the same flags but the access
  // bits, and contiguous vm_pgoff; each case below breaks one: 2 roots each time.
  const cases: [string, TraceBuilder][] = [
    // not adjacent (the tail moved away, its vm_pgoff still following the head's)
    [
      "gap",
      tb().mmap(1, A, 2 * P, "rw-", "private,anon").mremap(1, A + P, P, A + 20 * P, P)
        .w(1, A).w(1, A + 20 * P),
    ],
    // VM_LOCKED on one side
    [
      "locked",
      tb().mmap(1, A, P, "rw-", "private,anon").w(1, A)
        .mmap(1, A + P, P, "rw-", "private,anon,locked"),
    ],
    // vm_pgoff not contiguous (an area moved next to another)
    [
      "pgoff",
      tb().mmap(1, A + 5 * P, P, "rw-", "private,anon").mremap(1, A + 5 * P, P, A + P, P)
        .mmap(1, A, P, "rwx", "private,anon").w(1, A).w(1, A + P),
    ],
    // two files, offsets contiguous
    [
      "files",
      tb().mmap(1, A, P, "rw-", "private", "file:/a", 0)
        .mmap(1, A + P, P, "rwx", "private", "file:/b", P).w(1, A).w(1, A + P),
    ],
  ];
  for (const [what, t] of cases) {
    deepStrictEqual(counts(new TestMachine("anon_vma_chain").run(t)), [2, 2, 2 * (AV + AVC)], what);
  }
});
