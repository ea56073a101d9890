/**
 * Test helper: an independent oracle for the cost counters of reverse-map walks.
 *
 * {@linkcode WalkOracle} registers, for the length of a test, a strategy `oracle:NAME` that is
 * strategy NAME with every rmap walk watched (the registry is the documented way to plug a
 * strategy into a `Machine`). For each walk outside `check` it compares what the machine counted
 * with what is true of the page, independently of the strategy:
 *
 * - the useful visits (`rmap_vma_visits - rmap_wasted_visits` added by the walk) equal the PTEs
 *   that map the page when the walk starts (its `mapcount`, which `check` compares with a scan of
 *   every page table after every event: run the machine with `check: true`), since both
 *   `page_referenced` and `try_to_unmap` must find every mapping; fewer only when the walk
 *   stopped early at a locked area (`VM_LOCKED` ends both walks);
 * - no visit lies outside its area where the design rules that out: a page-cache page's walk
 *   goes through the object's interval tree in every design, an anonymous page's through the
 *   anon_vma's interval tree in `anon_vma_chain`, and `pte_chain` visits exactly the PTEs on the
 *   page's chain (not a single wasted visit).
 *
 * It also keeps the sequence of useful visits per walk, so that strategies which reclaim the
 * same pages can be compared walk by walk.
 *
 * @module
 */
import { C } from "../core/counters.ts";
import { PG } from "../core/mm/frames.ts";
import type { RmapContext, RmapVisitor } from "../core/rmap/strategy.ts";
import { registerWrapped } from "./_strategy_wrapper.ts";

/** Strategies whose anonymous-page walks visit only areas covering the page (interval tree). */
const RANGE_FILTERED_ANON = new Set(["anon_vma_chain", "pte_chain"]);
/** Strategies whose walks visit only PTEs that map the page. */
const EXACT = new Set(["pte_chain"]);

/** The oracle's findings for one machine. */
export class WalkOracle {
  /** The registered strategy name to give the `Machine`. */
  readonly name: string;
  /** The watched strategy. */
  readonly inner: string;
  /** The design whose rules apply (the watched strategy's, unless it wraps another). */
  readonly design: string;
  /** Walks watched. */
  walks = 0;
  /** Sum of the useful visits of all walks. */
  useful = 0;
  /** Walks that stopped at a locked area with PTEs left unvisited. */
  stoppedEarly = 0;
  /** Useful visits of each walk, in order. */
  readonly usefulPerWalk: number[] = [];
  /** What was wrong (the first 20 walks that broke a rule). */
  readonly failures: string[] = [];
  #failed = 0;
  readonly #unregister: () => void;

  /**
   * Registers `oracle:INNER`; call {@linkcode WalkOracle.dispose} when done. `design` names the
   * strategy whose rules apply when `inner` is a test wrapper of it.
   */
  constructor(inner: string, design = inner) {
    this.inner = inner;
    this.design = design;
    this.name = `oracle:${inner}`;
    this.#unregister = registerWrapped(
      this.name,
      inner,
      (frame, visit, walk, ctx) => this.#watch(frame, visit, walk, ctx),
    );
  }

  /** Walks that broke a rule. */
  get failed(): number {
    return this.#failed;
  }

  /** Unregisters the strategy. */
  dispose(): void {
    this.#unregister();
  }

  /** Runs walk `walk` of `frame` through a visitor that sees every visit, then judges it. */
  #watch(
    frame: number,
    visit: RmapVisitor,
    walk: (frame: number, visit: RmapVisitor) => void,
    ctx: RmapContext,
  ): void {
    if (ctx.checking) return walk(frame, visit);
    const c = ctx.counters, f = ctx.frames;
    const visits0 = c[C.rmap_vma_visits]!, wasted0 = c[C.rmap_wasted_visits]!;
    const mapped = f.mapcount[frame]!;
    const anon = (f.flags[frame]! & PG.anon) !== 0;
    let outside = 0, stoppedAtLock = false;
    walk(frame, {
      vma(vma, vpage) {
        if (vpage < vma.start || vpage >= vma.end) outside++;
        const done = visit.vma(vma, vpage);
        if (done && vma.locked) stoppedAtLock = true;
        return done;
      },
      mm(mm, vpage) {
        const vma = mm.find(vpage);
        if (vma === null) outside++;
        const done = visit.mm(mm, vpage);
        if (done && vma !== null && vma.locked) stoppedAtLock = true;
        return done;
      },
    });
    // A walk may stop once the page is unmapped (try_to_unmap); it may stop with PTEs left only
    // at a locked area (VM_LOCKED ends page_referenced and try_to_unmap alike).
    const early = stoppedAtLock && f.mapcount[frame]! > 0;
    this.#record(
      frame,
      anon,
      mapped,
      c[C.rmap_vma_visits]! - visits0,
      c[C.rmap_wasted_visits]! - wasted0,
      outside,
      early,
    );
  }

  #record(
    frame: number,
    anon: boolean,
    mapped: number,
    visits: number,
    wasted: number,
    outside: number,
    early: boolean,
  ): void {
    const useful = visits - wasted;
    this.walks++;
    this.useful += useful;
    this.usefulPerWalk.push(useful);
    if (early) this.stoppedEarly++;
    const what = `walk ${this.walks} (frame ${frame}, ${anon ? "anonymous" : "page cache"})`;
    const problems: string[] = [];
    if (early ? useful > mapped : useful !== mapped) {
      problems.push(
        `${useful} useful visits (${visits} - ${wasted} wasted), ${mapped} PTEs map it`,
      );
    }
    const filtered = !anon || RANGE_FILTERED_ANON.has(this.design);
    if (filtered && outside > 0) problems.push(`${outside} visits outside their area`);
    if (EXACT.has(this.design) && wasted > 0) problems.push(`${wasted} wasted visits`);
    if (problems.length === 0) return;
    this.#failed++;
    if (this.failures.length < 20) this.failures.push(`${what}: ${problems.join("; ")}`);
  }
}
