/**
 * The dashboard's HTML pages: `/` (runs, `?page=N` for older ones), `/runs/:id`,
 * `/runs/:id/delete` (asks, then deletes on POST), `/compare?a=&b=`, `/upload`, `/sweeps` and
 * `/sweeps/:id`.
 *
 * @module
 */
import { Hono } from "hono";
import { countRuns, deleteRun, getRun, listRuns } from "../analyze/store.ts";
import { rankByCost } from "../analyze/cost.ts";
import type { AppContext } from "./app.ts";
import { parseCompareQuery, parsePageQuery, parseRunId, parseSweepId } from "./_params.ts";
import { runsListPage } from "./pages/runs_list_page.ts";
import { runPage } from "./pages/run_page.ts";
import { comparePage } from "./pages/compare_page.ts";
import { uploadPage } from "./pages/upload_page.ts";
import { errorPage } from "./pages/error_page.ts";
import { deletePage } from "./pages/delete_page.ts";
import { sweepPage } from "./pages/sweep_page.ts";
import { sweepsListPage } from "./pages/sweeps_list_page.ts";
import { countSweeps, getSweep, listSweeps } from "../analyze/sweep/store.ts";

/** Runs a page of the list shows at most. */
export const LIST_LIMIT = 200;

/** The page routes over `ctx`. */
export function pagesApp(ctx: AppContext): Hono {
  const pages = new Hono();
  const rank = (results: Parameters<typeof rankByCost>[0]) => rankByCost(results, ctx.costWeights);

  pages.get("/", (c) => {
    const q = parsePageQuery(c.req.query());
    if (!q.ok) return c.html(errorPage("Bad address", q.error), 400);
    const { page, deleted } = q.value;
    const total = countRuns(ctx.store);
    const pages = Math.max(1, Math.ceil(total / LIST_LIMIT));
    if (page > pages) {
      return c.html(
        errorPage("No such page", `Page ${page} of the runs: there are ${pages} (${total} runs)`),
        404,
      );
    }
    const runs = listRuns(ctx.store, { limit: LIST_LIMIT, offset: (page - 1) * LIST_LIMIT });
    const rankings = new Map(runs.map((r) => [
      r.id,
      rank(Object.fromEntries(r.strategies.map((s) => [s, { counters: r.totals[s]! }]))),
    ]));
    return c.html(
      runsListPage(runs, total, rankings, { page, pageSize: LIST_LIMIT, deleted }),
    );
  });

  pages.get("/runs/:id", (c) => {
    const id = parseRunId(c.req.param("id"));
    if (!id.ok) return c.html(errorPage("Bad run id", id.error), 400);
    const run = getRun(ctx.store, id.value);
    if (!run) return c.html(errorPage("No such run", `No run with id ${id.value}`), 404);
    return c.html(runPage(run, {
      ranking: rank(run.result.results),
      others: listRuns(ctx.store, { limit: LIST_LIMIT }),
    }));
  });

  pages.get("/runs/:id/delete", (c) => {
    const id = parseRunId(c.req.param("id"));
    if (!id.ok) return c.html(errorPage("Bad run id", id.error), 400);
    const run = getRun(ctx.store, id.value);
    if (!run) return c.html(errorPage("No such run", `No run with id ${id.value}`), 404);
    return c.html(deletePage(run));
  });

  pages.post("/runs/:id/delete", (c) => {
    const id = parseRunId(c.req.param("id"));
    if (!id.ok) return c.html(errorPage("Bad run id", id.error), 400);
    if (!deleteRun(ctx.store, id.value)) {
      return c.html(errorPage("No such run", `No run with id ${id.value}`), 404);
    }
    return c.redirect(`/?deleted=${id.value}`, 303);
  });

  pages.get("/compare", (c) => {
    const q = parseCompareQuery(c.req.query());
    if (!q.ok) return c.html(errorPage("Cannot compare", q.error), 400);
    const a = getRun(ctx.store, q.value.a);
    const b = getRun(ctx.store, q.value.b);
    if (!a || !b) {
      const missing = !a ? q.value.a : q.value.b;
      return c.html(errorPage("No such run", `No run with id ${missing}`), 404);
    }
    return c.html(comparePage(a, b, { a: rank(a.result.results), b: rank(b.result.results) }));
  });

  pages.get("/upload", (c) => c.html(uploadPage(ctx.strategies, ctx.uploadLimit)));

  pages.get(
    "/sweeps",
    (c) =>
      c.html(sweepsListPage(listSweeps(ctx.store, { limit: LIST_LIMIT }), countSweeps(ctx.store))),
  );

  pages.get("/sweeps/:id", (c) => {
    const id = parseSweepId(c.req.param("id"));
    if (!id.ok) return c.html(errorPage("Bad sweep id", id.error), 400);
    const sweep = getSweep(ctx.store, id.value);
    if (!sweep) return c.html(errorPage("No such sweep", `No sweep with id ${id.value}`), 404);
    return c.html(sweepPage(sweep, ctx.costWeights));
  });

  return pages;
}
