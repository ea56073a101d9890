/**
 * The oracle of the rmap walks' cost counters (`tests/_rmap_oracle.ts`) tested on walks that lie:
 * it must report a walk that misses a PTE, one that visits outside its area, one that counts a
 * mapping twice, and one that goes on after the page's last mapping. (`core/rmap/_cases_test.ts` runs it on every strategy.)
 */
import { deepStrictEqual, match } from "node:assert/strict";
import { WalkOracle } from "./_rmap_oracle.ts";
import { registerWrapped, type WalkFn } from "./_strategy_wrapper.ts";
import type { Vma } from "../core/mm/vma.ts";
import { TraceBuilder } from "../trace/builder.ts";

/**
 * Two processes map each of 4 anonymous pages (fork, no COW), and a file page is mapped by both:
 * MADV_PAGEOUT leaves pages mapped twice alone, so the reclaim event makes the walks.
 */
function sharedPages() {
  const t = new TraceBuilder()
    .mmap(1, 0x10000000, "16K", "rw-", "private,anon")
    .mmap(1, 0x20000000, "16K", "r--", "shared", "file:/f");
  for (let k = 0; k < 4; k++) t.w(1, 0x10000000 + k * 4096).r(1, 0x20000000 + k * 4096);
  return t.fork(1, 2).reclaim(16).reclaim(16).reclaim(16).batch();
}

/** The oracle's findings on a replay of {@linkcode sharedPages} through `liar`. */
function judge(liar: string, walk: WalkFn): WalkOracle {
  const off = registerWrapped(liar, "anon_vma_chain", walk);
  try {
    using oracle = new WalkOracle(liar, "anon_vma_chain");
    const m = oracle.machine({ memPages: 256, swapPages: 1024 });
    const b = sharedPages();
    for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
    return oracle;
  } finally {
    off();
  }
}

Deno.test("WalkOracle finds nothing wrong with an honest walk, of anonymous and file pages", () => {
  const o = judge("honest", (frame, visit, walk) => walk(frame, visit));
  deepStrictEqual(o.failures, []);
  if (o.walks < 8 || o.fileWalks < 4) throw new Error(`${o.walks} walks, ${o.fileWalks} of files`);
  deepStrictEqual(o.useful, o.usefulPerWalk.reduce((a, b) => a + b, 0));
});

Deno.test("WalkOracle reports a walk that stops after the first mapping", () => {
  const o = judge("liar:short", (frame, visit, walk, ctx) => {
    if (ctx.checking) return walk(frame, visit);
    walk(frame, { vma: (v, p) => (visit.vma(v, p), true), mm: (m, p) => (visit.mm(m, p), true) });
  });
  match(o.failures[0] ?? "", /1 useful visits \(1 - 0 wasted\), page tables map it 2 times/);
});

Deno.test("WalkOracle reports a walk that goes on after the page's last mapping", () => {
  const o = judge("liar:long", (frame, visit, walk, ctx) => {
    let first: Vma | null = null, at = 0;
    walk(frame, {
      vma: (v, p) => (first ??= v, at = p, visit.vma(v, p)),
      mm: (m, p) => visit.mm(m, p),
    });
    const v = first as Vma | null;
    // Then one more visit, inside the first area but at a page that maps another frame.
    if (!ctx.checking && v !== null) visit.vma(v, at === v.start ? v.start + 1 : v.start);
  });
  match(o.failures[0] ?? "", /wasted visits after the page's last mapping was found/);
});

Deno.test("WalkOracle reports a visit one page past the end of its area", () => {
  const o = judge("liar:wide", (frame, visit, walk, ctx) => {
    let first: Vma | null = null;
    walk(frame, { vma: (v, p) => (first ??= v, visit.vma(v, p)), mm: (m, p) => visit.mm(m, p) });
    const v = first as Vma | null;
    if (!ctx.checking && v !== null) visit.vma(v, v.end);
  });
  match(o.failures[0] ?? "", /1 visits outside their area/);
});

Deno.test("WalkOracle reports a mapping visited twice", () => {
  const o = judge("liar:twice", (frame, visit, walk, ctx) => {
    let first: [Vma, number] | null = null;
    walk(frame, {
      vma: (v, p) => (first ??= [v, p], visit.vma(v, p)),
      mm: (m, p) => visit.mm(m, p),
    });
    const f = first as [Vma, number] | null;
    if (!ctx.checking && f !== null) visit.vma(f[0], f[1]);
  });
  match(o.failures[0] ?? "", /2 useful visits \(\d+ - \d+ wasted\), page tables map it 1 time$/);
});
