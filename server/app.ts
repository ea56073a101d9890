/**
 * The dashboard: a Hono app over the results store with its pages (runs list, a run, compare two
 * runs, upload a trace) and its JSON API. {@linkcode createApp} builds it; `serve` puts it on
 * `Deno.serve`, tests call `app.request()`.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import { openStore } from "../analyze/store.ts";
 * using store = openStore(":memory:");
 * const { app } = createApp({ store });
 * const res = await app.request("/api/runs");
 * const body = await res.json();
 * if (res.status !== 200 || body.runs.length !== 0) throw new Error("expected no runs");
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import type { Store } from "../analyze/store.ts";
import type { CostWeights } from "../analyze/cost.ts";
import { assetsApp } from "./assets.ts";
import { apiApp } from "./api.ts";
import { pagesApp } from "./pages.ts";
import { errorPage } from "./pages/error_page.ts";
import { Jobs, type ReplayUpload } from "./jobs.ts";
import type { StrategyChoice } from "./pages/upload_page.ts";
import { defaultReplay, defaultStrategies, defaultValidate, type ValidateFile } from "./runtime.ts";
import { sweepStaleTemps } from "../trace/tempfiles.ts";

/** Largest upload `POST /api/runs` takes unless told otherwise: 64 MiB. */
export const DEFAULT_UPLOAD_LIMIT = 64 * 2 ** 20;

/** Most bytes a compressed upload may inflate to unless told otherwise: 1 GiB. */
export const DEFAULT_UPLOAD_INFLATE = 2 ** 30;

/** Where uploads are written while they are checked and replayed, unless told otherwise. */
export function defaultUploadDir(): string {
  let tmp: string | undefined;
  try {
    tmp = Deno.env.get("TMPDIR");
  } catch { /* no --allow-env */ }
  return `${tmp ?? "/tmp"}/vmreplay-uploads`;
}

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /** The results store the app reads and writes. */
  store: Store;
  /** Largest accepted upload, bytes (default {@linkcode DEFAULT_UPLOAD_LIMIT}); beyond: 413. */
  uploadLimit?: number;
  /** Cost model weights for the rankings (default: the cost model's defaults). */
  costWeights?: CostWeights;
  /** Strategies offered (default: the machine's registry). */
  strategies?: StrategyChoice[];
  /** How uploads are replayed (default: the runner's `replayTrace`). */
  replay?: ReplayUpload;
  /** How uploads are checked before replay (default: the trace reader, to the last event). */
  validate?: ValidateFile;
  /**
   * Most bytes a gzip-compressed upload may inflate to (default
   * {@linkcode DEFAULT_UPLOAD_INFLATE}); beyond: 413.
   */
  maxInflate?: number;
  /**
   * Directory the uploads are written to while they are checked and replayed (default
   * {@linkcode defaultUploadDir}; created if needed). Files there that a dashboard no longer
   * running left behind are removed when the app is made.
   */
  uploadDir?: string;
  /**
   * Host names the `Host` header may carry (any when omitted). A dashboard on 127.0.0.1 answers
   * only `127.0.0.1`, `localhost` and `[::1]`, so a web page cannot reach it through a DNS name
   * rebound to this machine.
   */
  allowedHosts?: string[];
}

/** What the app's handlers share. */
export interface AppContext {
  store: Store;
  uploadLimit: number;
  maxInflate: number;
  uploadDir: string;
  costWeights: CostWeights | undefined;
  strategies: StrategyChoice[];
  validate: ValidateFile;
  jobs: Jobs;
}

/** Security headers on every response: nothing loads from outside the app. */
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The host name of a `Host` header (without the port), lowercase. */
function hostName(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.indexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

/** Host names of this machine's loopback interface, for {@linkcode AppOptions.allowedHosts}. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/**
 * Builds the dashboard app. Returns the Hono app and its job queue (call `jobs.close()` when
 * done, to abort replays in progress).
 */
export function createApp(opts: AppOptions): { app: Hono; jobs: Jobs } {
  const jobs = new Jobs({ store: opts.store, replay: opts.replay ?? defaultReplay });
  const ctx: AppContext = {
    store: opts.store,
    uploadLimit: opts.uploadLimit ?? DEFAULT_UPLOAD_LIMIT,
    maxInflate: opts.maxInflate ?? DEFAULT_UPLOAD_INFLATE,
    uploadDir: opts.uploadDir ?? defaultUploadDir(),
    costWeights: opts.costWeights,
    strategies: opts.strategies ?? defaultStrategies(),
    validate: opts.validate ?? defaultValidate,
    jobs,
  };
  // Uploads of dashboards killed before they could remove them.
  Deno.mkdirSync(ctx.uploadDir, { recursive: true, mode: 0o700 });
  void sweepStaleTemps(ctx.uploadDir);
  const app = new Hono();
  const allowed = opts.allowedHosts && new Set(opts.allowedHosts.map((h) => h.toLowerCase()));
  app.use(async (c, next) => {
    const host = c.req.header("host");
    if (allowed && host !== undefined && !allowed.has(hostName(host))) {
      return c.text(`Host '${host}' is not served here`, 403);
    }
    // Writes only from the dashboard's own pages (or from clients that send no Origin, like curl):
    // a page elsewhere must not start replays or delete runs.
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const origin = c.req.header("origin");
      const site = c.req.header("sec-fetch-site");
      if ((origin && origin !== new URL(c.req.url).origin) || site === "cross-site") {
        return c.json({ error: `Cross-origin ${c.req.method} refused (origin ${origin})` }, 403);
      }
    }
    await next();
    c.header("content-security-policy", CSP);
    c.header("x-content-type-options", "nosniff");
    // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
    // dashboard's own form POSTs (deleting a run), which the check above must refuse.
    c.header("referrer-policy", "same-origin");
  });
  app.route("/", assetsApp());
  app.route("/api", apiApp(ctx));
  app.route("/", pagesApp(ctx));
  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? c.json({ error: `No API route ${c.req.method} ${c.req.path}` }, 404)
      : c.html(errorPage("Not found", `Nothing at ${c.req.path}`), 404)
  );
  app.onError((e, c) => {
    console.error(e);
    const message = `Internal error: ${e.message}`;
    return c.req.path.startsWith("/api/")
      ? c.json({ error: message }, 500)
      : c.html(errorPage("Internal error", message), 500);
  });
  return { app, jobs };
}
