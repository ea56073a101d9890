/**
 * Runs a sweep's jobs on this machine, N at a time. A job replays one trace at one memory size
 * through every strategy of the plan with `replayTrace` (which decodes the trace once and feeds
 * each strategy's worker from that decoding). Jobs start longest first (bigger traces, then
 * smaller memories, which swap more), so the last ones to finish are short and the cores stay
 * busy to the end.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { replayTrace } from "../replay.ts";
import type { RunResult } from "../result.ts";
import type { TraceInfo } from "../store.ts";
import { traceInfoOfFile } from "../trace_info.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";
import { describeJob, type SweepPoint } from "./store.ts";
import { type SweepPlan, tracePath } from "./plan.ts";

/** A finished job, as {@linkcode RunSweepOptions.onJob} gets it. */
export interface JobDone {
  /** The job's index in the plan. */
  job: number;
  /** Its run (`trace` is the plan's path of the trace). */
  run: RunResult;
  /** The trace as the results store records it. */
  trace: TraceInfo;
  /** Its point. */
  point: SweepPoint;
  /** Jobs finished so far (this one included), and how many there are. */
  done: number;
  /** Jobs to run. */
  total: number;
}

/** Options of {@linkcode runSweep}. */
export interface RunSweepOptions {
  /** The plan. */
  plan: SweepPlan;
  /** The file it was read from (its trace paths are relative to its folder), if any. */
  planFile?: string;
  /** Indices of the jobs to run (default: all). */
  jobs?: number[];
  /** Jobs at a time (default: the number of cores). */
  concurrency?: number;
  /** Called when a job finishes, in the order they finish (saving it is the caller's). */
  onJob?: (d: JobDone) => void | Promise<void>;
  /** Called as jobs progress: the fraction of all the jobs' events replayed. */
  onProgress?: (fraction: number, running: number) => void;
  /** Stops the sweep: running replays are aborted and the promise rejects. */
  signal?: AbortSignal;
}

/** The number of cores (the default `--jobs`). */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

/** A job's point, from its run. */
export function pointOf(job: number, run: RunResult, runId?: number): SweepPoint {
  return {
    job,
    trace: run.trace,
    mem: run.machine.mem,
    swap: run.machine.swap,
    events: run.events,
    ...(runId !== undefined ? { run_id: runId } : {}),
    results: Object.fromEntries(
      Object.entries(run.results).map(([s, r]) => [s, {
        counters: r.counters,
        elapsed_ms: r.elapsed_ms,
      }]),
    ),
  };
}

/**
 * Checks that the plan's traces needed by `jobs` are the files the plan hashed; returns each
 * one's store record by trace index. Throws an `Error` naming a trace that changed.
 */
async function checkTraces(
  plan: SweepPlan,
  jobs: number[],
  planFile: string | undefined,
): Promise<Map<number, TraceInfo>> {
  const out = new Map<number, TraceInfo>();
  for (const k of new Set(jobs.map((j) => plan.jobs[j]!.trace))) {
    const t = plan.traces[k]!;
    const path = tracePath(plan, k, planFile);
    let info: TraceInfo;
    try {
      info = await traceInfoOfFile(path);
    } catch (e) {
      throw new Error(`${path}: cannot read the trace: ${(e as Error).message}`);
    }
    if (info.sha256 !== t.sha256) {
      throw new Error(
        `${path}: sha256 ${info.sha256.slice(0, 12)}… but the plan says ${
          t.sha256.slice(0, 12)
        }…: the trace changed since the plan was made`,
      );
    }
    out.set(k, { name: t.name, size: t.size, sha256: t.sha256 });
  }
  return out;
}

/**
 * Runs the jobs of a plan (all, or those given), `concurrency` at a time, and returns their
 * points in job order. The first failure stops the others and is thrown, naming the job.
 *
 * @example
 * ```ts
 * import { runSweep } from "./run.ts";
 * import { makePlan } from "./plan.ts";
 * import { parseMemList } from "./mem_list.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1\n1 mmap 0x10000 8K rw- private,anon\n1 w 0x10000\n1 w 0x11000\n");
 * const plan = await makePlan({ traces: [path], mem: parseMemList("64K,128K"), strategies: ["scan"] });
 * const points = await runSweep({ plan, concurrency: 2 });
 * await Deno.remove(path);
 * if (points.length !== 2 || points[0]!.results.scan!.counters.minor_faults !== 2) {
 *   throw new Error(JSON.stringify(points));
 * }
 * ```
 */
export async function runSweep(opts: RunSweepOptions): Promise<SweepPoint[]> {
  const { plan } = opts;
  const jobs = opts.jobs ?? plan.jobs.map((_, i) => i);
  const infos = await checkTraces(plan, jobs, opts.planFile);
  // Longest first: bigger traces, then smaller memories.
  const order = [...jobs].sort((a, b) => {
    const ja = plan.jobs[a]!, jb = plan.jobs[b]!;
    return plan.traces[jb.trace]!.size - plan.traces[ja.trace]!.size || ja.mem - jb.mem || a - b;
  });
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const progress = new Map<number, number>();
  const running = new Set<number>();
  const report = () => {
    let sum = 0;
    for (const f of progress.values()) sum += f;
    opts.onProgress?.(sum / Math.max(1, jobs.length), running.size);
  };
  const points: SweepPoint[] = [];
  let next = 0, done = 0;
  const worker = async () => {
    while (next < order.length) {
      signal.throwIfAborted();
      const j = order[next++]!;
      const job = plan.jobs[j]!;
      const perStrategy = new Map<string, number>();
      running.add(j);
      let run: RunResult;
      try {
        run = await replayTrace({
          trace: tracePath(plan, job.trace, opts.planFile),
          strategies: plan.strategies,
          mem: job.mem,
          ...(plan.swap !== null ? { swap: plan.swap } : {}),
          vm: plan.vm as Partial<VmKnobs>,
          signal,
          onProgress: (p) => {
            perStrategy.set(p.strategy, p.total > 0 ? p.events / p.total : 1);
            let s = 0;
            for (const f of perStrategy.values()) s += f;
            progress.set(j, s / plan.strategies.length);
            report();
          },
        });
      } catch (e) {
        if (!signal.aborted) {
          const err = e as Error;
          err.message = `Sweep job ${describeJob(plan, j)}: ${err.message}`;
        }
        throw e;
      } finally {
        running.delete(j);
      }
      run.trace = plan.traces[job.trace]!.path;
      progress.set(j, 1);
      const point = pointOf(j, run);
      points.push(point);
      done++;
      await opts.onJob?.({
        job: j,
        run,
        trace: infos.get(job.trace)!,
        point,
        done,
        total: jobs.length,
      });
      report();
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? defaultConcurrency(), order.length));
  const all = Array.from({ length: n }, () =>
    worker().catch((e) => {
      stop.abort(e);
      throw e;
    }));
  const settled = await Promise.allSettled(all);
  const failed = settled.find((s) => s.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) throw stop.signal.aborted ? stop.signal.reason : failed.reason;
  return points.sort((a, b) => a.job - b.job);
}
