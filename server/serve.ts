/**
 * Puts the dashboard on `Deno.serve`: used by `serve` and `start`, and by the browser tests.
 *
 * @module
 */
import { type AppOptions, createApp, LOOPBACK_HOSTS } from "./app.ts";

/** Options of {@linkcode serveDashboard}. */
export interface ServeOptions extends AppOptions {
  /** Interface to listen on (default 127.0.0.1: only this machine). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Aborts the server. */
  signal?: AbortSignal;
}

/** A running dashboard. */
export interface Dashboard extends AsyncDisposable {
  /** The address to open, e.g. `http://127.0.0.1:8000/`. */
  url: string;
  /** Stops serving and aborts replays in progress (the store stays open: it is the caller's). */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/**
 * Serves the dashboard over `opts.store` until closed.
 *
 * @example
 * ```ts ignore
 * import { serveDashboard } from "./serve.ts";
 * import { openStore } from "../analyze/store.ts";
 * using store = openStore(":memory:");
 * await using dash = serveDashboard({ store, port: 0 });
 * console.log(await (await fetch(`${dash.url}api/runs`)).json());
 * ```
 */
export function serveDashboard(opts: ServeOptions): Dashboard {
  const host = opts.host ?? "127.0.0.1";
  const loopback = ["127.0.0.1", "localhost", "::1"].includes(host);
  const { app, jobs } = createApp({
    ...opts,
    ...(loopback && !opts.allowedHosts ? { allowedHosts: [...LOOPBACK_HOSTS] } : {}),
  });
  const server = Deno.serve({
    hostname: host,
    port: opts.port ?? 8000,
    onListen: () => {},
    ...(opts.signal ? { signal: opts.signal } : {}),
  }, app.fetch);
  const addr = server.addr;
  const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `http://${shown === "0.0.0.0" ? "127.0.0.1" : shown}:${addr.port}/`;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      await jobs.close();
      await server.shutdown();
    })();
  return { url, close, finished: server.finished, [Symbol.asyncDispose]: close };
}
