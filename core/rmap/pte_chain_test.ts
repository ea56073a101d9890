import assert from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("pte_chain");

const A = 0x10000000, F = 0x20000000, MOVED = 0x30000000;
const tb = () => new TraceBuilder();

Deno.test("pte_chain: fork adds one chain entry per copied PTE, exit takes them away", () => {
  const m = new TestMachine("pte_chain");
  const t = tb().mmap(1, A, "48K", "rw-", "private,anon");
  for (let i = 0; i < 10; i++) t.w(1, A + i * 4096);
  t.r(1, A + 10 * 4096).r(1, A + 11 * 4096); // zero-page PTEs carry no chain entry
  m.run(t);
  assert.equal(m.x.pte_chain_entries, 10);
  assert.equal(m.c.rmap_meta_bytes_peak, 0, "a single mapping uses the direct pointer");
  m.run(tb().fork(1, 2));
  assert.equal(m.c.fork_rmap_allocs, 10);
  assert.equal(m.x.pte_chain_entries, 20);
  assert.equal(m.c.rmap_meta_bytes_peak, 10 * 64, "one 64-byte block per page mapped twice");
  m.run(tb().exit(2));
  assert.equal(m.x.pte_chain_entries, 10);
  assert.equal(m.machine.metaBytes(), 0);
});

Deno.test("pte_chain: a block holds 7 PTE addresses", () => {
  const m = new TestMachine("pte_chain");
  const t = tb().mmap(1, A, "4K", "rw-", "private,anon").w(1, A);
  for (let c = 2; c <= 8; c++) t.fork(1, c);
  m.run(t);
  assert.equal(m.x.pte_chain_entries, 8);
  assert.equal(m.c.rmap_meta_bytes_peak, 2 * 64);
});

Deno.test("pte_chain: rmap visits exactly the chain, for file pages too, across mremap", () => {
  const m = new TestMachine("pte_chain");
  m.run(
    tb().create(1, "file:/data", "16K").mmap(1, F, "16K", "r--", "shared", "file:/data")
      .r(1, F).fork(1, 2).mmap(2, F, "16K", "r--", "shared", "file:/data").r(2, F)
      .mremap(1, F, "16K", MOVED, "16K"),
  );
  // Reclaiming everything unmaps the page in both processes, at the moved address too.
  m.run(tb().reclaim(64).r(1, MOVED).r(2, F));
  assert(m.c.pages_reclaimed > 0);
  assert.equal(m.c.rmap_wasted_visits, 0);
});
