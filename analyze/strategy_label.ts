/**
 * {@linkcode strategiesLabel}: a run's strategies in a few characters, for one-line listings.
 *
 * @module
 */
import { strategyNames } from "../core/rmap/registry.ts";

/**
 * `all 7` when `names` are every registered strategy (in any order), else the names, comma
 * separated (`anon_vma, anon_vma_chain`), so that a listing shows at a glance which runs left some
 * strategies out.
 *
 * @example
 * ```ts
 * import { strategiesLabel } from "./strategy_label.ts";
 * import { strategyNames } from "../core/rmap/registry.ts";
 * if (strategiesLabel([...strategyNames()].reverse()) !== `all ${strategyNames().length}`) {
 *   throw new Error("every strategy");
 * }
 * if (strategiesLabel(["scan", "anon_vma"]) !== "scan, anon_vma") throw new Error("a subset");
 * ```
 */
export function strategiesLabel(
  names: readonly string[],
  all: readonly string[] = strategyNames(),
): string {
  const set = new Set(names);
  if (set.size === all.length && all.every((n) => set.has(n))) return `all ${all.length}`;
  return names.join(", ");
}
