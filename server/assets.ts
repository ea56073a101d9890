/**
 * The dashboard's static assets, all served by the app itself so that it works with no internet:
 * Chart.js from `node_modules` (its UMD build) and the pages' stylesheet and scripts from
 * `server/static/`.
 *
 * @module
 */
import { Hono } from "hono";

/** The assets the app serves under `/assets/`, with their content types. */
const STATIC_FILES: Record<string, string> = {
  "app.css": "text/css; charset=utf-8",
  "common.js": "text/javascript; charset=utf-8",
  "run.js": "text/javascript; charset=utf-8",
  "compare.js": "text/javascript; charset=utf-8",
  "upload.js": "text/javascript; charset=utf-8",
  "sweep.js": "text/javascript; charset=utf-8",
};

/**
 * The file URL of Chart.js's UMD build in `node_modules` (populated by `deno install`, or by Deno
 * itself with `nodeModulesDir: "auto"`).
 *
 * @example
 * ```ts
 * import { chartJsUrl } from "./assets.ts";
 * if (!chartJsUrl().pathname.endsWith("chart.umd.min.js")) throw new Error("unexpected path");
 * ```
 */
export function chartJsUrl(): URL {
  return new URL("./chart.umd.min.js", import.meta.resolve("chart.js"));
}

async function readChartJs(): Promise<Uint8Array> {
  const url = chartJsUrl();
  try {
    return await Deno.readFile(url);
  } catch (e) {
    throw new Error(
      `Chart.js not found at ${url.pathname} (${(e as Error).message}); run 'deno install' ` +
        `in the project's directory`,
    );
  }
}

/**
 * A Hono app serving `/assets/chart.js` and the files of `server/static/`. Files are read once
 * and kept in memory.
 *
 * @example
 * ```ts
 * import { assetsApp } from "./assets.ts";
 * const res = await assetsApp().request("/assets/app.css");
 * if (res.status !== 200) throw new Error(`status ${res.status}`);
 * await res.body?.cancel();
 * ```
 */
export function assetsApp(): Hono {
  const app = new Hono();
  const cache = new Map<string, Promise<Uint8Array>>();
  const load = (key: string, read: () => Promise<Uint8Array>) => {
    let p = cache.get(key);
    if (!p) {
      p = read();
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return p;
  };
  const headers = (type: string) => ({
    "content-type": type,
    "cache-control": "no-cache",
  });
  app.get("/assets/chart.js", async (c) => {
    const body = await load("chart.js", readChartJs);
    return c.body(body as Uint8Array<ArrayBuffer>, 200, headers(STATIC_FILES["common.js"]!));
  });
  app.get("/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = STATIC_FILES[file];
    if (!type) return c.notFound();
    const body = await load(
      file,
      () => Deno.readFile(new URL(`./static/${file}`, import.meta.url)),
    );
    return c.body(body as Uint8Array<ArrayBuffer>, 200, headers(type));
  });
  return app;
}
