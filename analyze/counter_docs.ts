/**
 * What every counter a run can hold counts: the machine's counters
 * (`core/counters.ts` {@linkcode COUNTER_DESCRIPTIONS}), those `--check` adds, and each strategy's
 * own (`StrategyInfo.counters`), gathered from where they are defined. The dashboard shows them on
 * hover and `docs/counters.md` lists them (`tools/counters_doc.ts`).
 *
 * @module
 */
import { CHECK_COUNTER_DESCRIPTIONS, COUNTER_DESCRIPTIONS } from "../core/counters.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";

/** A counter a strategy adds, with the strategies that report it and what it counts in each. */
export interface StrategyCounter {
  /** The counter's name (`anon_vma_count`). */
  name: string;
  /** What it counts, by strategy (a name two strategies share may count differently). */
  descriptions: Record<string, string>;
}

/**
 * The counters strategies add (`RmapStrategy.extraCounters`), in registry order, each with its
 * descriptions by strategy.
 *
 * @example
 * ```ts
 * import { strategyCounters } from "./counter_docs.ts";
 * const c = strategyCounters().find((c) => c.name === "anon_vma_count")!;
 * if (!("anon_vma" in c.descriptions && "anon_vma_chain" in c.descriptions)) throw new Error();
 * ```
 */
export function strategyCounters(): StrategyCounter[] {
  const out = new Map<string, StrategyCounter>();
  for (const info of Object.values(STRATEGIES)) {
    for (const [name, text] of Object.entries(info.counters)) {
      let c = out.get(name);
      if (!c) out.set(name, c = { name, descriptions: {} });
      c.descriptions[info.name] = text;
    }
  }
  return [...out.values()];
}

/**
 * Every counter's description by name: the machine's, `--check`'s and the strategies' own (a name
 * that counts differently in two strategies says what it counts in each: `anon_vma: ... anon_vma_chain: ...`).
 *
 * @example
 * ```ts
 * import { counterDescriptions } from "./counter_docs.ts";
 * const d = counterDescriptions();
 * if (!d.pte_walks?.startsWith("Page-table entries")) throw new Error(d.pte_walks);
 * if (!d.checks || !d.objtree_depth) throw new Error("check and strategy counters");
 * ```
 */
export function counterDescriptions(): Record<string, string> {
  const out: Record<string, string> = { ...COUNTER_DESCRIPTIONS, ...CHECK_COUNTER_DESCRIPTIONS };
  for (const c of strategyCounters()) {
    const texts = Object.entries(c.descriptions);
    out[c.name] = new Set(texts.map(([, t]) => t)).size === 1
      ? texts[0]![1]
      : texts.map(([s, t]) => `${s}: ${t}`).join(" ");
  }
  return out;
}
