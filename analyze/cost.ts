/**
 * The cost model: turns a strategy's counters into one estimated time, so strategies can be ranked
 * by a single number. Each counter is multiplied by a weight in nanoseconds and the products are
 * summed; the weights and their reasons are in docs/cost-model.md. Weights can be overridden from a
 * JSON file (`--cost-weights FILE.json`) or one by one (`--cost major_fault_io=5000000`).
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import type { Counters, RunResult } from "./result.ts";

/** What a weight is charged for: a counter name and a one-line reason shown in the docs. */
export interface CostWeightInfo {
  /** The counter the weight multiplies. */
  counter: string;
  /** Default weight, nanoseconds per unit of the counter. */
  ns: number;
  /** Why this much. */
  why: string;
}

/**
 * The default weights, in nanoseconds per unit of their counter: a recent x86-64 server with an
 * NVMe swap device. Keys are weight names; several may charge the same counter.
 */
export const DEFAULT_COST_WEIGHTS: Readonly<Record<string, CostWeightInfo>> = {
  minor_fault: { counter: "minor_faults", ns: 700, why: "trap, VMA lookup, PTE update, return" },
  major_fault: { counter: "major_faults", ns: 2_000, why: "CPU side of a fault that waits" },
  cow_copy: { counter: "cow_copies", ns: 600, why: "allocate a page and copy 4 KiB" },
  zero_page_map: { counter: "zero_page_maps", ns: 100, why: "map the shared zero page" },
  swap_out_page: { counter: "swap_out_pages", ns: 1_500, why: "unmap, write 4 KiB, free" },
  swap_in_page: { counter: "swap_in_pages", ns: 1_000, why: "transfer and map 4 KiB" },
  swap_io_request: {
    counter: "swap_io_requests",
    ns: 80_000,
    why: "device latency per request (adjacent slots merge into one)",
  },
  file_read_page: { counter: "file_read_pages", ns: 20_000, why: "read a file page from disk" },
  file_write_page: { counter: "file_write_pages", ns: 10_000, why: "write back a dirty page" },
  page_reclaimed: { counter: "pages_reclaimed", ns: 300, why: "LRU isolation and freeing" },
  pte_walk: { counter: "pte_walks", ns: 25, why: "visit one page-table entry (cache miss)" },
  rmap_vma_visit: { counter: "rmap_vma_visits", ns: 60, why: "visit one area or mm in rmap" },
  mremap_page_copied: { counter: "mremap_pages_copied", ns: 600, why: "copy 4 KiB" },
  mremap_pte_moved: { counter: "mremap_ptes_moved", ns: 10, why: "move one PTE" },
  fork_pte_copied: { counter: "fork_ptes_copied", ns: 15, why: "copy and write-protect a PTE" },
  fork_rmap_alloc: { counter: "fork_rmap_allocs", ns: 120, why: "allocate rmap metadata" },
  tlb_miss: { counter: "tlb_misses", ns: 30, why: "hardware page walk" },
  tlb_flush: { counter: "tlb_flushes", ns: 400, why: "flush and later refill" },
};

/** Weights in nanoseconds by weight name (see {@linkcode DEFAULT_COST_WEIGHTS}). */
export type CostWeights = Record<string, number>;

/** The default weights as plain numbers. */
export function defaultCostWeights(): CostWeights {
  return Object.fromEntries(
    Object.entries(DEFAULT_COST_WEIGHTS).map(([k, v]) => [k, v.ns]),
  );
}

const weightsSchema = z.record(z.string(), z.number().finite().nonnegative());

/**
 * Returns the default weights with `overrides` applied. Throws a `RangeError` naming the weight
 * for an unknown name or a value that is not a non-negative number.
 *
 * @example
 * ```ts
 * import { costWeights } from "./cost.ts";
 * const w = costWeights({ swap_io_request: 10_000 });
 * if (w.swap_io_request !== 10_000 || w.minor_fault !== 700) throw new Error("bad weights");
 * ```
 */
export function costWeights(overrides: Readonly<Record<string, unknown>> = {}): CostWeights {
  const parsed = weightsSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RangeError(
      `Cost weight '${issue.path.join(".")}': expected a non-negative number of nanoseconds`,
    );
  }
  const w = defaultCostWeights();
  for (const [k, v] of Object.entries(parsed.data)) {
    if (!(k in w)) {
      throw new RangeError(
        `Unknown cost weight '${k}'; known weights: ${Object.keys(w).join(", ")}`,
      );
    }
    w[k] = v;
  }
  return w;
}

/**
 * Parses `--cost` overrides written `name=value` (value in nanoseconds; `k`, `M` suffixes for
 * thousands and millions allowed). Throws a `RangeError` naming a malformed item.
 *
 * @example
 * ```ts
 * import { parseCostOverrides } from "./cost.ts";
 * const o = parseCostOverrides(["swap_io_request=100k", "pte_walk=40"]);
 * if (o.swap_io_request !== 100_000 || o.pte_walk !== 40) throw new Error("bad parse");
 * ```
 */
export function parseCostOverrides(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const m = /^([a-z_]+)=(\d+(?:\.\d+)?)([kM]?)$/.exec(item.trim());
    if (!m) {
      throw new RangeError(
        `--cost '${item}': expected NAME=NANOSECONDS, e.g. swap_io_request=80000`,
      );
    }
    out[m[1]!] = Number(m[2]) * (m[3] === "k" ? 1e3 : m[3] === "M" ? 1e6 : 1);
  }
  return out;
}

/** An estimate: the total and each weight's share, in milliseconds. */
export interface CostEstimate {
  /** Estimated time, milliseconds. */
  total_ms: number;
  /** Milliseconds charged by each weight (only non-zero ones). */
  parts: Record<string, number>;
}

/**
 * Estimates the time `counters` stand for under `weights`.
 *
 * @example
 * ```ts
 * import { estimateCost, costWeights } from "./cost.ts";
 * const c = { minor_faults: 1000, swap_io_requests: 10 } as Record<string, number>;
 * const e = estimateCost(c, costWeights());
 * if (e.total_ms !== 0.7 + 0.8) throw new Error(`unexpected ${e.total_ms}`);
 * ```
 */
export function estimateCost(
  counters: Readonly<Record<string, number>>,
  weights: CostWeights = defaultCostWeights(),
): CostEstimate {
  const parts: Record<string, number> = {};
  let ns = 0;
  for (const [name, w] of Object.entries(weights)) {
    const info = DEFAULT_COST_WEIGHTS[name];
    if (info === undefined) continue;
    const v = (counters[info.counter] ?? 0) * w;
    if (v === 0) continue;
    parts[name] = v / 1e6;
    ns += v;
  }
  return { total_ms: ns / 1e6, parts };
}

/** One strategy's place in a {@linkcode rankByCost} ranking. */
export interface CostRank {
  /** The strategy's name. */
  strategy: string;
  /** Estimated time, milliseconds. */
  cost_ms: number;
  /** Cost relative to the cheapest strategy (1 for the cheapest). */
  relative: number;
  /**
   * 1-based place, shared by equal estimates (standard competition ranking: 1, 1, 3); tied
   * strategies are listed by name.
   */
  rank: number;
}

/**
 * Ranks a run's strategies by estimated cost, cheapest first. Equal estimates share a rank (1, 1,
 * 3) and are listed by name, so the order is deterministic.
 *
 * @example
 * ```ts
 * import { rankByCost } from "./cost.ts";
 * import type { Counters } from "./result.ts";
 * const at = (n: number) => ({ counters: { pte_walks: n } as unknown as Counters });
 * const r = rankByCost({ a: at(400), b: at(100) });
 * if (r[0]!.strategy !== "b" || r[1]!.relative !== 4) throw new Error("bad ranking");
 * const tie = rankByCost({ c: at(100), b: at(100), a: at(400) });
 * if (tie.map((x) => `${x.rank}${x.strategy}`).join() !== "1b,1c,3a") throw new Error("bad ties");
 * ```
 */
export function rankByCost(
  results: Readonly<Record<string, { counters: Counters }>> | RunResult["results"],
  weights: CostWeights = defaultCostWeights(),
): CostRank[] {
  const ranks = Object.entries(results).map(([strategy, r]) => ({
    strategy,
    cost_ms: estimateCost(r.counters, weights).total_ms,
    relative: 1,
    rank: 1,
  }));
  ranks.sort((a, b) =>
    a.cost_ms - b.cost_ms || (a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : 0)
  );
  const best = ranks[0]?.cost_ms ?? 0;
  ranks.forEach((r, i) => {
    r.relative = best > 0 ? r.cost_ms / best : r.cost_ms === 0 ? 1 : Infinity;
    const prev = ranks[i - 1];
    r.rank = prev !== undefined && prev.cost_ms === r.cost_ms ? prev.rank : i + 1;
  });
  return ranks;
}
