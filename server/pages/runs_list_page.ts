/**
 * The dashboard's front page: the stored runs, newest first, with their headline counters, and a
 * form to compare two of them.
 *
 * @module
 */
import { html } from "hono/html";
import type { RunSummary } from "../../analyze/store.ts";
import { fmt, fmtBytes, fmtDate, type Html, layout } from "../_html.ts";
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
  if (r.min === r.max) return html`<td>${fmt(r.min)}</td>`;
  return html`<td title="lowest: ${r.best.join(", ")}">${fmt(r.min)} – ${fmt(r.max)}</td>`;
}

function cheapestCell(ranking: RankEntry[] | undefined): Html {
  const first = ranking?.[0];
  if (!first) return html`<td class="text">–</td>`;
  const second = ranking[1];
  const tied = ranking.filter((r) => r.cost_ms === first.cost_ms).map((r) => r.strategy);
  if (tied.length > 1) {
    return html`<td class="text">${tied.join(", ")} <span class="note">(tied)</span></td>`;
  }
  const margin = second && first.cost_ms > 0
    ? html`
      <span class="note">(next ×${fmt(second.cost_ms / first.cost_ms)})</span>
    `
    : "";
  return html`<td class="text">${first.strategy}${margin}</td>`;
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
      <thead><tr><th>A</th><th>B</th><th>run</th><th>trace</th><th>stored</th><th>events</th><th>memory</th>
      <th>strategies</th>${HEADLINES.map((h) =>
        html`<th>${h.title}</th>`
      )}<th>cheapest (cost model)</th></tr></thead>
      <tbody>${runs.map((r, i) =>
        html`<tr>
<td><input type="radio" name="a" value="${r.id}" aria-label="compare run ${r.id} as A"${
          i === 1
            ? html`
              checked
            `
            : ""
        }></td>
<td><input type="radio" name="b" value="${r.id}" aria-label="compare run ${r.id} as B"${
          i === 0
            ? html`
              checked
            `
            : ""
        }></td>
<td><a href="/runs/${r.id}">${r.id}</a></td>
<th scope="row" class="text"><a href="/runs/${r.id}">${r.trace.name}</a>${
          r.sweep
            ? html`
              <a class="tag" href="/sweeps/${r.sweep.id}">sweep ${r.sweep.id}</a>
            `
            : ""
        }</th>
<td>${fmtDate(r.created_at)}</td>
<td>${fmt(r.trace.events)}</td>
<td>${fmtBytes(r.machine.mem)}</td>
<td class="text">${r.strategies.join(", ")}</td>
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
