/**
 * Helpers of the server tests: an app over an in-memory store, seeded with built runs, and a small
 * trace to upload.
 *
 * @module
 */
import { openStore, saveRun, type Store } from "../analyze/store.ts";
import { type AppOptions, createApp } from "../server/app.ts";
import { makeRunResult, type RunResultSpec } from "./_run_result.ts";
import type { Hono } from "hono";
import type { Jobs } from "../server/jobs.ts";

/** A small, valid trace to upload: one private page written, a fork, a COW write in the child. */
export const COW_TRACE = `vmtrace 1 mem=1M swap=1M
1 mmap 0x10000 16K rw- private,anon
1 w 0x10000
1 w 0x11000
- mark after-fork
1 fork 2
2 w 0x10000
2 r 0x11000
2 exit
1 exit
`;

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
