/**
 * `fork-chain`: D generations of fork. Generation 1 writes a private anonymous area; each
 * generation forks the next, the child writes part of the area (copy on write while its parent
 * still maps the pages), and then, by default, the parent exits.
 *
 * It exposes how each design's anonymous-object structure grows with the chain: Lokier's `objtree`
 * adds one address space per generation that writes (depth D while the ancestors live; collapsing
 * a child into an only parent bounds it once they exit), and `anon_vma_chain` allocates one anon_vma
 * per fork, kept alive by the pages that still point to it, which the 2015 reuse rule bounds when
 * the ancestors have exited (`--exit=0` keeps every generation alive).
 *
 * @module
 */
import { at, exit, fork, mark, mmap, PRIVATE_ANON, r, reclaim, RW, w } from "./_events.ts";
import { childrenParam, footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import type { Workload } from "./workload.ts";

/** Base address of the area every generation inherits. */
const AREA = 0x7f0000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  const live = p.exit ? 2 : p.depth! + 1;
  return p.pages! + p.depth! * p.write! + live * pageTablePages(p.pages!, 1);
}

/** The `fork-chain` workload. */
export const forkChain: Workload = swapWorkload({
  name: "fork-chain",
  summary:
    "D generations: each forks the next, the child writes part of the area, the parent exits",
  exposes: "objtree chain depth and anon_vma_chain anon_vma count as the fork chain grows",
  params: [
    childrenParam("depth", "generations after the first (forks in the chain)", 8),
    {
      name: "pages",
      description: "pages in the inherited private area",
      kind: "int",
      default: 64,
      min: 1,
    },
    {
      name: "write",
      description: "pages each new generation writes",
      kind: "int",
      default: (p) => Math.max(1, Math.floor(p.pages! / 4)),
      defaultText: "a quarter of --pages",
    },
    {
      name: "exit",
      description: "1: each parent exits after its child wrote; 0: all stay alive",
      kind: "int",
      default: 1,
      min: 0,
      max: 1,
    },
    ...footprintParams(
      footprint,
      (fp) => (fp * 3) / 4,
      "three quarters of the footprint",
    ),
  ],
  *events(p, rng) {
    const { depth, pages, write } = p as Record<string, number>;
    const exits = p.exit === 1;
    const n = Math.min(write!, pages!);
    yield mark("setup");
    yield mmap(1, AREA, pages!, RW, PRIVATE_ANON);
    for (let i = 0; i < pages!; i++) yield w(1, at(AREA, i));
    yield mark("chain");
    for (let g = 1; g <= depth!; g++) {
      yield fork(g, g + 1);
      for (const i of rng.sample(pages!, n)) yield w(g + 1, at(AREA, i));
      if (exits) yield exit(g);
    }
    const last = depth! + 1;
    yield mark("pressure");
    yield reclaim(pages!);
    for (let i = 0; i < pages!; i++) yield r(last, at(AREA, i));
    yield mark("exit");
    if (!exits) { for (let g = 1; g < last; g++) yield exit(g); }
    yield exit(last);
  },
});
