/**
 * A run's page: the cost ranking, grouped bars of the key counters per strategy (with a log-scale
 * toggle), the time series per strategy, the per-phase chart and table, and every number drawn
 * under its chart as a table.
 *
 * @module
 */
import { html } from "hono/html";
import { groupDiagnostics, MAX_DIAGNOSTICS } from "../../analyze/diagnostics.ts";
import type { RunSummary, StoredRun } from "../../analyze/store.ts";
import {
  breakable,
  BYTE_COUNTERS,
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
  SERIES,
} from "../_html.ts";
import { RATIOS } from "../../analyze/ratios.ts";
import { formatMsColumn } from "../../analyze/report.ts";
import { reclaimedNothing } from "../../analyze/pressure_hint.ts";

/** One strategy's place in the cost model's ranking. */
export interface RankEntry {
  strategy: string;
  /** Estimated CPU time, milliseconds. */
  cost_ms: number;
  /** 1-based place, shared by equal estimates (absent: the position in the list). */
  rank?: number;
}

/** Most rows a time-series table shows; longer series are thinned (the CSV export has all). */
export const MAX_SERIES_ROWS = 200;

/** Every counter name of a run, strategies' own counters last, in first-seen order. */
export function counterNames(
  run: { strategies: string[]; totals: RunSummary["totals"] },
): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const s of run.strategies) {
    for (const n of Object.keys(run.totals[s] ?? {})) {
      if (!seen.has(n)) {
        seen.add(n);
        names.push(n);
      }
    }
  }
  return names;
}

function countersTable(run: StoredRun): Html {
  const names = counterNames(run);
  const rows = names.map((n) => {
    const values = run.strategies.map((s) => run.totals[s]![n]);
    const defined = values.filter((v): v is number => v !== undefined);
    const min = Math.min(...defined);
    const max = Math.max(...defined);
    return html`<tr><th scope="row">${counterName(n)}</th>${
      values.map((v) => html`<td class="${v === min && min !== max ? "best" : ""}">${fmt(v)}</td>`)
    }</tr>`;
  });
  const elapsed = run.strategies.map((s) =>
    html`<td>${fmt(run.result.results[s]!.elapsed_ms)}</td>`
  );
  return html`
    <table class="num wide" id="table-counters">
      <thead>
        <tr><th>counter</th>${run.strategies.map((s) => html`<th>${breakable(s)}</th>`)}</tr>
      </thead>
      <tbody>${rows}<tr><th scope="row">elapsed_ms (replay)</th>${elapsed}</tr></tbody>
    </table>
  `;
}

function seriesTable(run: StoredRun, key: string): Html {
  const first = run.result.results[run.strategies[0]!];
  const at = first?.series.at ?? [];
  const step = Math.max(1, Math.ceil(at.length / MAX_SERIES_ROWS));
  const idx: number[] = [];
  for (let j = 0; j < at.length; j += step) idx.push(j);
  if (at.length > 0 && idx.at(-1) !== at.length - 1) idx.push(at.length - 1);
  const note = step > 1
    ? html`<p class="note">One sample in ${step} of ${fmt(at.length)} shown (and the last); the
JSON export has them all.</p>`
    : "";
  const series = run.strategies.map((s) =>
    (run.result.results[s]!.series as unknown as Record<string, number[]>)[key] ?? []
  );
  return html`
    ${note}<table class="num wide">
      <thead>
        <tr><th>event</th>${run.strategies.map((s) => html`<th>${breakable(s)}</th>`)}</tr>
      </thead>
      <tbody>${idx.map((j) =>
        html`<tr><th scope="row">${fmt(at[j])}</th>${
          series.map((v) => html`<td>${fmt(v[j])}</td>`)
        }</tr>`
      )}</tbody>
    </table>
  `;
}

/** Phase labels (from the first strategy: every strategy replays the same marks). */
function phaseLabels(run: StoredRun): string[] {
  return run.result.results[run.strategies[0]!]?.phases.map((p) => p.label) ?? [];
}

function phaseTables(run: StoredRun, counters: string[], selected: string): Html[] {
  const labels = phaseLabels(run);
  return counters.map((c) =>
    html`
      <table class="num wide phase-table" data-counter="${c}" ${c === selected ? "" : html`
        hidden
      `}>
        <caption>${counterName(c)} per phase</caption>
        <thead>
          <tr><th>phase</th>${run.strategies.map((s) => html`<th>${breakable(s)}</th>`)}</tr>
        </thead>
        <tbody>${labels.map((label, i) =>
          html`<tr><th scope="row" class="text">${i + 1}. ${label}</th>${
            run.strategies.map((s) =>
              html`<td>${fmt(run.result.results[s]!.phases[i]?.counters[c])}</td>`
            )
          }</tr>`
        )}</tbody>
      </table>
    `
  );
}

function rankingSection(run: StoredRun, ranking: RankEntry[] | undefined): Html | string {
  if (!ranking || ranking.length === 0) return "";
  const best = ranking[0]!.cost_ms;
  const tied = ranking.filter((r, i) => (r.rank ?? i + 1) === 1).length;
  // As many digits as it takes for different estimates to read differently.
  const costs = formatMsColumn(ranking.map((r) => r.cost_ms));
  return html`<section id="ranking">
<h2>Ranking by estimated cost</h2>
<p class="note">The cost model turns each strategy's counters into estimated CPU time (weights in
<code>analyze/cost.ts</code>); lower is better. Equal estimates share a rank${
    tied > 1 ? html`: ${tied === ranking.length ? "all" : tied} strategies tie for first` : ""
  }.</p>
${pressureNote(run)}
${chartBox("chart-ranking", "Estimated cost per strategy")}
<table class="num" id="table-ranking">
<thead><tr><th>#</th><th>strategy</th><th>estimated cost (ms)</th><th>× best</th></tr></thead>
<tbody>${
    ranking.map((r, i) =>
      html`
        <tr>
          <td>${r.rank ?? i + 1}</td>
          <th scope="row">${r.strategy}</th>
          <td>${costs[i]}</td>
          <td>${best > 0 ? (r.cost_ms / best).toFixed(2) : "–"}</td>
        </tr>
      `
    )
  }</tbody></table>
</section>`;
}

/**
 * When no strategy reclaimed a page, why the strategies hardly differ and what to try: the run
 * replayed without memory pressure, so no reverse map was ever walked.
 */
function pressureNote(run: StoredRun): Html | string {
  if (!reclaimedNothing(run.result)) return "";
  const peak = Math.max(0, ...run.strategies.map((s) => run.totals[s]!.rss_peak_pages ?? 0));
  return html`<p class="notice" id="no-pressure">No strategy reclaimed a page: with memory
${fmtBytes(run.machine.mem)} (at most ${fmt(peak)} pages resident), reclaim never ran and no reverse
map was walked, so the designs differ only in what fork and mapping cost. Replay the trace with less
memory than its footprint (<code>vmreplay stats TRACE</code> counts the pages it touches;
<code>vmreplay run TRACE</code> suggests a <code>--mem</code>), or sweep the sizes:
<code>vmreplay sweep TRACE --mem 25%..100%:4</code>.</p>`;
}

/** The ratios the strategies are argued with, per reclaimed page, per event, per PTE fork copied. */
function ratiosSection(run: StoredRun): Html {
  const groups = [...new Set(RATIOS.map((r) => r.per))];
  return html`
    <section id="ratios">
      <h2>Ratios</h2>
      <p
        class="note">The figures the strategies are argued with (see <code>docs/strategies.md</code>); the
    lowest of each row is highlighted, – where the divisor is 0. Hover a row for what it tells.</p>
      <table class="num wide" id="table-ratios">
    <thead><tr><th>ratio</th>${run.strategies.map((s) =>
      html`<th>${breakable(s)}</th>`
    )}</tr></thead>
    ${groups.map((per) =>
      html`<tbody><tr class="group"><th colspan="${run.strategies.length + 1}">${per}</th></tr>${
        RATIOS.filter((r) => r.per === per).map((r) => {
          const values = run.strategies.map((s) => r.value(run.totals[s]!));
          const defined = values.filter((v): v is number => v !== undefined);
          const min = Math.min(...defined), max = Math.max(...defined);
          return html`
            <tr
              data-ratio="${r.key}"><th scope="row"><span class="counter" title="${r
                .description}">${r.title}</span></th>${values.map((v) =>
                  html`<td class="${v === min && min !== max ? "best" : ""}">${
                    v === undefined ? "–" : fmt(v)
                  }</td>`
                )}</tr>
          `;
        })
      }</tbody>`
    )}
      </table>
    </section>
  `;
}

/** The trace's semantic problems (segv, warnings) the strategies met, each once, by line. */
function diagnosticsSection(run: StoredRun): Html | string {
  const groups = groupDiagnostics(run.result.results);
  if (groups.length === 0) return "";
  const all = run.strategies.length;
  const who = (list: string[]) => list.length === all && all > 1 ? "all" : list.join(", ");
  return html`
    <section id="diagnostics">
      <h2>Problems in the trace</h2>
      <p class="note">Accesses the kernel would refuse (segv) and other oddities (warnings): counted,
        not fatal. The first ${MAX_DIAGNOSTICS} of each strategy are listed; the counters
        <code>segv</code> and <code>warnings</code> count them all.</p>
      <table class="num" id="table-diagnostics">
        <thead>
          <tr>
            <th>line</th>
            <th>kind</th>
            <th>message</th>
            <th>strategies</th>
          </tr>
        </thead>
        <tbody>${groups.map((g) =>
          html`
            <tr>
              <th scope="row">${fmt(g.line)}</th>
              <td class="text">${g.kind}</td>
              <td class="text">${g.message}</td>
              <td class="text">${who(g.strategies)}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </section>
  `;
}

/** A trace name for a menu: at most 60 characters, its end kept (the file's own name). */
function shortName(name: string): string {
  return name.length <= 60 ? name : `…${name.slice(-59)}`;
}

/** Options of {@linkcode runPage}. */
export interface RunPageOptions {
  /** The cost model's ranking, cheapest first (omitted: no ranking section). */
  ranking?: RankEntry[];
  /** Other runs to offer for comparison. */
  others?: RunSummary[];
}

/** The HTML of a run's page. */
export function runPage(run: StoredRun, opts: RunPageOptions = {}): Html {
  const names = counterNames(run);
  const phaseCounters = [
    "events",
    ...KEY_COUNTERS,
    ...names.filter((n) => n !== "events" && !KEY_COUNTERS.includes(n)),
  ].filter((n) => names.includes(n));
  const labels = phaseLabels(run);
  const selected = phaseCounters.includes("pte_walks") ? "pte_walks" : phaseCounters[0] ?? "";
  const data = {
    id: run.id,
    strategies: run.strategies,
    keyCounters: KEY_COUNTERS.filter((n) => names.includes(n) && !BYTE_COUNTERS.includes(n)),
    byteCounters: BYTE_COUNTERS.filter((n) => names.includes(n)),
    descriptions: Object.fromEntries(names.flatMap((n) => {
      const text = COUNTER_TEXT[n];
      return text === undefined ? [] : [[n, text]];
    })),
    totals: run.totals,
    series: Object.fromEntries(run.strategies.map((s) => [s, run.result.results[s]!.series])),
    seriesKeys: SERIES,
    phases: {
      labels,
      counters: phaseCounters,
      values: Object.fromEntries(
        run.strategies.map((s) => [
          s,
          Object.fromEntries(
            phaseCounters.map((c) => [
              c,
              run.result.results[s]!.phases.map((p) => p.counters[c] ?? null),
            ]),
          ),
        ]),
      ),
    },
    ranking: opts.ranking ?? [],
  };
  const m = run.machine;
  const others = (opts.others ?? []).filter((o) => o.id !== run.id);
  const body = html`
    <h1>Run ${run.id}: ${run.trace.name}</h1>
    <dl class="meta">
      <dt>Trace</dt>
      <dd>${run.trace.path} · ${fmtBytes(run.trace.size)} · sha256 <code>${run.trace.sha256.slice(
        0,
        16,
      )}…</code></dd>
      <dt>Events</dt>
      <dd>${fmt(run.trace.events)}</dd>
      <dt>Machine</dt>
      <dd>memory ${fmtBytes(m.mem)}, swap ${fmtBytes(m.swap)}, page ${fmtBytes(m.page)}, TLB ${fmt(
        m.tlb_entries,
      )} entries${Object.entries(m).filter(([k]) =>
        !["mem", "swap", "page", "tlb_entries"].includes(k)
      ).map((
        [k, v],
      ) => html`, ${k} ${String(v)}`)}</dd>
      <dt>Stored</dt>
      <dd>${fmtDate(run.created_at)} by vmreplay ${run.version}</dd>
      ${run.sweep
        ? html`<dt>Sweep</dt>
<dd>a point of <a href="/sweeps/${run.sweep.id}">sweep ${run.sweep.id}</a> (job ${run.sweep.job})</dd>`
        : ""}
      <dt>Export</dt>
      <dd><a href="/api/runs/${run.id}/export?format=json" download>JSON</a> ·
        <a href="/api/runs/${run.id}/export?format=csv" download>CSV</a> ·
        <a href="/runs/${run.id}/delete">Delete this run…</a></dd>
    </dl>
    ${others.length > 0
      ? html`<form class="inline" method="get" action="/compare">
<input type="hidden" name="a" value="${run.id}">
<label>Compare with <select name="b">${
        others.map((o) =>
          html`<option value="${o.id}" title="${o.trace.name}">${o.id}: ${
            shortName(o.trace.name)
          } (${fmtDate(o.created_at)})</option>`
        )
      }</select></label> <button type="submit">Compare</button>
</form>`
      : ""}
    ${rankingSection(run, opts.ranking)}
    ${ratiosSection(run)}
    ${diagnosticsSection(run)}
    <section id="counters">
    <h2>Key counters per strategy</h2>
    <p class="note">Counts on a log scale (a zero is written <b>0</b> at its place; hover a bar for the
      counter's meaning); memory in bytes on a chart of its own below.</p>
    <label class="toggle"><input type="checkbox" id="log-counters" checked> log scale</label>
    ${chartBox("chart-counters", "Key counters per strategy", true)}
    ${chartBox("chart-bytes", "Reverse-map metadata, peak bytes, per strategy", false, true)}
    <details><summary>All counters, every strategy (lowest of each row highlighted)</summary>
    ${countersTable(run)}
    </details>
    </section>
    <section id="series">
      <h2>Over time</h2>
      <div class="grid">
    ${SERIES.map((s) =>
      html`<figure>
<figcaption>${s.title}</figcaption>
${chartBox(`chart-series-${s.key}`, s.title)}
<details><summary>Numbers</summary>${seriesTable(run, s.key)}</details>
</figure>`
    )}
      </div>
    </section>
    <section id="phases">
    <h2>Phases</h2>
    ${labels.length === 0 ? html`<p class="note">This trace has no phases.</p>` : html`
      <label>Counter <select id="phase-counter">${phaseCounters.map((c) =>
        html`<option value="${c}" title="${COUNTER_TEXT[c] ?? ""}" ${
          c === selected ? "selected" : ""
        }>${c}</option>`
      )}</select></label>
      <label class="toggle"><input type="checkbox" id="log-phases"> log scale</label>
      ${chartBox("chart-phases", "Selected counter per phase and strategy")}
      ${phaseTables(run, phaseCounters, selected)}
    `}
    </section>
    ${jsonData("run-data", data)}
  `;
  return layout(
    { title: `Run ${run.id}: ${run.trace.name}`, scripts: ["chart.js", "common.js", "run.js"] },
    body,
  );
}
