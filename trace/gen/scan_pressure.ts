/**
 * `scan-pressure`: much mapped memory, little of it reclaimable. Several processes each write a
 * large private anonymous area and map a shared data file; the small swap device fills during
 * setup, so from then on only the file's cold half can be reclaimed. Round after round, every
 * process reads all its anonymous memory and the file's hot half, and light pressure
 * (`- reclaim`) frees a few pages.
 *
 * Linux 2.4's `scan` has no reverse map: `swap_out` walks process page tables round-robin,
 * visiting (and clearing the accessed bit of, or trying to swap out) every anonymous PTE on its
 * way to the few file PTEs it can unmap, and a file page is only freed once the walk has unmapped
 * it in every process: `pte_walks` per reclaimed page grow with the mapped memory. A
 * reverse-mapping design takes candidates from the LRU lists, skips anonymous pages when swap is
 * full, and visits only the PTEs of the pages it examines.
 *
 * @module
 */
import {
  at,
  exit,
  fork,
  mark,
  mmap,
  PRIVATE,
  PRIVATE_ANON,
  r,
  reclaim,
  RO,
  RW,
  w,
} from "./_events.ts";
import { footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import type { Workload } from "./workload.ts";

/** Each process's area, and where every process maps the data file. */
const AREA = 0x7f0000000000;
const DATA = 0x7e0000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  return p.file! + p.procs! * (p.pages! + pageTablePages(p.pages! + p.file!, 2));
}

/** The `scan-pressure` workload. */
export const scanPressure: Workload = swapWorkload({
  name: "scan-pressure",
  summary: "much mapped memory, little reclaimed",
  exposes: "scan: pte_walks per reclaimed page, far above any reverse-mapping strategy",
  params: [
    {
      name: "procs",
      description: "processes, each with its own area",
      kind: "int",
      default: 8,
      min: 1,
    },
    {
      name: "pages",
      description: "pages of each process's area",
      kind: "int",
      default: 1024,
      min: 1,
    },
    {
      name: "file",
      description: "pages of a data file every process maps",
      kind: "int",
      default: 256,
      min: 1,
    },
    {
      name: "cold",
      description: "percent of the file nobody reads after setup",
      kind: "int",
      default: 50,
      min: 0,
      max: 100,
    },
    { name: "rounds", description: "pressure rounds", kind: "int", default: 8 },
    { name: "reclaim", description: "pages reclaimed per round", kind: "int", default: 16, min: 1 },
    ...footprintParams(
      footprint,
      (fp) => fp * 1.1 + 128,
      "the footprint plus 10% and 128 pages, above the watermarks: only the reclaim events press",
      () => 16,
      "16 pages, filled during setup: anonymous memory can hardly be swapped",
    ),
  ],
  *events(p, rng) {
    const { procs, pages, file, cold, rounds, swap } = p as Record<string, number>;
    const nCold = Math.ceil((file! * cold!) / 100);
    const isCold = new Set(rng.sample(file!, nCold));
    const hotFile = Array.from({ length: file! }, (_, i) => i).filter((i) => !isCold.has(i));
    yield mark("setup");
    for (let c = 1; c < procs!; c++) yield fork(1, 1 + c);
    for (let c = 0; c < procs!; c++) {
      yield mmap(1 + c, DATA, file!, RO, PRIVATE, "file:/var/data/table");
      for (let i = 0; i < file!; i++) yield r(1 + c, at(DATA, i));
      yield mmap(1 + c, AREA, pages!, RW, PRIVATE_ANON);
      for (let i = 0; i < pages!; i++) yield w(1 + c, at(AREA, i));
    }
    // Fill the swap device: from now on only the file's pages can be reclaimed.
    yield reclaim(Math.floor(swap! / 4096));
    for (let k = 0; k < rounds!; k++) {
      yield mark(`pressure-${k + 1}`);
      for (let c = 0; c < procs!; c++) {
        for (let i = 0; i < pages!; i++) yield r(1 + c, at(AREA, i));
        for (const i of hotFile) yield r(1 + c, at(DATA, i));
      }
      yield reclaim(p.reclaim!);
    }
    yield mark("exit");
    for (let c = procs! - 1; c >= 0; c--) yield exit(1 + c);
  },
});
