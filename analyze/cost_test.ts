import { deepStrictEqual, throws } from "node:assert/strict";
import {
  costWeights,
  DEFAULT_COST_WEIGHTS,
  estimateCost,
  parseCostOverrides,
  rankByCost,
} from "./cost.ts";
import { COUNTER_NAMES } from "../core/counters.ts";
import type { Counters } from "./result.ts";

Deno.test("DEFAULT_COST_WEIGHTS charge only counters the machine counts", () => {
  const names = new Set<string>(COUNTER_NAMES);
  for (const [k, w] of Object.entries(DEFAULT_COST_WEIGHTS)) {
    deepStrictEqual(names.has(w.counter), true, `${k} charges unknown counter ${w.counter}`);
  }
});

Deno.test("estimateCost() sums counter × weight and reports each part", () => {
  const e = estimateCost({ pte_walks: 1000, swap_io_requests: 2, segv: 5 }, costWeights());
  deepStrictEqual(e.parts, { swap_io_request: 0.16, pte_walk: 0.025 });
  deepStrictEqual(e.total_ms, 0.185);
});

Deno.test("costWeights() rejects unknown names and negative values", () => {
  throws(() => costWeights({ nope: 1 }), /Unknown cost weight 'nope'; known weights: minor_fault/);
  throws(() => costWeights({ pte_walk: -1 }), /Cost weight 'pte_walk'/);
  throws(() => costWeights({ pte_walk: "fast" }), /Cost weight 'pte_walk'/);
});

Deno.test("parseCostOverrides() reads NAME=NS with k and M suffixes, rejects the rest", () => {
  deepStrictEqual(parseCostOverrides(["a_b=1.5k", "c=2M", "d=7"]), { a_b: 1500, c: 2e6, d: 7 });
  throws(() => parseCostOverrides(["pte_walk"]), /expected NAME=NANOSECONDS/);
  throws(() => parseCostOverrides(["pte_walk=-3"]), /expected NAME=NANOSECONDS/);
});

Deno.test("rankByCost() orders cheapest first, ties by name, relative to the cheapest", () => {
  const r = (n: number) => ({ counters: { minor_faults: n } as unknown as Counters });
  const ranks = rankByCost({ c: r(20), b: r(10), a: r(10) });
  deepStrictEqual(ranks.map((x) => [x.strategy, x.relative]), [["a", 1], ["b", 1], ["c", 2]]);
  const cheap = rankByCost({ x: r(10), y: r(20) }, costWeights({ minor_fault: 0 }));
  deepStrictEqual(cheap.map((x) => x.cost_ms), [0, 0]);
});

Deno.test("rankByCost() gives equal estimates one rank (1, 1, 3), listed by name", () => {
  const r = (n: number) => ({ counters: { minor_faults: n } as unknown as Counters });
  const ranks = rankByCost({ d: r(30), c: r(20), b: r(10), a: r(10), e: r(30) });
  deepStrictEqual(ranks.map((x) => `${x.rank} ${x.strategy}`), ["1 a", "1 b", "3 c", "4 d", "4 e"]);
  const free = rankByCost({ y: r(20), x: r(10) }, costWeights({ minor_fault: 0 }));
  deepStrictEqual(free.map((x) => `${x.rank} ${x.strategy}`), ["1 x", "1 y"]);
});
