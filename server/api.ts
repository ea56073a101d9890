/**
 * The dashboard's JSON API:
 *
 * - `GET /api/runs?limit=&offset=`: stored runs, newest first, with total counters and ranking.
 * - `GET /api/runs/:id`: one run in full (`result` as `run --json` writes it) and its ranking.
 * - `GET /api/runs/:id/export?format=json|csv`: the run as a file.
 * - `DELETE /api/runs/:id`: delete a run.
 * - `GET /api/compare?a=ID&b=ID`: every counter of every common strategy, A and B.
 * - `GET /api/strategies`: the strategies, with origin and idea.
 * - `POST /api/runs` (multipart: `trace`, `strategies`, `mem`, `swap`, `wait`): replay an upload;
 *   202 with the job (which lists the strategies it runs), or 201 with the run when `wait` is
 *   set. Bad parameters: 400 with a message; a bad trace: 400 with `FILE:LINE:COL: message` (its
 *   control characters escaped) and `line`, `column` when known; too large: 413.
 * - `GET /api/jobs/:id`: a replay's state and progress per strategy.
 * - `GET /api/sweeps?limit=&offset=`: stored sweeps, newest first (`{ total, sweeps }`).
 * - `GET /api/sweeps/:id`: a sweep as `sweep --json` writes it (`{ sweep, points }`), with its
 *   id, each point's `run_id`, and `complete`.
 *
 * Errors are `{ "error": message }`.
 *
 * @module
 */
import { Hono } from "hono";
import { countRuns, deleteRun, exportRun, getRun, listRuns } from "../analyze/store.ts";
import { rankByCost } from "../analyze/cost.ts";
import type { AppContext } from "./app.ts";
import {
  parseCompareQuery,
  parseListQuery,
  parseRunId,
  parseSweepId,
  parseUpload,
} from "./_params.ts";
import { countSweeps, getSweep, listSweeps } from "../analyze/sweep/store.ts";
import { sweepJson } from "../analyze/sweep/report.ts";
import { fmtBytes } from "./_html.ts";
import { printable } from "../trace/printable.ts";
import { type MultipartResult, readMultipart, UploadError } from "./_multipart.ts";
import { InflateLimitError } from "../trace/inflate.ts";
import { extensionOf, formatFromName } from "../trace/format.ts";
import { createTemp } from "../trace/tempfiles.ts";

let uploads = 0;

/**
 * The file an upload named `name` goes to: a temporary file in `dir`, locked while this process
 * keeps it (so a later dashboard removes it if this one dies, and leaves it alone otherwise), with
 * `name`'s trace extension. An upload whose name has no trace extension is refused (400) before
 * anything is written.
 */
function uploadFile(dir: string, name: string): Promise<{ path: string; release: () => void }> {
  let ext: string;
  try {
    ext = extensionOf(formatFromName(name));
  } catch (e) {
    return Promise.reject(new UploadError(400, (e as Error).message));
  }
  return createTemp(`${dir}/upload-${++uploads}${ext}`, 0o600).then(({ tmp, release }) => ({
    path: tmp,
    release,
  }));
}

/** The `/api` routes over `ctx`. */
export function apiApp(ctx: AppContext): Hono {
  const api = new Hono();
  const ranking = (results: Parameters<typeof rankByCost>[0]) =>
    rankByCost(results, ctx.costWeights);

  api.get("/runs", (c) => {
    const q = parseListQuery(c.req.query());
    if (!q.ok) return c.json({ error: q.error }, 400);
    const runs = listRuns(ctx.store, { limit: q.value.limit ?? 100, offset: q.value.offset ?? 0 });
    return c.json({
      total: countRuns(ctx.store),
      runs: runs.map((r) => ({
        ...r,
        ranking: ranking(Object.fromEntries(
          r.strategies.map((s) => [s, { counters: r.totals[s]! }]),
        )),
      })),
    });
  });

  api.get("/runs/:id", (c) => {
    const id = parseRunId(c.req.param("id"));
    if (!id.ok) return c.json({ error: id.error }, 400);
    const run = getRun(ctx.store, id.value);
    if (!run) return c.json({ error: `No run with id ${id.value}` }, 404);
    return c.json({ ...run, ranking: ranking(run.result.results) });
  });

  api.get("/runs/:id/export", (c) => {
    const id = parseRunId(c.req.param("id"));
    if (!id.ok) return c.json({ error: id.error }, 400);
    const format = c.req.query("format") ?? "json";
    if (format !== "json" && format !== "csv") {
      return c.json(
        { error: `Query parameter 'format': expected json or csv, found '${format}'` },
        400,
      );
    }
    const text = exportRun(ctx.store, id.value, format);
    if (text === undefined) return c.json({ error: `No run with id ${id.value}` }, 404);
    return c.body(text, 200, {
      "content-type": format === "json" ? "application/json" : "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="vmreplay-run-${id.value}.${format}"`,
    });
  });

  api.delete("/runs/:id", (c) => {
    const id = parseRunId(c.req.param("id"));
    if (!id.ok) return c.json({ error: id.error }, 400);
    if (!deleteRun(ctx.store, id.value)) {
      return c.json({ error: `No run with id ${id.value}` }, 404);
    }
    return c.body(null, 204);
  });

  api.get("/compare", (c) => {
    const q = parseCompareQuery(c.req.query());
    if (!q.ok) return c.json({ error: q.error }, 400);
    const a = getRun(ctx.store, q.value.a);
    const b = getRun(ctx.store, q.value.b);
    const missing = !a ? q.value.a : !b ? q.value.b : undefined;
    if (!a || !b) return c.json({ error: `No run with id ${missing}` }, 404);
    const strategies = a.strategies.filter((s) => b.strategies.includes(s));
    const counters: Record<string, Record<string, { a: number | null; b: number | null }>> = {};
    for (const s of strategies) {
      const names = new Set([...Object.keys(a.totals[s]!), ...Object.keys(b.totals[s]!)]);
      counters[s] = Object.fromEntries(
        [...names].map((n) => [n, { a: a.totals[s]![n] ?? null, b: b.totals[s]![n] ?? null }]),
      );
    }
    return c.json({
      a: { id: a.id, trace: a.trace, machine: a.machine, created_at: a.created_at },
      b: { id: b.id, trace: b.trace, machine: b.machine, created_at: b.created_at },
      strategies,
      only_a: a.strategies.filter((s) => !b.strategies.includes(s)),
      only_b: b.strategies.filter((s) => !a.strategies.includes(s)),
      counters,
      ranking: { a: ranking(a.result.results), b: ranking(b.result.results) },
    });
  });

  api.get("/strategies", (c) => c.json({ strategies: ctx.strategies }));

  api.get("/sweeps", (c) => {
    const q = parseListQuery(c.req.query());
    if (!q.ok) return c.json({ error: q.error }, 400);
    return c.json({
      total: countSweeps(ctx.store),
      sweeps: listSweeps(ctx.store, { limit: q.value.limit ?? 100, offset: q.value.offset ?? 0 }),
    });
  });

  api.get("/sweeps/:id", (c) => {
    const id = parseSweepId(c.req.param("id"));
    if (!id.ok) return c.json({ error: id.error }, 400);
    const s = getSweep(ctx.store, id.value);
    if (!s) return c.json({ error: `No sweep with id ${id.value}` }, 404);
    const body = sweepJson({ plan: s.plan, points: s.points_list, id: s.id }, ctx.costWeights);
    return c.json({
      id: s.id,
      created_at: s.created_at,
      shard: s.shard,
      complete: s.points === s.jobs,
      ...body,
    });
  });

  api.post("/runs", async (c) => {
    const tooLarge = `Upload too large: at most ${
      fmtBytes(ctx.uploadLimit)
    } (serve --upload-limit)`;
    // A declared length far beyond the limit is refused before reading anything.
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > ctx.uploadLimit + 1024 * 1024) return c.json({ error: tooLarge }, 413);
    let upload: MultipartResult;
    try {
      // Streamed to a file in the upload directory, never held in memory.
      upload = await readMultipart(c.req.raw, {
        fileField: "trace",
        createFile: (name) => uploadFile(ctx.uploadDir, name),
        maxFileBytes: ctx.uploadLimit,
        tooLarge,
      });
    } catch (e) {
      if (e instanceof UploadError) return c.json({ error: e.message }, e.status);
      throw e;
    }
    const file = upload.file;
    let submitted = false;
    try {
      const p = parseUpload(
        upload.fields,
        file,
        ctx.strategies.map((s) => s.name),
        c.req.query("wait"),
      );
      if (!p.ok) return c.json({ error: p.error }, 400);
      const { trace, strategies, mem, swap, wait } = p.value;
      const limit = {
        maxInflate: ctx.maxInflate,
        maxInflateHint: "the dashboard's limit: serve --max-inflate",
      };
      try {
        await ctx.validate(trace.path, trace.name, limit);
      } catch (e) {
        // A position only when the error has one (not for a whole file: bad gzip, wrong magic).
        const err = e as Error & { line?: number; column?: number };
        if (err.name !== "TraceError") throw e;
        const line = err.line ?? 0;
        const column = line > 0 ? err.column ?? 0 : 0;
        return c.json({
          error: printable(err.message),
          ...(line > 0 ? { line } : {}),
          ...(column > 0 ? { column } : {}),
        }, e instanceof InflateLimitError ? 413 : 400);
      }
      const job = ctx.jobs.submit({
        path: trace.path,
        name: trace.name,
        size: trace.size,
        sha256: trace.sha256,
        release: trace.release,
        ...limit,
        // The job lists what it runs: the strategies asked for, or all of them.
        strategies: strategies ?? ctx.strategies.map((s) => s.name),
        ...(mem !== undefined ? { mem } : {}),
        ...(swap !== undefined ? { swap } : {}),
      });
      submitted = true; // the job removes the file when it ends
      if (!wait) {
        return c.json({ job, status_url: `/api/jobs/${job.id}` }, 202, {
          location: `/api/jobs/${job.id}`,
        });
      }
      const done = (await ctx.jobs.wait(job.id))!;
      if (done.state !== "done") {
        // A trace that validated but asks for more than the machine model can hold is still the
        // trace's problem (422); anything else is the server's.
        const status = ctx.jobs.failure(job.id)?.name === "TraceError" ? 422 : 500;
        return c.json(
          { error: `Replay of ${trace.name} failed: ${done.error}`, job: done },
          status,
        );
      }
      return c.json({ job: done, run_id: done.run_id, url: `/runs/${done.run_id}` }, 201, {
        location: `/api/runs/${done.run_id}`,
      });
    } finally {
      if (!submitted && file !== undefined) {
        await Deno.remove(file.path).catch(() => {});
        file.release();
      }
    }
  });

  api.get("/jobs/:id", (c) => {
    const job = ctx.jobs.get(c.req.param("id"));
    if (!job) return c.json({ error: `No job '${c.req.param("id")}'` }, 404);
    return c.json(job);
  });

  return api;
}
