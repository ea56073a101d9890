/**
 * Test helper: a strategy that is another strategy with its rmap walk replaced, registered under
 * a name of its own for the length of a test (`core/rmap/registry.ts` is how a `Machine` finds a
 * strategy). Every other hook goes to the wrapped strategy unchanged.
 *
 * The wrapper sees every rmap walk the machine makes through a strategy, page-cache pages
 * included: it says `walksFilePages`, and hands a page-cache page to the machine's own walk of the
 * object's i_mmap (`ctx.walkObject`) unless the wrapped strategy walks those itself, which is
 * the choice the machine makes (`core/mm/rmap_walk.ts`); so the counts are the wrapped
 * strategy's own. (`page_mkclean` walks the i_mmap directly, through no strategy: not seen.)
 *
 * @module
 */
import { PG } from "../core/mm/frames.ts";
import { STRATEGIES, strategyInfo } from "../core/rmap/registry.ts";
import type { RmapContext, RmapStrategy, RmapVisitor } from "../core/rmap/strategy.ts";

/**
 * An rmap walk in place of the wrapped strategy's: `inner` is the walk the machine would make
 * without the wrapper (the wrapped strategy's, or the i_mmap walk of a page-cache page), `ctx` the
 * machine's context.
 */
export type WalkFn = (
  frame: number,
  visit: RmapVisitor,
  inner: (frame: number, visit: RmapVisitor) => void,
  ctx: RmapContext,
) => void;

/**
 * Registers strategy `name`: strategy `inner` with its walk replaced by `walk`. Returns the
 * function that unregisters it (call it in a `finally`). `created` hears of each instance of
 * `inner` a machine makes.
 */
export function registerWrapped(
  name: string,
  inner: string,
  walk: WalkFn,
  created?: (s: RmapStrategy) => void,
): () => void {
  if (STRATEGIES[name] !== undefined) throw new Error(`Strategy '${name}' is already registered`);
  const base = strategyInfo(inner);
  STRATEGIES[name] = {
    name,
    origin: base.origin,
    idea: base.idea,
    counters: base.counters,
    create: (ctx) => {
      const s = base.create(ctx);
      created?.(s);
      return new Wrapped(s, ctx, walk);
    },
  };
  return () => {
    delete STRATEGIES[name];
  };
}

/** A strategy whose walk is `walk`; every other hook is the inner strategy's. */
class Wrapped implements RmapStrategy {
  readonly #s: RmapStrategy;
  readonly #ctx: RmapContext;
  readonly #walk: WalkFn;
  readonly #inner: (frame: number, visit: RmapVisitor) => void;
  readonly hasRmap: boolean;
  readonly tracksPtes?: boolean;
  /** Every walk comes here; `#inner` routes page-cache pages as the machine would. */
  readonly walksFilePages = true;

  constructor(s: RmapStrategy, ctx: RmapContext, walk: WalkFn) {
    this.#s = s;
    this.#ctx = ctx;
    this.#walk = walk;
    const files = s.walksFilePages === true;
    this.#inner = (frame, visit) => {
      if (files || (ctx.frames.flags[frame]! & PG.anon) !== 0) s.rmapWalk(frame, visit);
      else ctx.walkObject(frame, visit);
    };
    this.hasRmap = s.hasRmap;
    this.tracksPtes = s.tracksPtes;
  }

  rmapWalk(frame: number, visit: RmapVisitor): void {
    this.#walk(frame, visit, this.#inner, this.#ctx);
  }

  mmCreate(...a: Parameters<RmapStrategy["mmCreate"]>): void {
    this.#s.mmCreate(...a);
  }
  mmDestroy(...a: Parameters<RmapStrategy["mmDestroy"]>): void {
    this.#s.mmDestroy(...a);
  }
  vmaCreate(...a: Parameters<RmapStrategy["vmaCreate"]>): void {
    this.#s.vmaCreate(...a);
  }
  anonPrepare(...a: Parameters<RmapStrategy["anonPrepare"]>): void {
    this.#s.anonPrepare(...a);
  }
  vmaFork(...a: Parameters<RmapStrategy["vmaFork"]>): void {
    this.#s.vmaFork(...a);
  }
  vmaSplit(...a: Parameters<RmapStrategy["vmaSplit"]>): void {
    this.#s.vmaSplit(...a);
  }
  vmaMerge(...a: Parameters<RmapStrategy["vmaMerge"]>): void {
    this.#s.vmaMerge(...a);
  }
  vmaMove(...a: Parameters<RmapStrategy["vmaMove"]>): void {
    this.#s.vmaMove(...a);
  }
  vmaUnlink(...a: Parameters<RmapStrategy["vmaUnlink"]>): void {
    this.#s.vmaUnlink(...a);
  }
  canMerge(...a: Parameters<RmapStrategy["canMerge"]>): boolean {
    return this.#s.canMerge(...a);
  }
  useZeroPage(...a: Parameters<RmapStrategy["useZeroPage"]>): boolean {
    return this.#s.useZeroPage(...a);
  }
  newAnonPage(...a: Parameters<RmapStrategy["newAnonPage"]>): void {
    this.#s.newAnonPage(...a);
  }
  pteAdded(...a: Parameters<RmapStrategy["pteAdded"]>): void {
    this.#s.pteAdded(...a);
  }
  pteRemoved(...a: Parameters<RmapStrategy["pteRemoved"]>): void {
    this.#s.pteRemoved(...a);
  }
  cowReuse(...a: Parameters<RmapStrategy["cowReuse"]>): void {
    this.#s.cowReuse(...a);
  }
  pageFreed(...a: Parameters<RmapStrategy["pageFreed"]>): void {
    this.#s.pageFreed(...a);
  }
  movePte(...a: Parameters<RmapStrategy["movePte"]>): boolean {
    return this.#s.movePte(...a);
  }
  extraCounters(): Record<string, number> {
    return this.#s.extraCounters();
  }
}
