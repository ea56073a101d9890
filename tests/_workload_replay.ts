/**
 * Test helper: generates a workload and replays it in-process through strategies with `verify` and
 * `check` on, returning each strategy's results (the replay runner's per-strategy code, without
 * workers). Also a gauge snapshot: the strategies' extra counters just before a given mark.
 *
 * @module
 */
import { replayStrategy } from "../analyze/replay_strategy.ts";
import type { StrategyResult } from "../analyze/result.ts";
import { Machine } from "../core/machine.ts";
import { EventBatch } from "../trace/batch.ts";
import { generateWorkload } from "../trace/gen/generate.ts";
import { Op } from "../trace/event.ts";

/** A generated workload as one batch, with the machine size its header asks for. */
export function workloadBatch(
  name: string,
  params: Record<string, number | string>,
): { batch: EventBatch; memPages: number; swapPages: number } {
  const g = generateWorkload(name, params);
  const events = [...g.events];
  const batch = new EventBatch(events.length + 1);
  for (const e of events) batch.push(e);
  return { batch, memPages: g.header.mem! / 4096, swapPages: g.header.swap! / 4096 };
}

/** Replays workload `name` through each strategy (verify and check on). */
export async function replayWorkload(
  name: string,
  params: Record<string, number | string>,
  strategies: readonly string[],
  opts: { check?: boolean } = {},
): Promise<Record<string, StrategyResult>> {
  const { batch, memPages, swapPages } = workloadBatch(name, params);
  const out: Record<string, StrategyResult> = {};
  for (const strategy of strategies) {
    out[strategy] = await replayStrategy([batch], {
      strategy,
      memPages,
      swapPages,
      verify: true,
      check: opts.check ?? true,
    });
  }
  return out;
}

/** The strategy's extra counters (gauges such as `anon_vma_count`) just before mark `label`. */
export function extrasBefore(
  name: string,
  params: Record<string, number | string>,
  strategy: string,
  label: string,
): Record<string, number> {
  const { batch, memPages, swapPages } = workloadBatch(name, params);
  const m = new Machine({ memPages, swapPages, strategy });
  for (let i = 0; i < batch.length; i++) {
    if (batch.op[i] === Op.mark && batch.strings[batch.str[i]!] === label) break;
    m.apply(batch, i, i + 1);
  }
  return m.extraCounters();
}

/** Sum of counter `name` over the phases whose label starts with `prefix`. */
export function phaseSum(r: StrategyResult, prefix: string, name: string): number {
  return r.phases.filter((p) => p.label.startsWith(prefix))
    .reduce((s, p) => s + (p.counters[name] ?? 0), 0);
}
