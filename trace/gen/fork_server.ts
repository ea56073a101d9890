/**
 * `fork-server`: a parent with a big address space (a written heap and a mapped program text)
 * forks many short-lived children, a few alive at a time; each child touches a handful of pages and
 * exits.
 *
 * Fork copies the PTEs of every private area that has anonymous pages. Hemment's pmaps / the 2.5
 * `pte_chain` rmap then add one chain entry per copied PTE, and free them again at exit: the largest
 * `fork_rmap_allocs` and the most chain memory (`rmap_meta_bytes_peak`). The object-based designs
 * pay per area, not per page.
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
  RW,
  RX,
  w,
  x,
} from "./_events.ts";
import { childrenParam, footprintParams, pageTablePages, swapWorkload } from "./_workload.ts";
import type { Workload } from "./workload.ts";

/** The server's heap, its program text and the children's scratch area. */
const HEAP = 0x7f0000000000;
const TEXT = 0x400000;
const SCRATCH = 0x7f2000000000;
const SCRATCH_PAGES = 4;

function footprint(p: Readonly<Record<string, number>>): number {
  const live = p.concurrent! + 1;
  return p.pages! + live * (p.touch! + SCRATCH_PAGES + pageTablePages(p.pages!, 3));
}

/** The `fork-server` workload. */
export const forkServer: Workload = swapWorkload({
  name: "fork-server",
  summary: "a parent with a big address space forks many short-lived children",
  exposes: "pte_chain: one chain entry per PTE copied at fork (fork_rmap_allocs, rmap_meta_bytes)",
  params: [
    {
      name: "pages",
      description: "pages of the server (three quarters heap, a quarter text)",
      kind: "int",
      default: 1024,
      min: 4,
    },
    childrenParam("children", "children forked in all", 32),
    {
      name: "concurrent",
      description: "children alive at the same time",
      kind: "int",
      default: 4,
      min: 1,
    },
    {
      name: "touch",
      description: "pages each child reads (a quarter of them it also writes)",
      kind: "int",
      default: 16,
      min: 0,
    },
    ...footprintParams(
      footprint,
      (fp) => fp,
      "the footprint (pressure comes from reclaim events)",
    ),
  ],
  *events(p, rng) {
    const { pages, children, concurrent, touch } = p as Record<string, number>;
    const text = Math.max(1, Math.floor(pages! / 4));
    const heap = pages! - text;
    yield mark("setup");
    yield mmap(1, TEXT, text, RX, PRIVATE, "file:/usr/sbin/server");
    for (let i = 0; i < text; i++) yield x(1, at(TEXT, i));
    yield mmap(1, HEAP, heap, RW, PRIVATE_ANON);
    for (let i = 0; i < heap; i++) yield w(1, at(HEAP, i));
    yield mark("serve");
    const alive: number[] = [];
    for (let c = 0; c < children!; c++) {
      const pid = 2 + c;
      yield fork(1, pid);
      alive.push(pid);
      yield mmap(pid, SCRATCH, SCRATCH_PAGES, RW, PRIVATE_ANON);
      for (let i = 0; i < SCRATCH_PAGES; i++) yield w(pid, at(SCRATCH, i));
      const picked = rng.sample(heap, Math.min(touch!, heap));
      for (const i of picked) yield r(pid, at(HEAP, i));
      for (let k = 0; k < picked.length; k += 4) yield w(pid, at(HEAP, picked[k]!));
      yield x(pid, at(TEXT, rng.int(text)));
      // The parent keeps serving: it touches its heap while the children run.
      yield w(1, at(HEAP, rng.int(heap)));
      if (alive.length >= concurrent!) yield exit(alive.shift()!);
    }
    yield mark("pressure");
    yield reclaim(Math.ceil(pages! / 2));
    for (let i = 0; i < heap; i += 2) yield r(1, at(HEAP, i));
    yield mark("exit");
    for (const pid of alive) yield exit(pid);
    yield exit(1);
  },
});
