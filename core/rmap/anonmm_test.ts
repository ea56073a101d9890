import assert from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("anonmm");

const A = 0x10000000, B = 0x20000000, MOVED = 0x30000000, OWN_MOVED = 0x40000000;
const tb = () => new TraceBuilder();

Deno.test("anonmm: mremap copies pages still shared after fork, not the mover's own", () => {
  const m = new TestMachine("anonmm");
  const t = tb().mmap(1, A, "16K", "rw-", "private,anon");
  for (let i = 0; i < 4; i++) t.w(1, A + i * 4096);
  t.fork(1, 2).w(2, A); // the child COWs page 0: 3 pages stay shared
  t.mmap(1, B, "8K", "rw-", "private,anon").w(1, B).w(1, B + 4096);
  m.run(t);
  assert.equal(m.delta("mremap_pages_copied", tb().mremap(1, B, "8K", OWN_MOVED, "8K")), 0);
  assert.equal(m.delta("mremap_pages_copied", tb().mremap(1, A, "16K", MOVED, "16K")), 3);
  // Both still read their own data; the copies are the parent's alone: no COW fault on write.
  assert.equal(m.delta("minor_faults", tb().w(1, MOVED + 4096).r(2, A + 4096)), 0);
});

Deno.test("anonmm: a shared page on swap is read in and copied too", () => {
  const m = new TestMachine("anonmm");
  m.run(
    tb().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).w(1, A + 4096).fork(1, 2)
      .reclaim(16),
  );
  assert.equal(m.c.swap_out_pages, 2);
  const swapIn = m.c.swap_in_pages;
  assert.equal(m.delta("mremap_pages_copied", tb().mremap(1, A, "8K", MOVED, "8K")), 2);
  assert.equal(m.c.swap_in_pages - swapIn, 2);
  // After the child exits nothing is shared: moving back copies nothing.
  m.run(tb().exit(2));
  assert.equal(m.delta("mremap_pages_copied", tb().mremap(1, MOVED, "8K", A, "8K")), 0);
});

Deno.test("anonmm: rmap visits every address space of the fork family at the address", () => {
  const m = new TestMachine("anonmm");
  m.run(
    tb().mmap(1, A, "4K", "rw-", "private,anon").w(1, A).fork(1, 2).fork(1, 3).fork(1, 4)
      .w(2, A).w(3, A).exec(4),
  );
  assert.equal(m.x.anonmm_family_peak, 4);
  assert.equal(m.c.fork_rmap_allocs, 3);
  assert.equal(m.x.anonmm_count, 4, "exec gave child 4 a family of its own");
  // The walk of child 3's copy visits the parent, child 2 and child 3, where it stops.
  assert.equal(m.delta("rmap_vma_visits", tb().madvise(3, A, "4K", "pageout")), 3);
  assert.equal(m.c.rmap_wasted_visits, 2);
});

Deno.test("anonmm: a swap entry whose swap-cache page a relative maps is copied, not moved", () => {
  // Shrunk from `gen random --events=200000 --seed=3`: the parent's swap entry had no other
  // holder, but the child had swapped the page in; moving the entry left the page indexed at A
  // while the parent mapped it at MOVED after its swap-cache hit.
  const m = new TestMachine("anonmm");
  m.run(tb().mmap(1, A, "4K", "rw-", "private,anon").w(1, A).fork(1, 2).reclaim(16));
  assert.equal(m.c.swap_out_pages, 1);
  assert.equal(m.delta("swap_in_pages", tb().r(2, A)), 1);
  const moved = m.c.mremap_ptes_moved;
  assert.equal(m.delta("mremap_pages_copied", tb().mremap(1, A, "4K", MOVED, "4K")), 1);
  assert.equal(m.c.mremap_ptes_moved, moved);
  assert.equal(m.c.swap_in_pages, 1, "copied from the swap-cache page, not read again");
  // The copy is the parent's own: no fault to read it, none to write it; the child's page is
  // still found at A.
  assert.equal(m.delta("minor_faults", tb().r(1, MOVED).w(1, MOVED)), 0);
  assert.equal(m.delta("rmap_vma_visits", tb().madvise(2, A, "4K", "pageout")), 2);
  assert.equal(m.x.check_errors, 0);
});

Deno.test("anonmm: mremap fails with ENOMEM when a shared page cannot be copied", () => {
  // 32 frames, no swap: 24 shared pages, room for 8 copies. Moving a page still shared would
  // lose track of it, so the mremap fails and what was copied goes back (Dickins' rmap 11).
  const m = new TestMachine("anonmm", 32, 0);
  const t = tb().mmap(1, A, "96K", "rw-", "private,anon");
  for (let i = 0; i < 24; i++) t.w(1, A + i * 4096);
  m.run(t.fork(1, 2));
  const warnings = m.c.warnings;
  m.run(tb().mremap(1, A, "96K", MOVED, "96K"));
  assert.equal(m.c.warnings - warnings, 1, "out of memory");
  assert.equal(m.c.mremap_pages_copied, 8);
  assert.equal(m.c.mremap_ptes_moved, 8, "the 8 copies moved back");
  assert.equal(m.machine.freeFrames(), 0);
  // The area stayed where it was, the copies are the parent's own (no fault on write), the
  // child still shares the rest.
  assert.equal(m.delta("minor_faults", tb().r(1, A).w(1, A + 7 * 4096).r(2, A + 4096)), 0);
  assert.equal(m.delta("segv", tb().r(1, MOVED)), 1);
  assert.equal(m.x.check_errors, 0);
});
