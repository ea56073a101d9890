/**
 * `scan-pressure`: much mapped memory, little of it reclaimed. Several processes (forked from one
 * parent, sharing part of its written memory) each map and touch a large area of their own; then a
 * few rounds of light pressure reclaim a few pages each while the processes keep touching a little.
 *
 * Linux 2.4's `scan` has no reverse map: to free even a few pages, `swap_out` walks process page
 * tables round-robin, aging and unmapping PTEs one at a time until some page has lost its last PTE,
 * so `pte_walks` per reclaimed page is far above any design that goes from the page to its PTEs.
 *
 * @module
 */
import {
  at,
  exit,
  fork,
  header,
  machineParams,
  mark,
  mmap,
  pageTablePages,
  PRIVATE,
  PRIVATE_ANON,
  r,
  reclaim,
  RO,
  RW,
  swapon,
  w,
} from "./_events.ts";
import { Rng } from "./_rng.ts";
import { lazyEvents, type Workload } from "./workload.ts";

/** The parent's area shared by fork, each process's own area, and a mapped data file. */
const SHARED_AREA = 0x7f0000000000;
const OWN = 0x7f4000000000;
const DATA = 0x7e0000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  const shared = Math.floor((p.pages! * p.shared!) / 100);
  return shared + p.procs! * (p.pages! - shared) + p.file! +
    p.procs! * pageTablePages(p.pages! + p.file!, 3);
}

/** The `scan-pressure` workload. */
export const scanPressure: Workload = {
  name: "scan-pressure",
  summary: "much mapped memory, little reclaimed",
  exposes: "scan: pte_walks per reclaimed page, far above any reverse-mapping strategy",
  params: [
    {
      name: "procs",
      description: "processes (a parent and its children)",
      kind: "int",
      default: 4,
      min: 1,
    },
    {
      name: "pages",
      description: "anonymous pages each process maps",
      kind: "int",
      default: 1024,
      min: 1,
    },
    {
      name: "shared",
      description: "percent of them inherited from the parent (shared by fork)",
      kind: "int",
      default: 50,
      min: 0,
      max: 100,
    },
    {
      name: "file",
      description: "pages of a data file every process maps and reads",
      kind: "int",
      default: 256,
    },
    { name: "rounds", description: "pressure rounds", kind: "int", default: 4 },
    { name: "reclaim", description: "pages reclaimed per round", kind: "int", default: 32, min: 1 },
    ...machineParams(
      (p) => footprint(p) + 64,
      "the footprint plus 64 pages (only the reclaim events press)",
      (p) => footprint(p) * 2,
      "twice the footprint",
    ),
  ],
  generate(p) {
    const { procs, pages, file, rounds, swap, seed } = p as Record<string, number>;
    const shared = Math.floor((pages! * p.shared!) / 100);
    const own = pages! - shared;
    const perRound = p.reclaim!;
    return {
      header: header("scan-pressure", p),
      events: lazyEvents(function* () {
        const rng = new Rng(seed!);
        yield swapon("swap0", swap!);
        yield mark("setup");
        if (file! > 0) yield mmap(1, DATA, file!, RO, PRIVATE, "file:/var/data/table");
        if (shared > 0) {
          yield mmap(1, SHARED_AREA, shared, RW, PRIVATE_ANON);
          for (let i = 0; i < shared; i++) yield w(1, at(SHARED_AREA, i));
        }
        for (let c = 1; c < procs!; c++) yield fork(1, 1 + c);
        for (let c = 0; c < procs!; c++) {
          const pid = 1 + c;
          if (own > 0) {
            yield mmap(pid, OWN, own, RW, PRIVATE_ANON);
            for (let i = 0; i < own; i++) yield w(pid, at(OWN, i));
          }
          for (let i = 0; i < file!; i++) yield r(pid, at(DATA, i));
          for (let i = 0; i < shared; i++) yield r(pid, at(SHARED_AREA, i));
        }
        for (let k = 0; k < rounds!; k++) {
          yield mark(`pressure-${k + 1}`);
          yield reclaim(perRound);
          for (let c = 0; c < procs!; c++) {
            for (let j = 0; j < 16; j++) {
              if (own > 0) yield r(1 + c, at(OWN, rng.int(own)));
              if (shared > 0) yield r(1 + c, at(SHARED_AREA, rng.int(shared)));
            }
          }
        }
        yield mark("exit");
        for (let c = procs! - 1; c >= 0; c--) yield exit(1 + c);
      }),
    };
  },
};
