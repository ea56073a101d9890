/**
 * `zygote`: Android's process model. A preloaded parent maps shared libraries (private file
 * mappings, relocated so partly written) and a big written heap, then forks apps; each app touches a
 * random subset of the preloaded memory, writes a fraction of what it touches, and grows a heap of
 * its own; memory pressure follows while the apps keep running.
 *
 * Many processes map the same preloaded pages, few pages are COWed per app: a realistic mix where
 * per-page designs (`pte_chain`, `scan`) pay for every copied PTE and object designs pay per area.
 *
 * @module
 */
import { at, exit, fork, mark, mmap, PRIVATE, PRIVATE_ANON, r, reclaim, RW, w } from "./_events.ts";
import { childrenParam, footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import { KeyedPermutation, keyFor } from "../_rng.ts";
import type { Workload } from "./workload.ts";

/** The preloaded libraries, the preloaded heap and each app's own heap. */
const LIBS = 0x7e0000000000;
const PRELOAD = 0x7f0000000000;
const APP_HEAP = 0x7f8000000000;

function footprint(p: Readonly<Record<string, number>>): number {
  const touched = Math.ceil(((p.pages! + p.libs!) * p.touch!) / 100);
  const written = Math.ceil((touched * p.write!) / 100);
  return p.pages! + p.libs! +
    p.apps! * (written + p.heap! + pageTablePages(p.pages! + p.libs!, 4));
}

/** The `zygote` workload. */
export const zygote: Workload = swapWorkload({
  name: "zygote",
  summary: "a preloaded parent forks apps that each touch a subset of its memory",
  exposes: "the cost of many processes sharing preloaded pages: fork PTE copies, rmap metadata",
  params: [
    childrenParam("apps", "apps forked from the zygote", 8),
    {
      name: "pages",
      description: "pages of preloaded heap (written by the zygote)",
      kind: "int",
      default: 512,
      min: 1,
    },
    {
      name: "libs",
      description: "pages of preloaded libraries (private file mappings)",
      kind: "int",
      default: 256,
      min: 1,
    },
    {
      name: "touch",
      description: "percent of the preloaded pages each app touches",
      kind: "int",
      default: 25,
      min: 0,
      max: 100,
    },
    {
      name: "write",
      description: "percent of the touched pages the app writes",
      kind: "int",
      default: 20,
      min: 0,
      max: 100,
    },
    { name: "heap", description: "pages of each app's own heap", kind: "int", default: 64 },
    ...footprintParams(
      footprint,
      (fp) => (fp * 2) / 3,
      "two thirds of the footprint",
    ),
  ],
  *events(p, rng) {
    const { apps, pages, libs, touch, write, heap } = p as Record<string, number>;
    const relocated = Math.max(1, Math.floor(libs! / 16));
    yield mark("preload");
    yield mmap(1, LIBS, libs!, RW, PRIVATE, "file:/system/lib/libpreload.so");
    for (let i = 0; i < libs!; i++) yield r(1, at(LIBS, i));
    for (let i = 0; i < relocated; i++) yield w(1, at(LIBS, i)); // relocations
    yield mmap(1, PRELOAD, pages!, RW, PRIVATE_ANON);
    for (let i = 0; i < pages!; i++) yield w(1, at(PRELOAD, i));
    yield mark("fork");
    for (let a = 0; a < apps!; a++) {
      yield fork(1, 2 + a);
      yield mmap(2 + a, APP_HEAP, heap!, RW, PRIVATE_ANON);
    }
    yield mark("run");
    const total = pages! + libs!;
    const nTouch = Math.ceil((total * touch!) / 100);
    const nWrite = Math.ceil((nTouch * write!) / 100);
    // App a's j-th page is computed when needed: nothing per app is held.
    const base = rng.int(2 ** 32);
    const touchedAt = (a: number, j: number) => new KeyedPermutation(total, keyFor(base, a)).at(j);
    const addr = (k: number) => k < libs! ? at(LIBS, k) : at(PRELOAD, k - libs!);
    const steps = Math.max(nTouch, heap!);
    for (let j = 0; j < steps; j++) {
      for (let a = 0; a < apps!; a++) {
        const pid = 2 + a;
        if (j < nTouch) {
          const k = touchedAt(a, j);
          yield j < nWrite ? w(pid, addr(k)) : r(pid, addr(k));
        }
        if (j < heap!) yield w(pid, at(APP_HEAP, j));
      }
    }
    yield mark("pressure");
    yield reclaim(Math.ceil(total / 2));
    for (let a = 0; a < apps!; a++) {
      for (let j = 0; j < nTouch; j++) yield r(2 + a, addr(touchedAt(a, j)));
    }
    yield mark("exit");
    for (let a = 0; a < apps!; a++) yield exit(2 + a);
    yield exit(1);
  },
});
