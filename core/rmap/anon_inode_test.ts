import assert from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("anon_inode");

const A = 0x10000000;
const tb = () => new TraceBuilder();

Deno.test("anon_inode: no zero page: a read of untouched memory gets a page of its own", () => {
  const t = () => tb().mmap(1, A, "8K", "rw-", "private,anon").r(1, A).w(1, A);
  const inode = new TestMachine("anon_inode").run(t());
  const linux = new TestMachine("anon_vma_chain").run(t());
  assert.equal(inode.c.minor_faults, 1);
  assert.equal(inode.c.zero_page_maps, 0);
  assert.equal(linux.c.minor_faults, 2);
  assert.equal(linux.c.zero_page_maps, 1);
});

Deno.test("anon_inode: fork dups a private area's inode and copies its array", () => {
  const m = new TestMachine("anon_inode");
  m.run(tb().mmap(1, A, "32K", "rw-", "private,anon").w(1, A).w(1, A + 4096));
  // An inode, a dentry and an 8-slot array.
  assert.equal(m.c.rmap_meta_bytes_peak, 600 + 192 + 8 * 16);
  m.run(tb().fork(1, 2));
  assert.equal(m.c.fork_rmap_allocs, 3);
  assert.equal(m.x.anon_inode_slots_copied, 8);
  assert.equal(m.x.anon_inode_count, 2);
  assert.equal(m.c.rmap_meta_bytes_peak, 2 * (600 + 192 + 8 * 16));
  // After the child's COW only the child's array holds its copy: the walk checks the parent's
  // inode (first in the family), then the child's, and visits one area.
  m.run(tb().w(2, A));
  assert.equal(m.delta("rmap_vma_visits", tb().madvise(2, A, "4K", "pageout")), 1);
  assert.equal(m.x.anon_inode_slot_checks, 2);
});

Deno.test("anon_inode: a split area keeps its inode; shared areas use the mapping's inode", () => {
  const m = new TestMachine("anon_inode");
  m.run(
    tb().mmap(1, A, "32K", "rw-", "private,anon").w(1, A).w(1, A + 5 * 4096)
      .munmap(1, A + 2 * 4096, "8K"),
  );
  assert.equal(m.x.anon_inode_count, 1);
  m.run(tb().madvise(1, A, "32K", "pageout").r(1, A).r(1, A + 5 * 4096));
  m.run(tb().mmap(1, 0x20000000, "8K", "rw-", "shared,anon").r(1, 0x20000000).fork(1, 2));
  // The shared area has none; both pieces of the private one share one dup'd inode.
  assert.equal(m.x.anon_inode_count, 2);
});
