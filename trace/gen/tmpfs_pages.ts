/**
 * `tmpfs-pages`: write(2) to tmpfs files that nobody maps, push them (and some private anonymous
 * pages) to swap, then `swapoff`: every page must come back into memory even though no page table
 * names it (the problem of Hemment's 1997 tmpfs post, seed 004, and Biederman's swapoff race,
 * seed 002). Afterwards a process maps the files and reads everything back, so `--verify` checks
 * every page's contents; reading does no I/O because swapoff already brought the pages in.
 *
 * @module
 */
import {
  at,
  create,
  exit,
  mark,
  mmap,
  PRIVATE_ANON,
  r,
  reclaim,
  RO,
  RW,
  SHARED,
  swapoff,
  w,
  write,
} from "./_events.ts";
import { footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import type { Workload } from "./workload.ts";

/** Where the checker maps the files, and the private anonymous area. */
const FILES = 0x7f0000000000;
const ANON = 0x7f8000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  return p.files! * p.pages! + p.anon! + pageTablePages(p.files! * p.pages! + p.anon!, 8);
}

/** The `tmpfs-pages` workload. */
export const tmpfsPages: Workload = swapWorkload({
  name: "tmpfs-pages",
  summary: "write(2) to tmpfs files nobody maps, pressure, then swapoff",
  exposes: "swapoff must find pages no page table names (tmpfs) as well as anonymous ones",
  params: [
    { name: "files", description: "tmpfs files", kind: "int", default: 4, min: 1 },
    { name: "pages", description: "pages written to each file", kind: "int", default: 64, min: 1 },
    {
      name: "anon",
      description: "private anonymous pages of a process, also swapped",
      kind: "int",
      default: 32,
    },
    ...footprintParams(
      footprint,
      (fp) => fp * 2,
      "twice the footprint (everything must fit after swapoff)",
    ),
  ],
  *events(p, rng) {
    const { files, pages, anon } = p as Record<string, number>;
    const name = (f: number) => `tmpfs:/dev/shm/data${f}`;
    yield mark("setup");
    for (let f = 0; f < files!; f++) yield create(1, name(f), pages!);
    // write(2) in random page order, some pages twice.
    for (let f = 0; f < files!; f++) {
      for (const i of rng.permutation(pages!)) yield write(1, name(f), i, 1);
      for (const i of rng.sample(pages!, Math.ceil(pages! / 4))) yield write(1, name(f), i, 1);
    }
    if (anon! > 0) {
      yield mmap(1, ANON, anon!, RW, PRIVATE_ANON);
      for (let i = 0; i < anon!; i++) yield w(1, at(ANON, i));
    }
    yield mark("pressure");
    yield reclaim(files! * pages! + anon!);
    yield mark("swapoff");
    yield swapoff("swap0");
    yield mark("check");
    for (let f = 0; f < files!; f++) {
      const base = FILES + f * pages! * 4096;
      yield mmap(1, base, pages!, RO, SHARED, name(f));
      for (let i = 0; i < pages!; i++) yield r(1, at(base, i));
    }
    for (let i = 0; i < anon!; i++) yield r(1, at(ANON, i));
    yield mark("exit");
    yield exit(1);
  },
});
