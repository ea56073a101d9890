/**
 * The sweeps list (`/sweeps`): every stored sweep, newest first, with its traces, sizes and
 * strategies.
 *
 * @module
 */
import { html } from "hono/html";
import type { SweepSummary } from "../../analyze/sweep/store.ts";
import { fmt, fmtBytes, fmtDate, type Html, layout } from "../_html.ts";
import { strategiesLabel } from "../../analyze/strategy_label.ts";

/** The HTML of the sweeps list. */
export function sweepsListPage(sweeps: SweepSummary[], total: number): Html {
  const body = sweeps.length === 0
    ? html`<h1>Sweeps</h1>
<p>No sweeps stored yet. Run <code>vmreplay sweep TRACE --mem 1M..64M:7</code>: each
sweep is stored as a group of runs and drawn here as curves over memory.</p>`
    : html`
      <h1>Sweeps</h1>
      <p class="note">${fmt(total)} sweep${total === 1 ? "" : "s"} stored, newest first.</p>
      <table class="num" id="sweeps">
        <thead>
          <tr>
            <th>sweep</th>
            <th>traces</th>
            <th>stored</th>
            <th>memory</th>
            <th>points</th>
            <th>strategies</th>
          </tr>
        </thead>
        <tbody>${sweeps.map((s) =>
          html`
            <tr>
              <td><a href="/sweeps/${s.id}">${s.id}</a>${s.shard
                ? html`
                  <span class="note">(shard ${s.shard})</span>
                `
                : ""}</td>
              <th scope="row" class="text"><a href="/sweeps/${s.id}">${s.traces.join(", ")}</a></th>
              <td>${fmtDate(s.created_at)}</td>
              <td>${s.sizes.length > 0
                ? `${fmtBytes(s.sizes[0]!)} – ${fmtBytes(s.sizes.at(-1)!)}`
                : "–"} (${s.sizes.length})</td>
              <td>${fmt(s.points)} of ${fmt(s.jobs)}</td>
              <td class="text">${strategiesLabel(s.strategies)}</td>
            </tr>
          `
        )}</tbody>
      </table>
    `;
  return layout({ title: "Sweeps" }, body);
}
