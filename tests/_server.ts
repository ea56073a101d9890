/**
 * Helpers of the server tests: an app over an in-memory store, seeded with built runs.
 *
 * @module
 */
import { openStore, saveRun, type Store } from "../analyze/store.ts";
import { type AppOptions, createApp } from "../server/app.ts";
import { makeRunResult, type RunResultSpec } from "./_run_result.ts";
import type { Hono } from "hono";
import type { Jobs } from "../server/jobs.ts";

/** A test app; dispose it (`await using`) to stop its jobs and close its store. */
export interface TestApp extends AsyncDisposable {
  app: Hono;
  store: Store;
  jobs: Jobs;
  /** Stores a built run; returns its id. */
  seed(spec?: RunResultSpec, traceName?: string): number;
}

/** An app over a fresh in-memory store. */
export function testApp(opts: Omit<AppOptions, "store"> = {}): TestApp {
  const store = openStore(":memory:");
  const { app, jobs } = createApp({ store, ...opts });
  return {
    app,
    store,
    jobs,
    seed(spec = {}, traceName = "example.vmt") {
      return saveRun(store, makeRunResult(spec), {
        name: traceName,
        size: 4321,
        sha256: "0f".repeat(32),
      });
    },
    async [Symbol.asyncDispose]() {
      await jobs.close();
      store.close();
    },
  };
}
