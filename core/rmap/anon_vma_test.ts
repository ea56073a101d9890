import assert from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("anon_vma");

const A = 0x10000000;
const tb = () => new TraceBuilder();

/** A parent writes 4 pages and forks 3 children, each of which COWs page 0. */
function family(strategy: string): TestMachine {
  const t = tb().mmap(1, A, "16K", "rw-", "private,anon");
  for (let i = 0; i < 4; i++) t.w(1, A + i * 4096);
  for (let c = 2; c <= 4; c++) t.fork(1, c).w(c, A);
  return new TestMachine(strategy).run(t);
}

Deno.test("anon_vma: one anon_vma per fork family; fork allocates nothing", () => {
  const m = family("anon_vma");
  assert.equal(m.x.anon_vma_count, 1);
  assert.equal(m.c.fork_rmap_allocs, 0);
  // One 24-byte anon_vma and a 16-byte list link in each of the 4 areas.
  assert.equal(m.c.rmap_meta_bytes_peak, 24 + 4 * 16);
  m.run(tb().exit(2).exit(3).exit(4).exit(1));
  assert.equal(m.x.anon_vma_count, 0);
  assert.equal(m.machine.metaBytes(), 0);
});

Deno.test("anon_vma: unmapping one child's COWed page visits every area of the family", () => {
  const m = family("anon_vma");
  // The walk stops at the PTE it looks for: the last child's copy is found after all four areas.
  const visits = m.delta("rmap_vma_visits", tb().madvise(4, A, "4K", "pageout"));
  assert.equal(visits, 4);
  assert.equal(m.c.rmap_wasted_visits, 3);
  // Linux today files the copy under the child's own anon_vma: one visit.
  const avc = family("anon_vma_chain");
  assert.equal(avc.delta("rmap_vma_visits", tb().madvise(4, A, "4K", "pageout")), 1);
});

Deno.test("anon_vma: split and mremap keep areas on the family's list", () => {
  const t = tb().mmap(1, A, "16K", "rw-", "private,anon");
  for (let i = 0; i < 4; i++) t.w(1, A + i * 4096);
  const m = new TestMachine("anon_vma").run(t);
  m.run(tb().munmap(1, A + 4096, "4K").mremap(1, A + 8192, "8K", A + 0x100000, "8K"));
  assert.equal(m.x.anon_vma_count, 1);
  // The moved pages are still found at their new address (check compares every walk with a scan).
  m.run(tb().madvise(1, A + 0x100000, "8K", "pageout").madvise(1, A, "4K", "pageout"));
  assert.equal(m.c.swap_out_pages, 3);
  // The list holds both pieces; for each moved page the head piece, whose range does not cover
  // the page's index, costs a visit with no PTE.
  assert.equal(m.c.rmap_wasted_visits, 2);
});
