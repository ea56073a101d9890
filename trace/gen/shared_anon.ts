/**
 * `shared-anon`: processes sharing a MAP_SHARED|MAP_ANONYMOUS area (created before fork) read and
 * write it at random under memory pressure, then every process reads the whole area back.
 *
 * Shared anonymous pages need a name that survives swap-out: the seed-002 inode per mapping
 * (backed by the general swap, as Linux's shmem does) in every strategy but `anon_inode`, which
 * uses Hemment's anonymous inode and its array of page pointers and swap entries (seed 000) and, as
 * Hemment notes, cannot map the zero page for such areas.
 *
 * @module
 */
import { at, exit, fork, mark, mmap, r, reclaim, RW, SHARED_ANON, w } from "./_events.ts";
import { footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import type { Workload } from "./workload.ts";

/** Base of the shared anonymous area. */
const AREA = 0x7f0000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  return p.pages! + p.procs! * pageTablePages(p.pages!, 1);
}

/** The `shared-anon` workload. */
export const sharedAnon: Workload = swapWorkload({
  name: "shared-anon",
  summary: "processes sharing MAP_SHARED|MAP_ANONYMOUS memory under pressure",
  exposes: "shared anonymous memory: seed 002's inode per mapping versus anon_inode (seed 000)",
  params: [
    {
      name: "procs",
      description: "processes sharing the area (the parent and its children)",
      kind: "int",
      default: 4,
      min: 1,
    },
    { name: "pages", description: "pages in the shared area", kind: "int", default: 256, min: 1 },
    { name: "ops", description: "random accesses per process", kind: "int", default: 512 },
    {
      name: "write",
      description: "percent of the accesses that are stores",
      kind: "int",
      default: 50,
      min: 0,
      max: 100,
    },
    ...footprintParams(
      footprint,
      (fp) => fp / 2,
      "half the footprint",
    ),
  ],
  *events(p, rng) {
    const { procs, pages, ops, write } = p as Record<string, number>;
    yield mark("setup");
    yield mmap(1, AREA, pages!, RW, SHARED_ANON);
    // The parent reads a few pages before fork: never-written shared pages.
    for (let i = 0; i < pages!; i += 8) yield r(1, at(AREA, i));
    yield mark("fork");
    for (let c = 1; c < procs!; c++) yield fork(1, 1 + c);
    yield mark("run");
    for (let k = 0; k < ops!; k++) {
      for (let c = 0; c < procs!; c++) {
        const a = at(AREA, rng.int(pages!));
        yield rng.int(100) < write! ? w(1 + c, a) : r(1 + c, a);
      }
    }
    yield mark("pressure");
    yield reclaim(pages!);
    for (let c = 0; c < procs!; c++) {
      for (let i = 0; i < pages!; i++) yield r(1 + c, at(AREA, i));
    }
    yield mark("exit");
    for (let c = procs! - 1; c >= 0; c--) yield exit(1 + c);
  },
});
