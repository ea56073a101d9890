/**
 * Test helper: an independent oracle for the cost counters of reverse-map walks.
 *
 * {@linkcode WalkOracle} registers, for the length of a test, a strategy `oracle:NAME` that is
 * strategy NAME with every rmap walk watched (`tests/_strategy_wrapper.ts`: anonymous and
 * page-cache pages alike), and makes the one machine that runs it. For each walk outside `check`
 * it compares what the machine counted with what is true of the page, found without the strategy:
 *
 * - the useful visits (`rmap_vma_visits - rmap_wasted_visits` added by the walk) equal the PTEs
 *   that map the page when the walk starts, counted by a scan of every page table
 *   (`Machine.ptesMapping`), since both `page_referenced` and `try_to_unmap` must find every
 *   mapping, and no mapping twice; fewer only when the walk stopped early at a locked area
 *   (`VM_LOCKED` ends both walks);
 * - no visit lies outside its area where the design rules that out: a page-cache page's walk
 *   goes through the object's interval tree in every design, an anonymous page's through the
 *   anon_vma's interval tree in `anon_vma_chain`, and `pte_chain` visits exactly the PTEs on the
 *   page's chain (not a single wasted visit);
 * - no wasted visit comes after the page's last mapping: Linux's walks end there
 *   (`folio_referenced_one` when its mapcount reaches 0, `try_to_unmap` when the page is unmapped).
 *
 * It also keeps the useful visits of each walk, in order, so that strategies which reclaim the
 * same pages can be compared walk by walk.
 *
 * @module
 */
import { C } from "../core/counters.ts";
import { Machine, type MachineConfig } from "../core/machine.ts";
import { PG } from "../core/mm/frames.ts";
import type { RmapContext, RmapVisitor } from "../core/rmap/strategy.ts";
import { registerWrapped } from "./_strategy_wrapper.ts";

/** Strategies whose anonymous-page walks visit only areas covering the page (interval tree). */
const RANGE_FILTERED_ANON = new Set(["anon_vma_chain", "pte_chain"]);
/** Strategies whose walks visit only PTEs that map the page. */
const EXACT = new Set(["pte_chain"]);

/** The oracle's findings for one machine. */
export class WalkOracle implements Disposable {
  /** The registered strategy name (`oracle:INNER`). */
  readonly name: string;
  /** The watched strategy. */
  readonly inner: string;
  /** The design whose rules apply (the watched strategy's, unless it wraps another). */
  readonly design: string;
  /** Whether the watched strategy has a reverse map (known once its machine is made). */
  hasRmap: boolean | undefined;
  /** Walks watched. */
  walks = 0;
  /** Walks of page-cache pages among them. */
  fileWalks = 0;
  /** Sum of the useful visits of all walks. */
  useful = 0;
  /** Walks that stopped at a locked area with PTEs left unvisited. */
  stoppedEarly = 0;
  /** Useful visits of each walk, in order. */
  readonly usefulPerWalk: number[] = [];
  /** What was wrong (the first 20 walks that broke a rule). */
  readonly failures: string[] = [];
  #failed = 0;
  #machine: Machine | null = null;
  readonly #unregister: () => void;

  /**
   * Registers `oracle:INNER` until disposed (`using oracle = new WalkOracle("anon_vma")`).
   * `design` names the strategy whose rules apply when `inner` is a test wrapper of it.
   */
  constructor(inner: string, design = inner) {
    this.inner = inner;
    this.design = design;
    this.name = `oracle:${inner}`;
    this.#unregister = registerWrapped(
      this.name,
      inner,
      (frame, visit, walk, ctx) => this.#watch(frame, visit, walk, ctx),
      (s) => this.hasRmap = s.hasRmap,
    );
  }

  /** The machine that runs the watched strategy with `cfg` (one per oracle). */
  machine(cfg: Omit<MachineConfig, "strategy">): Machine {
    if (this.#machine !== null) throw new Error(`${this.name}: one machine per oracle`);
    this.#machine = new Machine({ ...cfg, strategy: this.name });
    return this.#machine;
  }

  /** Walks that broke a rule. */
  get failed(): number {
    return this.#failed;
  }

  /** Unregisters the strategy. */
  [Symbol.dispose](): void {
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
    const m = this.#machine;
    if (m === null) throw new Error(`${this.name}: make the machine with WalkOracle.machine()`);
    const c = ctx.counters;
    const visits0 = c[C.rmap_vma_visits]!, wasted0 = c[C.rmap_wasted_visits]!;
    const mapped = m.ptesMapping(frame).length / 2;
    const anon = (ctx.frames.flags[frame]! & PG.anon) !== 0;
    let outside = 0, stoppedAtLock = false, lastWasted = false;
    /** Whether the visit just made was a wasted one. */
    const wasted = (before: number) => c[C.rmap_wasted_visits]! > before;
    walk(frame, {
      vma(vma, vpage) {
        if (vpage < vma.start || vpage >= vma.end) outside++;
        const w = c[C.rmap_wasted_visits]!;
        const done = visit.vma(vma, vpage);
        lastWasted = wasted(w);
        if (done && vma.locked) stoppedAtLock = true;
        return done;
      },
      mm(mm, vpage) {
        const vma = mm.find(vpage);
        if (vma === null) outside++;
        const w = c[C.rmap_wasted_visits]!;
        const done = visit.mm(mm, vpage);
        lastWasted = wasted(w);
        if (done && vma !== null && vma.locked) stoppedAtLock = true;
        return done;
      },
    });
    // A walk may stop once the page is unmapped (try_to_unmap); it may stop with PTEs left only
    // at a locked area (VM_LOCKED ends page_referenced and try_to_unmap alike).
    const early = stoppedAtLock && ctx.frames.mapcount[frame]! > 0;
    this.#record({
      frame,
      anon,
      mapped,
      visits: c[C.rmap_vma_visits]! - visits0,
      wasted: c[C.rmap_wasted_visits]! - wasted0,
      outside,
      early,
      // Linux's walks end at the page's last mapping (folio_referenced_one when its mapcount
      // reaches 0, try_to_unmap when the page is unmapped): nothing is visited after it.
      pastLast: mapped > 0 && lastWasted,
    });
  }

  #record(w: {
    frame: number;
    anon: boolean;
    mapped: number;
    visits: number;
    wasted: number;
    outside: number;
    early: boolean;
    pastLast: boolean;
  }): void {
    const useful = w.visits - w.wasted;
    this.walks++;
    if (!w.anon) this.fileWalks++;
    this.useful += useful;
    this.usefulPerWalk.push(useful);
    if (w.early) this.stoppedEarly++;
    const problems: string[] = [];
    if (w.early ? useful > w.mapped : useful !== w.mapped) {
      problems.push(
        `${useful} useful visits (${w.visits} - ${w.wasted} wasted), page tables map it ` +
          `${w.mapped} time${w.mapped === 1 ? "" : "s"}`,
      );
    }
    const filtered = !w.anon || RANGE_FILTERED_ANON.has(this.design);
    if (filtered && w.outside > 0) problems.push(`${w.outside} visits outside their area`);
    if (EXACT.has(this.design) && w.wasted > 0) problems.push(`${w.wasted} wasted visits`);
    if (w.pastLast) problems.push("wasted visits after the page's last mapping was found");
    if (problems.length === 0) return;
    this.#failed++;
    if (this.failures.length < 20) {
      const what = `walk ${this.walks} (frame ${w.frame}, ${w.anon ? "anonymous" : "page cache"})`;
      this.failures.push(`${what}: ${problems.join("; ")}`);
    }
  }
}
