/**
 * The upload form: a trace in any form (gzip too), the strategies to run, memory and swap; the
 * page script posts it to `POST /api/runs`, shows each strategy's progress and lands on the new
 * run's page, or shows the trace's error with its line and column.
 *
 * @module
 */
import { html } from "hono/html";
import { fmtBytes, type Html, layout } from "../_html.ts";

/** A strategy as the form offers it. */
export interface StrategyChoice {
  name: string;
  origin: string;
  idea: string;
}

/** The HTML of the upload page. */
export function uploadPage(strategies: StrategyChoice[], uploadLimit: number): Html {
  const body = html`
    <h1>Replay a trace</h1>
    <form id="upload" method="post" action="/api/runs" enctype="multipart/form-data">
      <p><label>Trace file <input type="file" name="trace" id="trace" required
      accept=".vmt,.jsonl,.csv,.vmtb,.gz"></label>
    <span class="note">vmtrace text (.vmt), JSON Lines, CSV or binary (.vmtb), optionally .gz; at most
    ${fmtBytes(uploadLimit)}.</span></p>
      <fieldset><legend>Strategies</legend>
    ${strategies.map((s) =>
      html`
        <label class="strategy"
          title="${s.idea}"><input type="checkbox" name="strategies" value="${s.name}" checked>
        <b>${s.name}</b> <span class="note">${s.origin}</span></label>
      `
    )}
      </fieldset>
      <p><label>Memory <input type="text" name="mem" id="mem" placeholder="from the trace header" size="18"></label>
    <label>Swap <input type="text" name="swap" id="swap" placeholder="from the trace header" size="18"></label>
    <span class="note">sizes like 64M or 1G; empty: the trace header's value</span></p>
      <p><button type="submit" id="submit">Replay</button></p>
    </form>
    <div id="error" class="error" role="alert" hidden></div>
    <div id="progress" hidden>
      <h2>Replay</h2>
      <p id="status" role="status"></p>
      <div id="bars"></div>
    </div>
  `;
  return layout({ title: "Upload a trace", scripts: ["upload.js"] }, body);
}
