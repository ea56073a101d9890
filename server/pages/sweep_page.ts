/**
 * A sweep's page (`/sweeps/:id`): per trace, a line chart with memory on the x axis (log scale)
 * and one line per strategy, a counter selector shared by every chart, a view relative to
 * `anon_vma_chain` (each value divided by its value at the same size), and the numbers as tables
 * whose sizes link to each point's run.
 *
 * @module
 */
import { html } from "hono/html";
import type { StoredSweep } from "../../analyze/sweep/store.ts";
import { estimateCost } from "../../analyze/cost.ts";
import { strategiesLabel } from "../../analyze/strategy_label.ts";
import type { CostWeights } from "../../analyze/cost.ts";
import {
  breakable,
  chartBox,
  COUNTER_TEXT,
  counterName,
  fmt,
  fmtBytes,
  fmtDate,
  type Html,
  jsonData,
  KEY_COUNTERS,
  layout,
} from "../_html.ts";

/** The cost model's estimate, offered beside the counters. */
export const COST_KEY = "est_cost_ms";

/** The strategy the relative view divides by. */
export const RELATIVE_TO = "anon_vma_chain";

/** Counters the page offers: the estimate, then the key counters, then the sweep's others. */
function pageCounters(sweep: StoredSweep): string[] {
  const seen = new Set<string>();
  for (const p of sweep.points_list) {
    for (const r of Object.values(p.results)) for (const n of Object.keys(r.counters)) seen.add(n);
  }
  const rest = [...seen].filter((n) => !KEY_COUNTERS.includes(n)).sort();
  return [COST_KEY, ...KEY_COUNTERS.filter((n) => seen.has(n)), ...rest];
}

/** The data of one trace's chart: sizes ascending, each strategy's values per counter. */
function traceData(sweep: StoredSweep, k: number, counters: string[], weights?: CostWeights) {
  const points = sweep.points_list.filter((p) => sweep.plan.jobs[p.job]?.trace === k)
    .sort((a, b) => a.mem - b.mem);
  const values: Record<string, Record<string, (number | null)[]>> = {};
  for (const s of sweep.strategies) {
    values[s] = Object.fromEntries(counters.map((c) => [
      c,
      points.map((p) => {
        const r = p.results[s];
        if (!r) return null;
        return c === COST_KEY ? estimateCost(r.counters, weights).total_ms : r.counters[c] ?? null;
      }),
    ]));
  }
  return {
    path: sweep.plan.traces[k]!.path,
    mems: points.map((p) => p.mem),
    runs: points.map((p) => p.run_id ?? null),
    values,
  };
}

type TraceData = ReturnType<typeof traceData>;

function tables(
  t: TraceData,
  k: number,
  strategies: string[],
  counters: string[],
  selected: string,
) {
  return counters.map((c) =>
    html`
      <table class="num wide sweep-table" data-counter="${c}" data-trace="${k}" ${c === selected
        ? ""
        : html`
          hidden
        `}>
        <caption>${c === COST_KEY ? "estimated cost (ms)" : counterName(c)} by memory</caption>
        <thead>
          <tr><th>memory</th>${strategies.map((s) => html`<th>${breakable(s)}</th>`)}</tr>
        </thead>
        <tbody>${t.mems.map((m, i) =>
          html`<tr><th scope="row">${
            t.runs[i] !== null ? html`<a href="/runs/${t.runs[i]}">${fmtBytes(m)}</a>` : fmtBytes(m)
          }</th>${
            strategies.map((s) => html`<td>${fmt(t.values[s]![c]![i] ?? undefined)}</td>`)
          }</tr>`
        )}</tbody>
      </table>
    `
  );
}

/** The HTML of a sweep's page. */
export function sweepPage(sweep: StoredSweep, weights?: CostWeights): Html {
  const counters = pageCounters(sweep);
  const selected = counters.includes("major_faults") ? "major_faults" : counters[0]!;
  const traces = sweep.plan.traces.map((_, k) => traceData(sweep, k, counters, weights));
  const relative = sweep.strategies.includes(RELATIVE_TO);
  const data = {
    id: sweep.id,
    strategies: sweep.strategies,
    counters,
    traces,
    relativeTo: RELATIVE_TO,
  };
  const incomplete = sweep.points < sweep.jobs
    ? html`<p class="notice" role="status">${sweep.points} of ${sweep.jobs} points stored: the sweep
      was interrupted, or is still running (reload to see more).</p>`
    : "";
  const body = html`
    <h1>Sweep ${sweep.id}${sweep.shard ? ` (shard ${sweep.shard})` : ""}</h1>
    ${incomplete}
    <dl class="meta">
      <dt>Traces</dt>
      <dd>${sweep.plan.traces.map((t, i) =>
        html`${i > 0 ? ", " : ""}${t.path}${
          t.footprint !== undefined ? ` (footprint ${fmtBytes(t.footprint)})` : ""
        }`
      )}</dd>
      <dt>Memory</dt>
      <dd>${sweep.sizes.map((m) => fmtBytes(m)).join(", ")} <span class="note">(--mem ${sweep
        .mem})</span></dd>
      <dt>Swap</dt>
      <dd>${sweep.swap === null ? "each trace header's" : fmtBytes(sweep.swap)}</dd>
      <dt>Strategies</dt>
      <dd>${strategiesLabel(sweep.strategies)}${strategiesLabel(sweep.strategies).startsWith("all ")
        ? html`
          <span class="note">(${sweep.strategies.join(", ")})</span>
        `
        : ""}</dd>
      <dt>Stored</dt>
      <dd>${fmtDate(sweep.created_at)} by vmreplay ${sweep.version}, ${sweep.points} runs</dd>
      <dt>Export</dt>
      <dd><a href="/api/sweeps/${sweep.id}" download="vmreplay-sweep-${sweep.id}.json">JSON</a></dd>
    </dl>
    <p class="controls">
      <label>Counter <select id="sweep-counter">${counters.map((c) =>
        html`<option value="${c}" title="${COUNTER_TEXT[c] ?? ""}" ${
          c === selected ? "selected" : ""
        }>${c === COST_KEY ? "estimated cost (ms)" : c}</option>`
      )}</select></label>
      <label class="toggle"><input type="checkbox" id="sweep-relative" ${relative
        ? ""
        : "disabled"}>
        relative to ${RELATIVE_TO}</label>
      <label class="toggle"><input type="checkbox" id="sweep-log"> log scale (y)</label>
    </p>
    <p class="note">Memory on a log scale; one line per strategy. Relative: each value divided by
      ${RELATIVE_TO}'s at the same memory (1 = as costly). Each size in the tables links to its run.</p>
    ${traces.map((t, k) =>
      html`<section class="sweep-trace">
<h2>${t.path}</h2>
${chartBox(`chart-sweep-${k}`, `Selected counter by memory for ${t.path}`)}
<details><summary>Numbers</summary>${tables(t, k, sweep.strategies, counters, selected)}</details>
</section>`
    )}
    ${jsonData("sweep-data", data)}
  `;
  return layout(
    { title: `Sweep ${sweep.id}`, scripts: ["chart.js", "common.js", "sweep.js"] },
    body,
  );
}
