import assert from "node:assert/strict";
import { TestMachine } from "../../tests/_machine.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import { strategyCases } from "./_cases_test.ts";

strategyCases("objtree");

const A = 0x10000000;
const tb = () => new TraceBuilder();

/** A parent that wrote 4 pages and forked child 2. */
function forked(): TestMachine {
  const t = tb().mmap(1, A, "16K", "rw-", "private,anon");
  for (let i = 0; i < 4; i++) t.w(1, A + i * 4096);
  return new TestMachine("objtree").run(t.fork(1, 2));
}

Deno.test("objtree: the first COW after fork creates a child address space", () => {
  const m = forked();
  assert.equal(m.x.objtree_spaces, 1);
  assert.equal(m.c.fork_rmap_allocs, 0);
  m.run(tb().w(2, A));
  assert.equal(m.x.objtree_spaces, 2);
  assert.equal(m.x.objtree_depth, 2);
  m.run(tb().w(1, A + 4096));
  assert.equal(m.x.objtree_spaces, 3, "the parent's first COW gets a space of its own too");
  // The child's copy lives in its own space: its walk visits that space's one area.
  assert.equal(m.delta("rmap_vma_visits", tb().madvise(2, A, "4K", "pageout")), 1);
  assert.equal(m.x.objtree_walk_spaces, 1);
});

Deno.test("objtree: a space left with one child and no area merges with it", () => {
  const m = forked().run(tb().w(2, A).exit(1));
  assert.equal(m.x.objtree_collapses, 1);
  assert.equal(m.x.objtree_spaces, 1);
  assert.equal(m.x.objtree_depth, 1);
  assert.equal(m.x.objtree_pages_moved, 1);
});

Deno.test("objtree: an area that privately modified every page is cut from its parent", () => {
  const m = forked();
  const t = tb();
  for (let i = 0; i < 4; i++) t.w(2, A + i * 4096);
  m.run(t);
  assert.equal(m.x.objtree_cuts, 1);
  assert.equal(m.x.objtree_depth, 1);
  assert.equal(m.x.objtree_spaces, 2, "two roots: the parent's space and the child's");
});
