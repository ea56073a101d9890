/**
 * `aim7`: the workload that exposed Linux 2.6.7's anon_vma. A parent writes a private anonymous
 * area, forks N children, and every child copies-on-write P pages of it, all running at once; then
 * memory pressure pushes the copies to swap and the children read them back.
 *
 * Under `anon_vma` every COWed page still belongs to the family's one anon_vma, so each rmap walk
 * visits all N+1 areas to find the one that maps it: visits per reclaimed page grow with N (the AIM7
 * benchmark ran about 1000 children × 1000 COWed pages). `anon_vma_chain` puts each child's copies
 * in the child's own anon_vma: about one visit per COWed page.
 *
 * @module
 */
import { at, exit, fork, mark, mmap, PRIVATE_ANON, r, reclaim, RW, w } from "./_events.ts";
import { childrenParam, footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import { KeyedPermutation, keyFor, MAX_KEYED_PERMUTATION } from "../_rng.ts";
import type { Workload } from "./workload.ts";

/** Base address of the shared private area. */
const AREA = 0x7f0000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  return p.pages! + p.children! * p.cow! + (p.children! + 1) * pageTablePages(p.pages!, 1);
}

/** The `aim7` workload. */
export const aim7: Workload = swapWorkload({
  name: "aim7",
  summary: "parent + N children, each COWs P pages of a shared private area, then memory pressure",
  exposes: "anon_vma: rmap_vma_visits per reclaimed page grow with the number of children",
  params: [
    childrenParam("children", "children forked by the parent", 16),
    {
      name: "pages",
      description: "pages in the parent's private area",
      kind: "int",
      default: 64,
      min: 1,
      max: MAX_KEYED_PERMUTATION,
    },
    {
      name: "cow",
      description: "pages each child writes (copies on write)",
      kind: "int",
      default: (p) => p.pages!,
      defaultText: "all of --pages",
      min: 0,
    },
    {
      name: "rounds",
      description: "pressure rounds (reclaim, then every child re-reads)",
      kind: "int",
      default: 2,
      min: 0,
    },
    ...footprintParams(
      footprint,
      (fp) => fp / 2,
      "half the footprint",
    ),
  ],
  *events(p, rng) {
    const { children, pages, cow, rounds } = p as Record<string, number>;
    const cowPages = Math.min(cow!, pages!);
    yield mark("setup");
    yield mmap(1, AREA, pages!, RW, PRIVATE_ANON);
    for (let i = 0; i < pages!; i++) yield w(1, at(AREA, i));
    yield mark("fork");
    for (let c = 0; c < children!; c++) yield fork(1, 2 + c);
    yield mark("cow");
    // Every child writes its own random choice of pages, the children interleaved as if they
    // ran at once. Child c's j-th page is computed when needed (nothing per child is held, so
    // memory stays flat however many children there are).
    const base = rng.int(2 ** 32);
    const page = (c: number, j: number) => new KeyedPermutation(pages!, keyFor(base, c)).at(j);
    for (let j = 0; j < cowPages; j++) {
      for (let c = 0; c < children!; c++) yield w(2 + c, at(AREA, page(c, j)));
    }
    for (let k = 0; k < rounds!; k++) {
      yield mark(`pressure-${k + 1}`);
      yield reclaim(Math.ceil((children! * cowPages) / 2));
      for (let j = 0; j < cowPages; j++) {
        for (let c = 0; c < children!; c++) yield r(2 + c, at(AREA, page(c, j)));
      }
    }
    yield mark("exit");
    for (let c = 0; c < children!; c++) yield exit(2 + c);
    yield exit(1);
  },
});
