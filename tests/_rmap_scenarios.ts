/**
 * Test helper: the small structural scenarios behind the `core/rmap/*_structure_test.ts` files.
 * Each builds one situation Linux's rules say something exact about (an mprotect split, a munmap
 * hole, an mremap move, neighbours sharing an anon_vma, a fork family, a fork chain with and
 * without exits, exec, swapoff) on a {@linkcode TestMachine} (public machine API, `check` on),
 * then measures it: the strategy's counters at that point, and the cost of reverse-map walks
 * forced one page at a time with `madvise pageout`.
 *
 * A pageout of one page that only one PTE maps is exactly one `try_to_unmap` walk (no
 * `page_referenced` walk: MADV_PAGEOUT ignores references), which stops when the page's last
 * PTE is gone. So each walk's visits are known: the areas the strategy offers before (and
 * including) the one that maps the page.
 *
 * @module
 */
import type { CounterName } from "../core/counters.ts";
import { TraceBuilder } from "../trace/builder.ts";
import { TestMachine } from "./_machine.ts";

/** Base address of the scenarios' first area. */
export const A = 0x10000000;
/** Where `mremap` moves things to. */
export const B = 0x20000000;
/** Page size. */
export const PAGE = 4096;

/** One forced walk: `[rmap_vma_visits, rmap_wasted_visits, pte_walks]` it added. */
export type Walk = [visits: number, wasted: number, ptes: number];

/** What a scenario measured. */
export interface Outcome {
  /** The walks of the pageouts, in order. */
  walks: Walk[];
  /** `fork_rmap_allocs` before the pageouts. */
  allocs: number;
  /** `rmap_meta_bytes_peak` before the pageouts. */
  metaPeak: number;
  /** The strategy's metadata bytes before the pageouts. */
  meta: number;
  /** The strategy's extra counters before the pageouts (`check_errors` and `checks` left out). */
  x: Record<string, number>;
  /** Every counter after the pageouts. */
  c: Record<CounterName, number>;
  /** The strategy's extra counters after the pageouts. */
  xAfter: Record<string, number>;
}

const tb = () => new TraceBuilder();

/** Sums walks: total visits, wasted visits and PTEs looked at. */
export function total(walks: Walk[]): Walk {
  return walks.reduce<Walk>((s, w) => [s[0] + w[0], s[1] + w[1], s[2] + w[2]], [0, 0, 0]);
}

/**
 * Pages out `(pid, addr)` one at a time and returns each walk; throws unless each pageout
 * reclaimed exactly its page (a walk that did not free the page would measure nothing useful).
 */
export function pageouts(m: TestMachine, pages: [pid: number, addr: number][]): Walk[] {
  return pages.map(([pid, addr]) => {
    const before = m.c;
    m.run(tb().madvise(pid, addr, PAGE, "pageout"));
    const after = m.c;
    const d = (n: CounterName) => after[n] - before[n];
    if (d("pages_reclaimed") !== 1) {
      throw new Error(`pageout of pid ${pid} 0x${addr.toString(16)} freed ${d("pages_reclaimed")}`);
    }
    return [d("rmap_vma_visits"), d("rmap_wasted_visits"), d("pte_walks")];
  });
}

/** Replays `t` on a new machine of `strategy`, then measures the pageouts of `pages`. */
export function measure(
  strategy: string,
  t: TraceBuilder,
  pages: [pid: number, addr: number][],
): Outcome {
  const m = new TestMachine(strategy).run(t);
  return measureOn(m, pages);
}

/** Measures the pageouts of `pages` on machine `m`, taking the counters before them. */
export function measureOn(m: TestMachine, pages: [pid: number, addr: number][]): Outcome {
  const { check_errors: _e, checks: _c, ...x } = m.x;
  const allocs = m.c.fork_rmap_allocs, metaPeak = m.c.rmap_meta_bytes_peak;
  const meta = m.machine.metaBytes();
  const walks = pageouts(m, pages);
  const { check_errors: _e2, checks: _c2, ...xAfter } = m.x;
  return { walks, allocs, metaPeak, meta, x, c: m.c, xAfter };
}

/** Pid 1's pages `ks` of the area at A. */
function own(ks: number[], pid = 1): [number, number][] {
  return ks.map((k) => [pid, A + k * PAGE]);
}

/** An `n`-page private anonymous area at A, every page written by pid 1. */
function written(n = 4): TraceBuilder {
  const t = tb().mmap(1, A, n * PAGE, "rw-", "private,anon");
  for (let k = 0; k < n; k++) t.w(1, A + k * PAGE);
  return t;
}

/**
 * mprotect of half of a written 4-page area (the `"tail"` pages 2-3 or the `"head"` pages 0-1)
 * splits it in two areas of one anon_vma (or inode, space, ...); then pages 0-3 are paged out.
 */
export function splitByMprotect(strategy: string, part: "head" | "tail"): Outcome {
  const t = written().mprotect(1, part === "tail" ? A + 2 * PAGE : A, 2 * PAGE, "r--");
  return measure(strategy, t, own([0, 1, 2, 3]));
}

/**
 * munmap of page 2 of a written 5-page area leaves two areas of two pages (0-1 and 3-4) of one
 * family; they are paged out.
 */
export function munmapHole(strategy: string): Outcome {
  return measure(strategy, written(5).munmap(1, A + 2 * PAGE, PAGE), own([0, 1, 3, 4]));
}

/**
 * The hole of {@linkcode munmapHole} mapped again and written: the three areas merge back into
 * one; pages 0-4 are paged out.
 */
export function holeRefilled(strategy: string): Outcome {
  const t = written(5).munmap(1, A + 2 * PAGE, PAGE)
    .mmap(1, A + 2 * PAGE, PAGE, "rw-", "private,anon").w(1, A + 2 * PAGE);
  return measure(strategy, t, own([0, 1, 2, 3, 4]));
}

/**
 * mremap moves pages 2-3 of a written 4-page area to B: two areas of one family, the moved one
 * keeping its page offsets; then A, A+1, B, B+1 are paged out.
 */
export function mremapMove(strategy: string): Outcome {
  const t = written().mremap(1, A + 2 * PAGE, 2 * PAGE, B, 2 * PAGE);
  return measure(strategy, t, [...own([0, 1]), [1, B], [1, B + PAGE]]);
}

/** The move of {@linkcode mremapMove} and back: the pieces merge again; pages 0-3 paged out. */
export function mremapMoveBack(strategy: string): Outcome {
  const t = written().mremap(1, A + 2 * PAGE, 2 * PAGE, B, 2 * PAGE)
    .mremap(1, B, 2 * PAGE, A + 2 * PAGE, 2 * PAGE);
  return measure(strategy, t, own([0, 1, 2, 3]));
}

/**
 * Two adjacent one-page areas that cannot merge (rw- and rwx) but are otherwise one mapping's
 * pieces (same flags, contiguous offsets: Linux's `anon_vma_compatible`); both written, the first
 * first (with `secondFirst`, the second first: then the first finds its neighbour after it).
 * With `merged`, an mprotect then makes the second rw- too, and they merge. Then both pages are
 * paged out, the first first.
 */
export function neighbours(
  strategy: string,
  opts: { merged?: boolean; secondFirst?: boolean } = {},
): Outcome {
  const t = tb().mmap(1, A, PAGE, "rw-", "private,anon")
    .mmap(1, A + PAGE, PAGE, "rwx", "private,anon");
  if (opts.secondFirst) t.w(1, A + PAGE).w(1, A);
  else t.w(1, A).w(1, A + PAGE);
  if (opts.merged) t.mprotect(1, A + PAGE, PAGE, "rw-");
  return measure(strategy, t, own([0, 1]));
}

/**
 * AIM7 in miniature: pid 1 writes a one-page area and forks `children` children (pids 2..), each
 * of which writes (copies) the page at once. Then every process's page is paged out, pid 1's
 * first: each is mapped once, so every walk looks for one PTE.
 */
export function family(strategy: string, children = 3): Outcome {
  const t = tb().mmap(1, A, PAGE, "rw-", "private,anon").w(1, A);
  for (let c = 2; c <= children + 1; c++) t.fork(1, c).w(c, A);
  const pages: [number, number][] = [];
  for (let p = 1; p <= children + 1; p++) pages.push([p, A]);
  return measure(strategy, t, pages);
}

/**
 * A fork chain of `depth` generations over a 2-page area: pid 1 writes both pages; generation p
 * forks p+1, (with `exits`) exits, and p+1 writes page 0. Then, with `exits`, the last
 * generation's pages 0 and 1 are paged out; without, page 0 of every generation, the first
 * first (each generation's copy is its own; page 1 is still mapped by all and MADV_PAGEOUT
 * leaves it).
 */
export function forkChain(strategy: string, depth: number, exits: boolean): Outcome {
  const t = tb().mmap(1, A, 2 * PAGE, "rw-", "private,anon").w(1, A).w(1, A + PAGE);
  for (let p = 1; p < depth; p++) {
    t.fork(p, p + 1);
    if (exits) t.exit(p);
    t.w(p + 1, A);
  }
  const pages: [number, number][] = [];
  for (let p = 1; p <= depth; p++) pages.push([p, A]);
  return measure(strategy, t, exits ? own([0, 1], depth) : pages);
}

/**
 * The 2015 reuse rule's conditions: pid 1 writes a page and forks 2; 2 forks 3 (and, with
 * `secondChild`, 4), then exits; 3 forks 5. Nothing is paged out: the counts are the point.
 */
export function reuseRule(strategy: string, secondChild: boolean): Outcome {
  const t = tb().mmap(1, A, PAGE, "rw-", "private,anon").w(1, A).fork(1, 2).fork(2, 3);
  if (secondChild) t.fork(2, 4);
  t.exit(2).fork(3, 5);
  return measure(strategy, t, []);
}

/**
 * pid 1 writes a 2-page area and forks 2, which execs and writes a new area at the same address.
 * Then pid 1's two pages (mapped once again after the exec) are paged out.
 */
export function execAfterFork(strategy: string): Outcome {
  const t = tb().mmap(1, A, 2 * PAGE, "rw-", "private,anon").w(1, A).w(1, A + PAGE).fork(1, 2)
    .exec(2).mmap(2, A, 2 * PAGE, "rw-", "private,anon").w(2, A);
  return measure(strategy, t, own([0, 1]));
}

/**
 * Swapoff of pages swapped out while shared: pid 1 writes a 2-page area and forks 2, which copies
 * page 0; with `grandchild`, 2 forks 3, so 2's copy is mapped by 2 and 3. Reclaim pushes every
 * page to swap; a second device is enabled and the first swapped off, which maps every page back
 * (try_to_unuse); 3 exits. Then 2's page 0 and 1's page 0 (each mapped once) are paged out.
 */
export function swapoffBack(strategy: string, grandchild: boolean): Outcome {
  const t = tb().mmap(1, A, 2 * PAGE, "rw-", "private,anon").w(1, A).w(1, A + PAGE)
    .fork(1, 2).w(2, A);
  if (grandchild) t.fork(2, 3);
  t.reclaim(16);
  const m = new TestMachine(strategy).run(t);
  const out = m.c.swap_out_pages;
  // 1's page 0, 2's copy and page 1 (shared by all): 3 pages on swap.
  if (out !== 3) throw new Error(`${strategy}: ${out} pages swapped out, expected 3`);
  m.run(tb().swapon("swap1", "4M").swapoff("swap"));
  if (m.c.swap_in_pages !== 3) throw new Error(`${strategy}: swapoff read ${m.c.swap_in_pages}`);
  if (grandchild) m.run(tb().exit(3));
  return measureOn(m, [[2, A], [1, A]]);
}
