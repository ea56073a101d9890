/**
 * Reports of a {@linkcode RunResult}: the comparison table `run` prints (fits 100 columns), the
 * JSON `run --json` writes, the CSV of `run --csv` (one row per strategy × phase, `total` first)
 * and a Markdown summary.
 *
 * @module
 */
import { COUNTER_NAMES } from "../core/counters.ts";
import { type CostWeights, defaultCostWeights, estimateCost, rankByCost } from "./cost.ts";
import type { Counters, RunResult } from "./result.ts";
import { runToCsv } from "./store.ts";

/** Formats a count in at most 7 characters: `123456`, `1.23M`, `45.6G`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a < 1e6) return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1);
  const [div, unit] = a < 1e9 ? [1e6, "M"] : a < 1e12 ? [1e9, "G"] : [1e12, "T"];
  const v = n / div;
  return `${v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)}${unit}`;
}

/** Milliseconds in at most 7 characters, 3 significant digits below 100 (`0.00213`, `12.5`). */
export function formatMs(ms: number): string {
  if (ms === 0) return "0";
  if (ms >= 100) return formatCount(Math.round(ms));
  const p = ms.toPrecision(3);
  return p.includes("e") ? ms.toFixed(5) : p;
}

/**
 * Estimates in milliseconds for one column: as {@linkcode formatMs} writes them, with as many more
 * significant digits as it takes for different values to read differently, so that two estimates
 * that read the same are equal (and share a rank).
 *
 * @example
 * ```ts
 * import { formatMsColumn } from "./report.ts";
 * const cells = formatMsColumn([35.9312, 35.9375, 35.9312, 231]);
 * if (cells.join() !== "35.93,35.94,35.93,231.0") throw new Error(cells.join());
 * if (formatMsColumn([37.5, 12.25]).join() !== "37.5,12.3") throw new Error("3 digits suffice");
 * ```
 */
export function formatMsColumn(values: readonly number[]): string[] {
  for (let digits = 3; digits < 17; digits++) {
    const cells = values.map((v) => digits === 3 || v === 0 ? formatMs(v) : v.toPrecision(digits));
    const seen = new Map<string, number>();
    if (
      cells.every((c, i) => (seen.get(c) ?? values[i]) === values[i] && seen.set(c, values[i]!))
    ) {
      return cells;
    }
  }
  return values.map(String);
}

/** A column of the comparison table: its two-line heading and how to get its value. */
interface Column {
  head: [string, string];
  value: (c: Counters) => number;
}

const col = (a: string, b: string, name: string): Column => ({
  head: [a, b],
  value: (c) => c[name] ?? 0,
});

/** First block: faults and I/O. */
const FAULT_COLUMNS: Column[] = [
  col("minor", "faults", "minor_faults"),
  col("major", "faults", "major_faults"),
  col("cow", "copies", "cow_copies"),
  col("swap out", "pages", "swap_out_pages"),
  col("swap in", "pages", "swap_in_pages"),
  col("swap I/O", "requests", "swap_io_requests"),
  col("file rd", "pages", "file_read_pages"),
  col("file wr", "pages", "file_write_pages"),
  col("pages", "reclaimed", "pages_reclaimed"),
];

/** Second block: what the reverse map costs. */
const RMAP_COLUMNS: Column[] = [
  col("pte", "walks", "pte_walks"),
  col("rmap", "visits", "rmap_vma_visits"),
  col("wasted", "visits", "rmap_wasted_visits"),
  col("fork", "ptes", "fork_ptes_copied"),
  col("fork", "rmap alloc", "fork_rmap_allocs"),
  col("mremap", "copied", "mremap_pages_copied"),
  {
    head: ["rmap meta", "KiB peak"],
    value: (c) => Math.ceil((c.rmap_meta_bytes_peak ?? 0) / 1024),
  },
  col("pt pages", "peak", "page_table_pages_peak"),
];

function block(
  names: string[],
  counters: Counters[],
  columns: Column[],
  extra?: { head: [string, string]; cells: string[] },
): string[] {
  const nameW = Math.max(8, ...names.map((n) => n.length));
  const heads = columns.map((c) => c.head);
  const cells = counters.map((c) => columns.map((k) => formatCount(k.value(c))));
  if (extra) {
    heads.push(extra.head);
    cells.forEach((row, i) => row.push(extra.cells[i]!));
  }
  const widths = heads.map((h, j) =>
    Math.max(h[0].length, h[1].length, ...cells.map((r) => r[j]!.length))
  );
  const line = (first: string, row: string[]) =>
    [first.padEnd(nameW), ...row.map((v, j) => v.padStart(widths[j]!))].join(" ").trimEnd();
  return [
    line("", heads.map((h) => h[0])),
    line("strategy", heads.map((h) => h[1])),
    ...names.map((n, i) => line(n, cells[i]!)),
  ];
}

/** Options of {@linkcode formatTable}. */
export interface TableOptions {
  /** Cost-model weights for the estimate column (default: the documented defaults). */
  weights?: CostWeights;
}

/**
 * The comparison table `run` prints: one row per strategy, in two blocks (faults and I/O; reverse
 * map work and the cost estimate with its rank), then a line on segv, warnings and verification.
 *
 * @example
 * ```ts
 * import { formatTable } from "./report.ts";
 * import { newCounters, countersToRecord } from "../core/counters.ts";
 * import type { RunResult } from "./result.ts";
 * const c = { ...countersToRecord(newCounters()), minor_faults: 3 };
 * const run = {
 *   trace: "t.vmt", events: 3, machine: { mem: 1 << 30, swap: 0, page: 4096, tlb_entries: 64 },
 *   results: { anon_vma_chain: { counters: c, phases: [], series: {} as never, elapsed_ms: 1 } },
 * } as RunResult;
 * const text = formatTable(run);
 * if (!text.includes("anon_vma_chain") || text.split("\n").some((l) => l.length > 100)) {
 *   throw new Error(text);
 * }
 * ```
 */
export function formatTable(run: RunResult, opts: TableOptions = {}): string {
  const weights = opts.weights ?? defaultCostWeights();
  const names = Object.keys(run.results);
  const counters = names.map((n) => run.results[n]!.counters);
  const ranks = rankByCost(run.results, weights);
  const rankOf = new Map(ranks.map((r) => [r.strategy, r.rank]));
  const costs = formatMsColumn(
    names.map((n) => estimateCost(run.results[n]!.counters, weights).total_ms),
  );
  const costCells = names.map((n, i) => `${costs[i]} #${rankOf.get(n)}`);
  const m = run.machine;
  const out = [
    `${run.trace}: ${run.events} events, mem ${formatBytes(m.mem)}, swap ${formatBytes(m.swap)}`,
    "",
    ...block(names, counters, FAULT_COLUMNS),
    "",
    ...block(names, counters, RMAP_COLUMNS, { head: ["est. ms", "(rank)"], cells: costCells }),
    "",
  ];
  for (const n of names) {
    const r = run.results[n]!;
    const c = r.counters;
    const parts = [`segv ${c.segv ?? 0}`, `warnings ${c.warnings ?? 0}`];
    if (r.verify) {
      parts.push(
        `verify_errors ${c.verify_errors ?? 0}` +
          (r.verify.first_line !== undefined ? ` (first at line ${r.verify.first_line})` : ""),
      );
    }
    if (c.check_errors !== undefined) parts.push(`check_errors ${c.check_errors}`);
    parts.push(`${Math.round(r.elapsed_ms)} ms`);
    out.push(`${n.padEnd(Math.max(8, ...names.map((s) => s.length)))} ${parts.join(", ")}`);
  }
  return out.join("\n") + "\n";
}

/** Bytes as `64M`, `1G`, `4096` (binary units, as the trace format writes sizes). */
export function formatBytes(n: number): string {
  for (const [unit, size] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

/**
 * The JSON `run --json` writes: the {@linkcode RunResult}, two-space indented. Runs of several
 * traces are written as an array of results.
 *
 * @example
 * ```ts
 * import { formatJson } from "./report.ts";
 * const text = formatJson({ trace: "t", events: 0, machine: { mem: 1, swap: 0, page: 4096, tlb_entries: 64 }, results: {} });
 * if (JSON.parse(text).trace !== "t") throw new Error(text);
 * ```
 */
export function formatJson(run: RunResult | RunResult[]): string {
  return JSON.stringify(run, null, 2) + "\n";
}

/**
 * The CSV of `run --csv`: columns `strategy, phase, elapsed_ms` then every counter; one row per
 * strategy for the whole run (`phase` = `total`) and one per phase. The same format as the
 * results store's export.
 *
 * @example
 * ```ts
 * import { formatCsv } from "./report.ts";
 * const csv = formatCsv({ trace: "t", events: 0, machine: { mem: 1, swap: 0, page: 4096, tlb_entries: 64 }, results: {} });
 * if (!csv.startsWith("strategy,phase,elapsed_ms,events,")) throw new Error(csv);
 * ```
 */
export function formatCsv(run: RunResult): string {
  return runToCsv(run);
}

/**
 * A Markdown report: every counter (rows) by strategy (columns), then the cost ranking.
 *
 * @example
 * ```ts
 * import { formatMarkdown } from "./report.ts";
 * const md = formatMarkdown({ trace: "t", events: 0, machine: { mem: 1, swap: 0, page: 4096, tlb_entries: 64 }, results: {} });
 * if (!md.startsWith("## t")) throw new Error(md);
 * ```
 */
export function formatMarkdown(
  run: RunResult,
  weights: CostWeights = defaultCostWeights(),
): string {
  const names = Object.keys(run.results);
  const counterNames: string[] = [...COUNTER_NAMES];
  for (const n of names) {
    for (const k of Object.keys(run.results[n]!.counters)) {
      if (!counterNames.includes(k)) counterNames.push(k);
    }
  }
  const out = [
    `## ${run.trace}`,
    "",
    `${run.events} events, mem ${formatBytes(run.machine.mem)}, swap ${
      formatBytes(run.machine.swap)
    }.`,
    "",
    `| counter | ${names.join(" | ")} |`,
    `| --- |${names.map(() => " ---: |").join("")}`,
  ];
  for (const k of counterNames) {
    out.push(`| ${k} | ${names.map((n) => run.results[n]!.counters[k] ?? "").join(" | ")} |`);
  }
  out.push("", "| rank | strategy | estimated ms | relative |", "| ---: | --- | ---: | ---: |");
  const ranking = rankByCost(run.results, weights);
  const costs = formatMsColumn(ranking.map((r) => r.cost_ms));
  ranking.forEach((r, i) => {
    out.push(`| ${r.rank} | ${r.strategy} | ${costs[i]} | ${r.relative.toFixed(2)} |`);
  });
  return out.join("\n") + "\n";
}
