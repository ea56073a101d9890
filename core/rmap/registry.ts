/**
 * The registry of reverse-mapping strategies.
 *
 * To add a strategy, write `core/rmap/NAME.ts` exporting `info: StrategyInfo` (see the "Adding a
 * strategy" section of `strategy.ts`) and add one entry below. The order is history's (the order
 * `vmreplay strategies`, the result tables and the dashboard list them): `scan` first, Linux today
 * last.
 *
 * @example
 * ```ts
 * import { DEFAULT_STRATEGY, STRATEGIES } from "./registry.ts";
 * if (STRATEGIES[DEFAULT_STRATEGY]?.name !== "anon_vma_chain") throw new Error("no default");
 * ```
 *
 * @module
 */
import type { StrategyInfo } from "./strategy.ts";
import { info as scan } from "./scan.ts";
import { info as pteChain } from "./pte_chain.ts";
import { info as anonInode } from "./anon_inode.ts";
import { info as objtree } from "./objtree.ts";
import { info as anonmm } from "./anonmm.ts";
import { info as anonVma } from "./anon_vma.ts";
import { info as anonVmaChain } from "./anon_vma_chain.ts";

/** Every strategy, by name. */
export const STRATEGIES: Record<string, StrategyInfo> = {
  scan,
  pte_chain: pteChain,
  anon_inode: anonInode,
  objtree,
  anonmm,
  anon_vma: anonVma,
  anon_vma_chain: anonVmaChain,
};

/** The strategy used when none is named: Linux today. */
export const DEFAULT_STRATEGY = "anon_vma_chain";

/** Names of all strategies, in registry order. */
export function strategyNames(): string[] {
  return Object.keys(STRATEGIES);
}

/**
 * Looks up a strategy; throws a RangeError naming the known ones when `name` is unknown.
 *
 * @example
 * ```ts
 * import { strategyInfo } from "./registry.ts";
 * if (strategyInfo("anon_vma_chain").origin.length === 0) throw new Error("no origin");
 * ```
 */
export function strategyInfo(name: string): StrategyInfo {
  const s = STRATEGIES[name];
  if (s === undefined) {
    throw new RangeError(
      `Unknown strategy '${name}': expected one of ${strategyNames().join(", ")}`,
    );
  }
  return s;
}
