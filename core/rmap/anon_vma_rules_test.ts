/**
 * `anon_vma` (Linux 2.6.7) at the edges of its rules: `find_mergeable_anon_vma` lends a
 * neighbour's anon_vma only to an area that could merge with it but for the access bits (adjacent,
 * same file, same other flags, contiguous `vm_pgoff`); two areas merge only when one has no
 * anon_vma or both have the same (`is_mergeable_anon_vma`). Sizes: 24 bytes the anon_vma, 16 a
 * link.
 */
import { deepStrictEqual } from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const A = 0x10000000, P = 4096;
const AV = 24, LINK = 16;
const tb = () => new TraceBuilder();

function pageout(m: TestMachine, pid: number, addr: number): [number, number] {
  const v = m.c.rmap_vma_visits, w = m.c.rmap_wasted_visits, r = m.c.pages_reclaimed;
  m.run(tb().madvise(pid, addr, P, "pageout"));
  deepStrictEqual(m.c.pages_reclaimed - r, 1, "the pageout freed the page");
  return [m.c.rmap_vma_visits - v, m.c.rmap_wasted_visits - w];
}

Deno.test("anon_vma rules: an area without anon_vma merges into its neighbour's list", () => {
  // A untouched, B (rwx) written: B's anon_vma W. Made rw-, B merges into A (kept): A joins W's
  // list, B leaves it: one area linked (40 bytes), and B's page is found through it.
  const m = new TestMachine("anon_vma").run(
    tb().mmap(1, A, P, "rw-", "private,anon").mmap(1, A + P, P, "rwx", "private,anon")
      .w(1, A + P).mprotect(1, A + P, P, "rw-"),
  );
  deepStrictEqual([m.x.anon_vma_count, m.machine.metaBytes()], [1, AV + LINK]);
  deepStrictEqual(pageout(m, 1, A + P), [1, 0]);
  // A's first write finds W on the merged area: no second link.
  m.run(tb().w(1, A));
  deepStrictEqual([m.x.anon_vma_count, m.machine.metaBytes()], [1, AV + LINK]);
});

Deno.test("anon_vma rules: two families side by side never merge", () => {
  // B written (W) and moved away, A written (X), B moved back after A (vm_pgoff contiguous):
  // made rw-, they would be one mapping but for their anon_vmas. Two lists of one area each.
  const m = new TestMachine("anon_vma").run(
    tb().mmap(1, A + P, P, "rwx", "private,anon").w(1, A + P).mremap(1, A + P, P, A + 10 * P, P)
      .mmap(1, A, P, "rw-", "private,anon").w(1, A).mremap(1, A + 10 * P, P, A + P, P)
      .mprotect(1, A + P, P, "rw-"),
  );
  deepStrictEqual([m.x.anon_vma_count, m.machine.metaBytes()], [2, 2 * (AV + LINK)]);
  deepStrictEqual([pageout(m, 1, A), pageout(m, 1, A + P)], [[1, 0], [1, 0]]);
});

Deno.test("anon_vma rules: an incompatible neighbour lends nothing", () => {
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
    const m = new TestMachine("anon_vma").run(t);
    deepStrictEqual([m.x.anon_vma_count, m.machine.metaBytes()], [2, 2 * (AV + LINK)], what);
  }
});

Deno.test("anon_vma rules: the next neighbour is asked first", () => {
  // A and C written: two anon_vmas, X and W. B between them (rwx) takes the next area's, W. Made
  // rw-, B merges with C, not with A; unmapping C's page leaves W on B: still 2 anon_vmas.
  const m = new TestMachine("anon_vma").run(
    tb().mmap(1, A, P, "rw-", "private,anon").mmap(1, A + P, P, "rwx", "private,anon")
      .mmap(1, A + 2 * P, P, "rw-", "private,anon").w(1, A).w(1, A + 2 * P).w(1, A + P)
      .mprotect(1, A + P, P, "rw-").munmap(1, A + 2 * P, P),
  );
  deepStrictEqual([m.x.anon_vma_count, m.machine.metaBytes()], [2, 2 * (AV + LINK)]);
});

Deno.test("anon_vma rules: anon_vma_count_peak keeps the most alive at once", () => {
  // Three processes with an area each, in three families (exec starts a new one): 3 alive; the
  // exits free them all, the peak stays 3, and a fourth family later leaves it there.
  const m = new TestMachine("anon_vma").run(
    tb().mmap(1, A, P, "rw-", "private,anon").w(1, A).fork(1, 2).exec(2)
      .mmap(2, A, P, "rw-", "private,anon").w(2, A).mmap(3, A, P, "rw-", "private,anon").w(3, A),
  );
  deepStrictEqual([m.x.anon_vma_count, m.x.anon_vma_count_peak], [3, 3]);
  m.run(tb().exit(3).exit(2));
  deepStrictEqual([m.x.anon_vma_count, m.x.anon_vma_count_peak], [1, 3]);
  m.run(tb().exit(1));
  deepStrictEqual([m.x.anon_vma_count, m.x.anon_vma_count_peak], [0, 3]);
  // A new one later does not lower it.
  m.run(tb().mmap(4, A, P, "rw-", "private,anon").w(4, A));
  deepStrictEqual([m.x.anon_vma_count, m.x.anon_vma_count_peak], [1, 3]);
});
