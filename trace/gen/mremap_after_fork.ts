/**
 * `mremap-after-fork`: a parent writes a private anonymous area and forks; the child copies a few
 * pages on write; some still-shared pages are paged out to swap; then the parent moves the area with
 * mremap while most of its pages are still shared with the child. For contrast the parent also
 * moves an area of its own that was never shared.
 *
 * Linux moves page tables and copies nothing. `anonmm` (Dickins/Torvalds, seed 001) names an
 * anonymous page by its virtual address in the fork family, so a page still shared after fork must
 * be copied when one process moves it, including the pages that are on swap
 * (`mremap_pages_copied`); only that design pays.
 *
 * @module
 */
import {
  at,
  exit,
  fork,
  mark,
  mmap,
  mremap,
  pageout,
  PRIVATE_ANON,
  r,
  reclaim,
  RW,
  w,
} from "./_events.ts";
import { footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import type { Workload } from "./workload.ts";

/** Where the shared area starts, where it moves to, and the parent's own area and its target. */
const AREA = 0x7f0000000000;
const MOVED = 0x7f4000000000;
const OWN = 0x7f1000000000;
const OWN_MOVED = 0x7f5000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  return 2 * p.pages! + p.own! + 2 * pageTablePages(2 * p.pages!, 3);
}

/** The `mremap-after-fork` workload. */
export const mremapAfterFork: Workload = swapWorkload({
  name: "mremap-after-fork",
  summary:
    "fork, then the parent mremaps (moves) an area whose pages are still shared with the child",
  exposes: "anonmm: mremap of pages still shared after fork copies them (mremap_pages_copied)",
  params: [
    {
      name: "pages",
      description: "pages in the area shared by fork",
      kind: "int",
      default: 64,
      min: 1,
    },
    {
      name: "cow",
      description: "pages the child writes before the move (no longer shared)",
      kind: "int",
      default: (p) => Math.floor(p.pages! / 8),
      defaultText: "an eighth of --pages",
    },
    {
      name: "swapped",
      description: "shared pages paged out to swap before the move",
      kind: "int",
      default: (p) => Math.floor(p.pages! / 4),
      defaultText: "a quarter of --pages",
    },
    {
      name: "own",
      description: "pages of the parent's own, never shared, area it also moves",
      kind: "int",
      default: 16,
      min: 1,
    },
    ...footprintParams(
      footprint,
      (fp) => fp,
      "the footprint (pressure comes from reclaim events)",
    ),
  ],
  *events(p, rng) {
    const { pages, cow, swapped, own } = p as Record<string, number>;
    yield mark("setup");
    yield mmap(1, AREA, pages!, RW, PRIVATE_ANON);
    for (let i = 0; i < pages!; i++) yield w(1, at(AREA, i));
    yield mark("fork");
    yield fork(1, 2);
    for (const i of rng.sample(pages!, Math.min(cow!, pages!))) yield w(2, at(AREA, i));
    // Page out a tail of the area: those pages are on swap, still shared, when it moves.
    const out = Math.min(swapped!, pages!);
    if (out > 0) yield pageout(1, at(AREA, pages! - out), out);
    yield mark("own-mremap");
    yield mmap(1, OWN, own!, RW, PRIVATE_ANON);
    for (let i = 0; i < own!; i++) yield w(1, at(OWN, i));
    yield mremap(1, OWN, own!, OWN_MOVED, own!);
    yield mark("mremap");
    yield mremap(1, AREA, pages!, MOVED, pages!);
    yield mark("after");
    for (let i = 0; i < pages!; i++) yield r(1, at(MOVED, i));
    for (let i = 0; i < pages!; i++) yield r(2, at(AREA, i));
    for (let i = 0; i < own!; i++) yield r(1, at(OWN_MOVED, i));
    for (const i of rng.sample(pages!, Math.ceil(pages! / 4))) yield w(1, at(MOVED, i));
    for (const i of rng.sample(pages!, Math.ceil(pages! / 4))) yield w(2, at(AREA, i));
    yield mark("pressure");
    yield reclaim(pages!);
    for (let i = 0; i < pages!; i++) yield r(1, at(MOVED, i));
    for (let i = 0; i < pages!; i++) yield r(2, at(AREA, i));
    yield mark("exit");
    yield exit(2);
    yield exit(1);
  },
});
