/**
 * The dashboard's front page: the stored runs, newest first, with their headline counters, and a
 * form to compare two of them.
 *
 * @module
 */
import { html } from "hono/html";
import type { RunSummary } from "../../analyze/store.ts";
import { fmt, fmtDate, fmtShort, fmtSize, type Html, layout, truncated } from "../_html.ts";
import { strategiesLabel } from "../../analyze/strategy_label.ts";
import type { RankEntry } from "./run_page.ts";

/** The headline figures of a run: a counter (or sum of counters) across its strategies. */
export const HEADLINES: readonly { title: string; counters: string[] }[] = [
  { title: "faults", counters: ["minor_faults", "major_faults"] },
  { title: "swap I/O pages", counters: ["swap_in_pages", "swap_out_pages"] },
  { title: "pte_walks", counters: ["pte_walks"] },
];

/** The lowest and highest value of a headline across a run's strategies. */
export function headlineRange(
  run: RunSummary,
  counters: string[],
): { min: number; max: number; best: string[] } | undefined {
  let min = Infinity, max = -Infinity;
  const values = new Map<string, number>();
  for (const s of run.strategies) {
    const t = run.totals[s]!;
    const v = counters.reduce((sum, c) => sum + (t[c] ?? 0), 0);
    values.set(s, v);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (values.size === 0) return undefined;
  const best = [...values].filter(([, v]) => v === min).map(([s]) => s);
  return { min, max, best };
}

function headlineCell(run: RunSummary, counters: string[]): Html {
  const r = headlineRange(run, counters);
  if (!r) return html`<td>–</td>`;
  if (r.min === r.max) {
    return html`<td title="${fmt(r.min)}, every strategy">${fmtShort(r.min)}</td>`;
  }
  return html`<td title="${fmt(r.min)} (${r.best.join(", ")}) – ${fmt(r.max)}">${fmtShort(r.min)}–${
    fmtShort(r.max)
  }</td>`;
}

/** The cost model's cheapest strategies (those ranked 1), with the margin to the next. */
function cheapestCell(ranking: RankEntry[] | undefined): Html {
  const first = ranking?.[0];
  if (!ranking || !first) return html`<td class="text">–</td>`;
  const rankOf = (r: RankEntry, i: number) => r.rank ?? i + 1;
  const tied = ranking.filter((r, i) => rankOf(r, i) === 1).map((r) => r.strategy);
  if (tied.length > 1) {
    const text = tied.length === ranking.length
      ? `all ${tied.length} tied`
      : `${tied.length} tied: ${tied.join(", ")}`;
    return html`<td class="text">${truncated(text)}</td>`;
  }
  const second = ranking[1];
  if (!second || first.cost_ms <= 0) {
    return html`<td class="text">${truncated(first.strategy)}</td>`;
  }
  const times = (second.cost_ms / first.cost_ms).toFixed(2);
  return html`
    <td
      class="text"><span class="trunc" title="${first.strategy}; the next, ${second
        .strategy}, costs ×${times}">${first
        .strategy} <span class="note">×${times}</span></span></td>
  `;
}

/**
 * A run's trace as the list shows it: the file's own name (what tells runs apart), cut with an
 * ellipsis when too long, the whole name, directories included, on hover.
 */
function traceLink(name: string, id: number): Html {
  const base = name.slice(name.lastIndexOf("/") + 1) || name;
  return html`<a class="trunc" href="/runs/${id}" title="${name}">${base}</a>`;
}

/** Which page of the runs list is shown. */
export interface ListPaging {
  /** The page, from 1 (the newest runs). */
  page: number;
  /** Runs a page holds. */
  pageSize: number;
  /** A run just deleted (its id), to say so. */
  deleted?: number | undefined;
}

/**
 * The HTML of the runs list: `runs` newest first (one page of them), `total` how many the store
 * holds, `rankings` the cost model's ranking of each run (by id), cheapest first.
 */
export function runsListPage(
  runs: RunSummary[],
  total: number,
  rankings: Map<number, RankEntry[]> = new Map(),
  paging: ListPaging = { page: 1, pageSize: Math.max(1, runs.length) },
): Html {
  const { page, pageSize, deleted } = paging;
  const first = (page - 1) * pageSize + 1;
  const notice = deleted !== undefined
    ? html`<p class="notice" role="status">Run ${deleted} was deleted.</p>`
    : "";
  const nav = total > pageSize
    ? html`
      <nav class="pages"
        aria-label="pages of runs">${page > 1
          ? html`<a href="/?page=${page - 1}" rel="prev">← newer runs</a>`
          : ""} <span>page ${page} of ${Math.ceil(
            total / pageSize,
          )}</span> ${first + runs.length - 1 < total
          ? html`<a href="/?page=${page + 1}" rel="next">older runs →</a>`
          : ""}</nav>
    `
    : "";
  const body = runs.length === 0
    ? html`<h1>Runs</h1>${notice}
<p>No runs stored yet. <a href="/upload">Upload a trace</a>, or run
<code>vmreplay run TRACE</code>: every run is stored and shows up here.</p>`
    : html`
      <h1>Runs</h1>${notice}
      <p
        class="note">${fmt(total)} run${total === 1 ? "" : "s"} stored${total > runs.length
          ? html`, runs ${fmt(first)} to ${fmt(first + runs.length - 1)} (newest first) shown`
          : ""}. Headline figures are the range across strategies (lowest – highest).</p>
      ${nav}
      <form method="get" action="/compare">
      <table class="num runs" id="runs">
      <colgroup><col class="c-ab"><col class="c-id"><col class="c-trace"><col class="c-date"><col
        class="c-events"><col class="c-mem"><col class="c-mem"><col class="c-strategies">${HEADLINES
          .map(() => html`<col class="c-headline">`)}<col class="c-cheapest"></colgroup>
      <thead><tr><th title="compare: A, then B">A B</th><th>run</th><th>trace</th><th>stored (UTC)</th><th>events</th><th>memory</th><th>swap</th>
      <th>strategies</th>${HEADLINES.map((h) =>
        html`<th title="lowest – highest across the strategies">${h.title}</th>`
      )}<th>cheapest (cost model)</th></tr></thead>
      <tbody>${runs.map((r, i) =>
        html`<tr>
<td><input type="radio" name="a" value="${r.id}" aria-label="compare run ${r.id} as A"${
          i === 1
            ? html`
              checked
            `
            : ""
        }><input type="radio" name="b" value="${r.id}" aria-label="compare run ${r.id} as B"${
          i === 0
            ? html`
              checked
            `
            : ""
        }></td>
<td><a href="/runs/${r.id}">${r.id}</a></td>
<th scope="row" class="text"><span class="name">${traceLink(r.trace.name, r.id)}${
          r.sweep ? html`<a class="tag" href="/sweeps/${r.sweep.id}">sweep ${r.sweep.id}</a>` : ""
        }</span></th>
<td title="${fmtDate(r.created_at)}">${r.created_at.slice(0, 16).replace("T", " ")}</td>
<td title="${fmt(r.trace.events)} events">${fmtShort(r.trace.events)}</td>
<td title="${fmt(r.machine.mem)} bytes">${fmtSize(r.machine.mem)}</td>
<td title="${fmt(r.machine.swap)} bytes">${fmtSize(r.machine.swap)}</td>
<td class="text">${truncated(strategiesLabel(r.strategies))}</td>
${HEADLINES.map((h) => headlineCell(r, h.counters))}
${cheapestCell(rankings.get(r.id))}
</tr>`
      )}</tbody>
      </table>
      ${runs.length > 1 ? html`<p><button type="submit">Compare A with B</button></p>` : ""}
      </form>
      ${nav}
    `;
  return layout({ title: "Runs" }, body);
}
