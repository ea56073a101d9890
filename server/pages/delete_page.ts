/**
 * The page that asks before a run is deleted: deleting takes a POST from this form, so a link
 * followed by mistake (or by a crawler) deletes nothing.
 *
 * @module
 */
import { html } from "hono/html";
import type { StoredRun } from "../../analyze/store.ts";
import { fmt, fmtDate, type Html, layout } from "../_html.ts";

/** The HTML of the confirmation page for deleting `run`. */
export function deletePage(run: StoredRun): Html {
  const strategies = Object.keys(run.result.results);
  return layout(
    { title: `Delete run ${run.id}` },
    html`
      <h1>Delete run ${run.id}?</h1>
      <p>Run ${run.id} replayed <strong>${run.trace.name}</strong> (${fmt(run.trace.events)} events)
      with ${strategies.join(", ")}, stored ${fmtDate(run.created_at)}. Deleting it removes its
      results from the store for good; the trace file itself is not touched.</p>
      <form method="post" action="/runs/${run.id}/delete">
        <button type="submit" id="confirm-delete">Delete run ${run.id}</button>
        <a href="/runs/${run.id}">Cancel</a>
      </form>
    `,
  );
}
