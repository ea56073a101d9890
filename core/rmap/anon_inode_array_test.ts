/**
 * `anon_inode`'s metadata: an inode and a dentry (792 bytes) per anonymous inode plus a 16-byte
 * slot for every offset its `anon_inode_info` array covers, touched or not (the module comment of
 * `core/rmap/anon_inode.ts`). The array is made for the whole area at its first fault, grows when
 * a page is faulted beyond it or a neighbour merges in, and is copied whole at fork.
 */
import { deepStrictEqual } from "node:assert/strict";
import { TraceBuilder } from "../../trace/builder.ts";
import { TestMachine } from "../../tests/_machine.ts";

const A = 0x10000000, P = 4096;
const INODE = 600 + 192, SLOT = 16;

Deno.test("anon_inode: the array covers the area, grows with it, and fork copies it", () => {
  const m = new TestMachine("anon_inode", 64, 64);
  const now = () => [
    m.c.rmap_meta_bytes_peak,
    m.x.anon_inode_count,
    m.x.anon_inode_slots_copied,
    m.c.fork_rmap_allocs,
  ];
  // The first fault in a 4-page area: one inode, an array of 4 slots.
  m.run(new TraceBuilder().mmap(1, A, 4 * P, "rw-", "private,anon").w(1, A));
  deepStrictEqual(now(), [INODE + 4 * SLOT, 1, 0, 0]);
  // Grown in place to 8 pages: the array is not touched until a page beyond it faults; page 6
  // makes it cover offsets 0 to 6 (7 slots).
  m.run(new TraceBuilder().mremap(1, A, 4 * P, A, 8 * P));
  deepStrictEqual(now(), [INODE + 4 * SLOT, 1, 0, 0]);
  m.run(new TraceBuilder().w(1, A + 6 * P));
  deepStrictEqual(now(), [INODE + 7 * SLOT, 1, 0, 0]);
  // A compatible neighbour of 4 pages merges in: the array covers the 12 pages of the area.
  m.run(new TraceBuilder().mmap(1, A + 8 * P, 4 * P, "rw-", "private,anon").w(1, A + 9 * P));
  deepStrictEqual(now(), [INODE + 12 * SLOT, 1, 0, 0]);
  // fork: the child's inode, dentry and array (3 allocations) with a copy of all 12 slots.
  m.run(new TraceBuilder().fork(1, 2));
  deepStrictEqual(now(), [2 * (INODE + 12 * SLOT), 2, 12, 3]);
  // The child's pages are walked through its own array: a pageout of a page the child wrote
  // checks both inodes of the family (the parent's slot holds the parent's page).
  m.run(new TraceBuilder().w(2, A + 6 * P).madvise(2, A + 6 * P, P, "pageout"));
  deepStrictEqual(
    [m.c.rmap_vma_visits, m.c.rmap_wasted_visits, m.x.anon_inode_slot_checks],
    [1, 0, 2],
  );
});

Deno.test("anon_inode: an area mapped just below one with an array merges in and extends it down", () => {
  const m = new TestMachine("anon_inode", 64, 64);
  const now = () => [m.c.rmap_meta_bytes_peak, m.x.anon_inode_count, m.x.anon_inode_slot_checks];
  m.run(new TraceBuilder().mmap(1, A + 4 * P, 4 * P, "rw-", "private,anon").w(1, A + 4 * P));
  deepStrictEqual(now(), [INODE + 4 * SLOT, 1, 0]);
  // The new area has no inode yet, so it may merge with the one above: one area, one array of 8.
  m.run(new TraceBuilder().mmap(1, A, 4 * P, "rw-", "private,anon"));
  deepStrictEqual(now(), [INODE + 8 * SLOT, 1, 0]);
  // Its pages use the same inode: no new one, and a pageout checks one slot.
  m.run(new TraceBuilder().w(1, A).madvise(1, A, P, "pageout"));
  deepStrictEqual(now(), [INODE + 8 * SLOT, 1, 1]);
});
