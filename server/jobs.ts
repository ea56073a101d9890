/**
 * Replays started from the dashboard: each upload becomes a job that replays the trace, stores
 * the run and reports its progress per strategy. Jobs run one at a time (replay already uses a
 * worker per strategy); finished jobs are kept for a while so their page can be found.
 *
 * @module
 */
import type { RunResult } from "../analyze/result.ts";
import { saveRun, type Store } from "../analyze/store.ts";
import { printable } from "../trace/printable.ts";

/**
 * What a replay of an upload needs. The job owns the file at `path`: it removes it when the
 * replay ends, whatever the outcome.
 */
export interface ReplayInput {
  /** Where the uploaded trace was written (any form, gzip too). */
  path: string;
  /** The uploaded file's name (its extension tells the form). */
  name: string;
  /** The uploaded file's size, bytes. */
  size: number;
  /** The uploaded file's SHA-256, lowercase hex. */
  sha256: string;
  /** Lets go of the file's lock once it is removed (`trace/tempfiles.ts`). */
  release?: () => void;
  /** Most bytes a gzip-compressed upload may inflate to (default: `trace/inflate.ts`). */
  maxInflate?: number;
  /** How to raise that limit, said in its error. */
  maxInflateHint?: string;
  /** Strategies to run (all when omitted). */
  strategies?: string[];
  /** Physical memory, bytes (default: the trace header's). */
  mem?: number;
  /** Swap, bytes (default: the trace header's). */
  swap?: number;
  /** Called as each strategy advances. */
  onProgress?: (p: { strategy: string; events: number; total: number }) => void;
  /** Aborts the replay. */
  signal?: AbortSignal;
}

/** Replays an upload (the runner's `replayTrace`). */
export type ReplayUpload = (input: ReplayInput) => Promise<RunResult>;

/** A job's state as `GET /api/jobs/:id` reports it. */
export interface JobStatus {
  id: string;
  state: "queued" | "running" | "done" | "failed";
  /** The uploaded trace's name. */
  trace: string;
  /** The strategies the job runs: as asked (the API names them all when none are), once done those
   * the run has. */
  strategies: string[];
  /** Events replayed and total, per strategy, as last reported. */
  progress: Record<string, { events: number; total: number }>;
  /** The stored run, once done. */
  run_id?: number;
  /** Why it failed. */
  error?: string;
}

/** Options of {@linkcode Jobs}. */
export interface JobsOptions {
  /** Where finished runs are stored. */
  store: Store;
  /** The replay to use. */
  replay: ReplayUpload;
  /** Finished jobs kept for status queries (default 100). */
  keep?: number;
}

/**
 * The queue of dashboard replays.
 *
 * @example
 * ```ts
 * import { Jobs } from "./jobs.ts";
 * import { openStore } from "../analyze/store.ts";
 * using store = openStore(":memory:");
 * const jobs = new Jobs({
 *   store,
 *   replay: () => Promise.reject(new Error("Replay failed")),
 * });
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * const job = jobs.submit({ path, name: "t.vmt", size: 0, sha256: "" });
 * const done = await jobs.wait(job.id);
 * if (done?.state !== "failed") throw new Error("expected the job to fail");
 * // The job removed its file.
 * if (await Deno.stat(path).then(() => true, () => false)) throw new Error("file left");
 * ```
 */
export class Jobs {
  #opts: JobsOptions;
  #jobs = new Map<string, JobStatus>();
  #failures = new Map<string, Error>();
  #done = new Map<string, Promise<void>>();
  #tail: Promise<void> = Promise.resolve();
  #next = 1;
  #abort = new AbortController();

  /** Makes an empty queue. */
  constructor(opts: JobsOptions) {
    this.#opts = opts;
  }

  /** Queues a replay of `input`; returns its status (state `queued`). */
  submit(input: ReplayInput): JobStatus {
    const id = String(this.#next++);
    const job: JobStatus = {
      id,
      state: "queued",
      trace: input.name,
      strategies: input.strategies ?? [],
      progress: {},
    };
    this.#jobs.set(id, job);
    const run = this.#tail.then(() => this.#run(job, input));
    this.#tail = run;
    this.#done.set(id, run);
    this.#forget();
    return job;
  }

  async #run(job: JobStatus, input: ReplayInput): Promise<void> {
    job.state = "running";
    try {
      const result = await this.#opts.replay({
        ...input,
        signal: input.signal ?? this.#abort.signal,
        onProgress: (p) => {
          job.progress[p.strategy] = { events: p.events, total: p.total };
          input.onProgress?.(p);
        },
      });
      const trace = { name: input.name, size: input.size, sha256: input.sha256 };
      job.run_id = saveRun(this.#opts.store, result, trace);
      job.strategies = Object.keys(result.results);
      for (const [s, r] of Object.entries(result.results)) {
        job.progress[s] = { events: r.counters.events, total: result.events };
      }
      job.state = "done";
    } catch (e) {
      job.state = "failed";
      job.error = printable(e instanceof Error ? e.message : String(e));
      if (e instanceof Error) this.#failures.set(job.id, e);
    } finally {
      await Deno.remove(input.path).catch(() => {});
      input.release?.();
    }
  }

  /** Drops the oldest finished jobs beyond the number kept. */
  #forget(): void {
    const keep = this.#opts.keep ?? 100;
    for (const [id, job] of this.#jobs) {
      if (this.#jobs.size <= keep) break;
      if (job.state === "done" || job.state === "failed") {
        this.#jobs.delete(id);
        this.#done.delete(id);
        this.#failures.delete(id);
      }
    }
  }

  /** The error a failed job `id` ended with (its kind tells whose fault it was), if any. */
  failure(id: string): Error | undefined {
    return this.#failures.get(id);
  }

  /** The status of job `id`, or `undefined` if there is none (or it was forgotten). */
  get(id: string): JobStatus | undefined {
    return this.#jobs.get(id);
  }

  /** Waits for job `id` to finish; returns its final status. */
  async wait(id: string): Promise<JobStatus | undefined> {
    await this.#done.get(id);
    return this.#jobs.get(id);
  }

  /** Aborts running replays and waits for the queue to drain (for shutdown and tests). */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#tail;
  }
}
