/**
 * A sweep's reports: the tables `sweep` prints (per trace, sizes down, strategies across, one
 * block per key counter), the JSON of `--json` and the CSV of `--csv` (one row per point and
 * strategy).
 *
 * @module
 */
import { stringify } from "npm:csv-stringify@6.9.0/sync";
import { csvCell } from "../csv_cell.ts";
import { COUNTER_NAMES } from "../../core/counters.ts";
import { type CostWeights, defaultCostWeights, estimateCost } from "../cost.ts";
import { formatBytes, formatCount, formatMs } from "../report.ts";
import type { SweepPlan } from "./plan.ts";
import type { SweepPoint } from "./store.ts";

/** What a report is made of: the plan and the points it has (in job order). */
export interface SweepData {
  /** The plan. */
  plan: SweepPlan;
  /** The points, by job index. */
  points: SweepPoint[];
  /** The sweep's id in the results store, if stored. */
  id?: number;
}

/** The key counters of the tables: a title and how to get the value from counters. */
export const SWEEP_TABLE_COUNTERS: readonly {
  title: string;
  value: (c: Record<string, number>, w: CostWeights) => number;
  ms?: boolean;
}[] = [
  { title: "major faults", value: (c) => c.major_faults ?? 0 },
  {
    title: "swap I/O pages (in + out)",
    value: (c) => (c.swap_in_pages ?? 0) + (c.swap_out_pages ?? 0),
  },
  { title: "pte_walks", value: (c) => c.pte_walks ?? 0 },
  { title: "estimated cost, ms", value: (c, w) => estimateCost(c, w).total_ms, ms: true },
];

/**
 * The tables `sweep` prints: for each trace, one block per key counter (major faults, swap I/O
 * pages, `pte_walks`, the cost model's estimate), a row per size and a column per strategy.
 *
 * @example
 * ```ts
 * import { formatSweepTables } from "./report.ts";
 * const plan = {
 *   kind: "vmreplay-sweep-plan", version: "0", mem: "1M", swap: null, strategies: ["scan"], vm: {},
 *   traces: [{ path: "t.vmt", name: "t.vmt", size: 1, sha256: "0".repeat(64) }],
 *   jobs: [{ trace: 0, mem: 1 << 20 }],
 * } as const;
 * const points = [{ job: 0, trace: "t.vmt", mem: 1 << 20, swap: 0, events: 1,
 *   results: { scan: { counters: { major_faults: 7 } as never, elapsed_ms: 1 } } }];
 * const text = formatSweepTables({ plan: { ...plan, traces: [...plan.traces], jobs: [...plan.jobs], strategies: ["scan"] }, points });
 * if (!text.includes("major faults") || !/1M +7/.test(text)) throw new Error(text);
 * ```
 */
export function formatSweepTables(data: SweepData, weights = defaultCostWeights()): string {
  const out: string[] = [];
  const strategies = data.plan.strategies;
  data.plan.traces.forEach((t, k) => {
    const points = data.points.filter((p) => data.plan.jobs[p.job]?.trace === k)
      .sort((a, b) => a.mem - b.mem);
    const fp = t.footprint !== undefined ? `, footprint ${formatBytes(t.footprint)}` : "";
    const events = points[0] ? `${points[0].events} events, ` : "";
    out.push(`${t.path}: ${events}${points.length} sizes${fp}`);
    for (const key of SWEEP_TABLE_COUNTERS) {
      const rows = [["mem", ...strategies]];
      for (const p of points) {
        rows.push([
          formatBytes(p.mem),
          ...strategies.map((s) => {
            const c = p.results[s]?.counters;
            if (!c) return "–";
            const v = key.value(c, weights);
            return key.ms ? formatMs(v) : formatCount(v);
          }),
        ]);
      }
      const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
      out.push("", key.title);
      for (const r of rows) out.push(r.map((c, j) => c.padStart(widths[j]!)).join(" ").trimEnd());
    }
    out.push("");
  });
  return out.join("\n");
}

/** What {@linkcode sweepJson} gives (`sweep --json`). */
export interface SweepJson {
  /** The sweep: its traces, sizes, options and version. */
  sweep: {
    id?: number;
    traces: string[];
    mem: number[];
    mem_list: string;
    swap: number | null;
    strategies: string[];
    vm: Record<string, boolean | number>;
    version: string;
    trace_info: SweepPlan["traces"];
    jobs: number;
  };
  /** One per job stored, in job order. */
  points: (Omit<SweepPoint, "results"> & {
    results: Record<
      string,
      { counters: Record<string, number>; cost_ms: number; elapsed_ms: number }
    >;
  })[];
}

/**
 * The JSON of `sweep --json`: `{ sweep: { traces, mem, swap, strategies, version, ... }, points:
 * [{ trace, mem, swap, results: { STRATEGY: { counters, cost_ms, elapsed_ms } } }] }`. `mem` is
 * every size of the sweep, ascending; `swap` null means each trace header's.
 *
 * @example
 * ```ts
 * import { sweepJson } from "./report.ts";
 * const plan = {
 *   kind: "vmreplay-sweep-plan", version: "0", mem: "1M", swap: null, strategies: [], vm: {},
 *   traces: [], jobs: [],
 * } as const;
 * const j = sweepJson({ plan: { ...plan, traces: [], jobs: [], strategies: [] }, points: [] });
 * if (!Array.isArray(j.sweep.mem) || j.points.length !== 0) throw new Error("bad JSON");
 * ```
 */
export function sweepJson(data: SweepData, weights: CostWeights = defaultCostWeights()): SweepJson {
  const { plan } = data;
  return {
    sweep: {
      ...(data.id !== undefined ? { id: data.id } : {}),
      traces: plan.traces.map((t) => t.path),
      mem: [...new Set(plan.jobs.map((j) => j.mem))].sort((a, b) => a - b),
      mem_list: plan.mem,
      swap: plan.swap,
      strategies: plan.strategies,
      vm: plan.vm,
      version: plan.version,
      trace_info: plan.traces,
      jobs: plan.jobs.length,
    },
    points: data.points.map((p) => ({
      job: p.job,
      trace: p.trace,
      mem: p.mem,
      swap: p.swap,
      events: p.events,
      ...(p.run_id !== undefined ? { run_id: p.run_id } : {}),
      results: Object.fromEntries(
        Object.entries(p.results).map(([s, r]) => [s, {
          counters: r.counters,
          cost_ms: estimateCost(r.counters, weights).total_ms,
          elapsed_ms: r.elapsed_ms,
        }]),
      ),
    })),
  };
}

/**
 * The CSV of `sweep --csv` (text cells neutralized as in every CSV report: `csv_cell.ts`): one
 * row per point and strategy: `trace, mem, swap, strategy, run_id,
 * cost_ms, elapsed_ms`, then every counter.
 *
 * @example
 * ```ts
 * import { sweepCsv } from "./report.ts";
 * const plan = {
 *   kind: "vmreplay-sweep-plan", version: "0", mem: "1M", swap: null, strategies: [], vm: {},
 *   traces: [], jobs: [],
 * } as const;
 * const csv = sweepCsv({ plan: { ...plan, traces: [], jobs: [], strategies: [] }, points: [] });
 * if (!csv.startsWith("trace,mem,swap,strategy,run_id,cost_ms,elapsed_ms,events,")) throw new Error(csv);
 * ```
 */
export function sweepCsv(data: SweepData, weights: CostWeights = defaultCostWeights()): string {
  const names: string[] = [...COUNTER_NAMES];
  const known = new Set(names);
  for (const p of data.points) {
    for (const r of Object.values(p.results)) {
      for (const n of Object.keys(r.counters)) {
        if (!known.has(n)) {
          known.add(n);
          names.push(n);
        }
      }
    }
  }
  const rows: (string | number)[][] = [[
    "trace",
    "mem",
    "swap",
    "strategy",
    "run_id",
    "cost_ms",
    "elapsed_ms",
    ...names,
  ]];
  for (const p of data.points) {
    for (const [s, r] of Object.entries(p.results)) {
      rows.push([
        p.trace,
        p.mem,
        p.swap,
        s,
        p.run_id ?? "",
        estimateCost(r.counters, weights).total_ms,
        r.elapsed_ms,
        ...names.map((n) => r.counters[n] ?? ""),
      ]);
    }
  }
  return stringify(rows.map((row) => row.map(csvCell)));
}
