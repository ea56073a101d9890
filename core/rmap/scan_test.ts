import assert from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("scan");

const A = 0x10000000;
const tb = () => new TraceBuilder();

Deno.test("scan: reclaim walks page tables; a shared page goes only when its last PTE does", () => {
  const m = new TestMachine("scan");
  const t = tb().mmap(1, A, "16K", "rw-", "private,anon");
  for (let i = 0; i < 4; i++) t.w(1, A + i * 4096);
  m.run(t.fork(1, 2).reclaim(4));
  // The parent's PTEs were young: a first pass clears their accessed bits (4 visits); the child's
  // copies are old and get unmapped (4), which frees nothing; the second pass over the parent
  // unmaps them (4) and the pages go.
  assert.equal(m.c.pte_walks, 12);
  assert.equal(m.c.pages_reclaimed, 4);
  assert.equal(m.c.rmap_vma_visits, 0);
  assert.equal(m.c.rmap_meta_bytes_peak, 0);
  // The first to touch the page waits for the swap read; the second finds it in the swap cache.
  assert.equal(m.delta("major_faults", tb().r(1, A).r(2, A)), 1);
});

Deno.test("scan: the walk ages pages itself, resuming where it stopped", () => {
  const m = new TestMachine("scan");
  const t = tb().mmap(1, A, "32K", "rw-", "private,anon");
  for (let i = 0; i < 8; i++) t.w(1, A + i * 4096);
  // All 8 PTEs are young: a lap clears their accessed bits, the next visit unmaps page 0.
  assert.equal(m.delta("pte_walks", t.reclaim(1)), 9);
  // Touch everything again: from its cursor (page 1) the walk clears 7 bits, wraps to page 0
  // (faulted back in, young), then unmaps page 1.
  const touch = tb();
  for (let i = 0; i < 8; i++) touch.r(1, A + i * 4096);
  m.run(touch);
  assert.equal(m.delta("pte_walks", tb().reclaim(1)), 9);
  // Nothing touched since: the next PTE is old and goes at once.
  assert.equal(m.delta("pte_walks", tb().reclaim(1)), 1);
  assert.equal(m.c.pages_reclaimed, 3);
});
