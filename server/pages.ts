/**
 * The dashboard's HTML pages: `/` (runs), `/runs/:id`, `/compare?a=&b=`, `/upload`.
 *
 * @module
 */
import { Hono } from "hono";
import { countRuns, getRun, listRuns } from "../analyze/store.ts";
import { rankByCost } from "../analyze/cost.ts";
import type { AppContext } from "./app.ts";
import { parseCompareQuery, parseRunId } from "./_params.ts";
import { runsListPage } from "./pages/runs_list_page.ts";
import { runPage } from "./pages/run_page.ts";
import { comparePage } from "./pages/compare_page.ts";
import { uploadPage } from "./pages/upload_page.ts";
import { errorPage } from "./pages/error_page.ts";

/** Runs the list page shows at most. */
export const LIST_LIMIT = 200;

/** The page routes over `ctx`. */
export function pagesApp(ctx: AppContext): Hono {
  const pages = new Hono();
  const rank = (results: Parameters<typeof rankByCost>[0]) => rankByCost(results, ctx.costWeights);

  pages.get("/", (c) => {
    const runs = listRuns(ctx.store, { limit: LIST_LIMIT });
    const rankings = new Map(runs.map((r) => [
      r.id,
      rank(Object.fromEntries(r.strategies.map((s) => [s, { counters: r.totals[s]! }]))),
    ]));
    return c.html(runsListPage(runs, countRuns(ctx.store), rankings));
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

  return pages;
}
