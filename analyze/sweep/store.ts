/**
 * Sweeps in the results store: a sweep is a group of ordinary runs (one per job: a trace at one
 * memory size), so `runs`, a run's page and compare work on every point. `sweeps` keeps the plan,
 * `sweep_points` ties each job to its run (schema 3, `store_migrations.ts`). A point is stored
 * with its run in one transaction.
 *
 * @example
 * ```ts
 * import { openStore } from "../store.ts";
 * import { createSweep, getSweep, listSweeps } from "./store.ts";
 * import type { SweepPlan } from "./plan.ts";
 * const plan = {
 *   kind: "vmreplay-sweep-plan", version: "0", mem: "1M", swap: null, strategies: ["scan"], vm: {},
 *   traces: [{ path: "t.vmt", name: "t.vmt", size: 1, sha256: "0".repeat(64) }],
 *   jobs: [{ trace: 0, mem: 1 << 20 }],
 * } as SweepPlan;
 * using store = openStore(":memory:");
 * const id = createSweep(store, plan, "ab", "");
 * if (listSweeps(store)[0]?.id !== id || getSweep(store, id)?.points_list.length !== 0) {
 *   throw new Error("expected an empty sweep");
 * }
 * ```
 *
 * @module
 */
import { getRun, insertRun, type Store, type TraceInfo, transaction } from "../store.ts";
import type { Counters, RunResult } from "../result.ts";
import { VERSION } from "../version.ts";
import { parsePlan, shardJobs, type SweepPlan } from "./plan.ts";

/** One point of a sweep: a job's results. */
export interface SweepPoint {
  /** The job's index in the plan. */
  job: number;
  /** The trace's path as the plan names it. */
  trace: string;
  /** Memory, bytes. */
  mem: number;
  /** Swap the machine had, bytes. */
  swap: number;
  /** Events replayed. */
  events: number;
  /** The run holding it in the results store (absent with `--no-db`). */
  run_id?: number;
  /** Each strategy's total counters and replay time. */
  results: Record<string, { counters: Counters; elapsed_ms: number }>;
}

/** A sweep as lists show it. */
export interface SweepSummary {
  /** Its id in the store. */
  id: number;
  /** When it was stored (ISO 8601, UTC). */
  created_at: string;
  /** The vmreplay version that stored it. */
  version: string;
  /** SHA-256 of its plan's text. */
  plan_sha256: string;
  /** `I/N` for a shard's sweep (`sweep run --shard`), '' for a whole one. */
  shard: string;
  /** The traces' paths, as the plan names them. */
  traces: string[];
  /** The `--mem` list as given. */
  mem: string;
  /** Every size of the sweep, bytes, ascending. */
  sizes: number[];
  /** Swap, bytes, or null: the trace headers'. */
  swap: number | null;
  /** The strategies. */
  strategies: string[];
  /** Jobs this sweep (its shard) should hold. */
  jobs: number;
  /** Jobs stored. */
  points: number;
}

/** A sweep in full: its summary, its plan and its points in job order. */
export interface StoredSweep extends SweepSummary {
  /** The plan. */
  plan: SweepPlan;
  /** The points stored, by job index. */
  points_list: SweepPoint[];
}

interface SweepRow {
  id: number;
  created_at: string;
  version: string;
  plan_sha256: string;
  plan_json: string;
  shard: string;
  n: number;
}

/** The jobs a sweep stored as `shard` ('' or `I/N`) of `plan` should hold. */
export function expectedJobs(plan: SweepPlan, shard: string): number[] {
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  return m ? shardJobs(plan.jobs.length, Number(m[1]), Number(m[2])) : plan.jobs.map((_, i) => i);
}

function summaryOf(row: SweepRow): SweepSummary & { plan: SweepPlan } {
  const plan = parsePlan(row.plan_json, `sweep ${row.id}`);
  return {
    id: row.id,
    created_at: row.created_at,
    version: row.version,
    plan_sha256: row.plan_sha256,
    shard: row.shard,
    traces: plan.traces.map((t) => t.path),
    mem: plan.mem,
    sizes: [...new Set(plan.jobs.map((j) => j.mem))].sort((a, b) => a - b),
    swap: plan.swap,
    strategies: plan.strategies,
    jobs: expectedJobs(plan, row.shard).length,
    points: row.n,
    plan,
  };
}

const SWEEP_SELECT = `SELECT sweeps.*, (SELECT count(*) FROM sweep_points
  WHERE sweep_points.sweep_id = sweeps.id) AS n FROM sweeps`;

/** Records a new sweep of `plan` (SHA-256 `planSha256`), shard `shard` ('' or `I/N`); its id. */
export function createSweep(
  store: Store,
  plan: SweepPlan,
  planSha256: string,
  shard: string,
): number {
  return transaction(store.db, () =>
    Number(
      store.db.prepare(
        `INSERT INTO sweeps (created_at, version, plan_sha256, plan_json, shard)
          VALUES (?, ?, ?, ?, ?)`,
      ).run(new Date().toISOString(), VERSION, planSha256, JSON.stringify(plan), shard)
        .lastInsertRowid,
    ));
}

/** Stores job `job`'s run as a point of sweep `sweepId`, in one transaction; the run's id. */
export function addPoint(
  store: Store,
  sweepId: number,
  job: number,
  result: RunResult,
  trace: TraceInfo,
): number {
  return transaction(store.db, () => {
    const runId = insertRun(store, result, trace);
    store.db.prepare("INSERT INTO sweep_points (sweep_id, job, run_id) VALUES (?, ?, ?)")
      .run(sweepId, job, runId);
    return runId;
  });
}

/** The stored sweeps, newest first. */
export function listSweeps(
  store: Store,
  opts: { limit?: number; offset?: number } = {},
): SweepSummary[] {
  const rows = store.db.prepare(`${SWEEP_SELECT} ORDER BY id DESC LIMIT ? OFFSET ?`)
    .all(opts.limit ?? -1, opts.offset ?? 0) as unknown as SweepRow[];
  return rows.map((r) => {
    const { plan: _, ...summary } = summaryOf(r);
    return summary;
  });
}

/** Number of sweeps in the store. */
export function countSweeps(store: Store): number {
  return (store.db.prepare("SELECT count(*) AS n FROM sweeps").get() as { n: number }).n;
}

/** One sweep with its plan and points, or undefined when no sweep has this id. */
export function getSweep(store: Store, id: number): StoredSweep | undefined {
  const row = store.db.prepare(`${SWEEP_SELECT} WHERE id = ?`).get(id) as SweepRow | undefined;
  if (!row) return undefined;
  const summary = summaryOf(row);
  const db = store.db;
  const points = new Map<number, SweepPoint>();
  const prows = db.prepare(
    `SELECT sweep_points.job, sweep_points.run_id, runs.events, runs.machine_json
      FROM sweep_points JOIN runs ON runs.id = sweep_points.run_id
      WHERE sweep_points.sweep_id = ? ORDER BY sweep_points.job`,
  ).all(id) as unknown as { job: number; run_id: number; events: number; machine_json: string }[];
  const byRun = new Map<number, SweepPoint>();
  for (const p of prows) {
    const job = summary.plan.jobs[p.job];
    if (!job) continue;
    const machine = JSON.parse(p.machine_json) as { mem: number; swap: number };
    const point: SweepPoint = {
      job: p.job,
      trace: summary.plan.traces[job.trace]!.path,
      mem: machine.mem,
      swap: machine.swap,
      events: p.events,
      run_id: p.run_id,
      results: {},
    };
    points.set(p.job, point);
    byRun.set(p.run_id, point);
  }
  const srows = db.prepare(
    `SELECT s.run_id, s.strategy, s.elapsed_ms FROM strategy_results s
      JOIN sweep_points p ON p.run_id = s.run_id WHERE p.sweep_id = ? ORDER BY s.run_id, s.ord`,
  ).all(id) as unknown as { run_id: number; strategy: string; elapsed_ms: number }[];
  for (const s of srows) {
    const point = byRun.get(s.run_id);
    if (point) point.results[s.strategy] = { counters: {} as Counters, elapsed_ms: s.elapsed_ms };
  }
  const crows = db.prepare(
    `SELECT c.run_id, c.strategy, c.name, c.value FROM counters c
      JOIN sweep_points p ON p.run_id = c.run_id
      WHERE p.sweep_id = ? AND c.phase = -1 ORDER BY c.run_id, c.strategy, c.ord`,
  ).all(id) as unknown as { run_id: number; strategy: string; name: string; value: number }[];
  for (const c of crows) {
    const r = byRun.get(c.run_id)?.results[c.strategy];
    if (r) r.counters[c.name] = c.value;
  }
  return { ...summary, points_list: [...points.values()] };
}

/** Deletes sweep `id` (its runs stay, as ordinary runs); whether there was one. */
export function deleteSweep(store: Store, id: number): boolean {
  return transaction(
    store.db,
    () => Number(store.db.prepare("DELETE FROM sweeps WHERE id = ?").run(id).changes) > 0,
  );
}

/** Why a merge stopped: jobs no store holds. */
export class MissingJobsError extends Error {
  /** The indices of the missing jobs. */
  readonly jobs: number[];
  /** Makes the error; `message` names the jobs. */
  constructor(message: string, jobs: number[]) {
    super(message);
    this.name = "MissingJobsError";
    this.jobs = jobs;
  }
}

/** A store to merge: its name (for messages) and the open store. */
export interface MergeInput {
  /** The store's path. */
  name: string;
  /** The open store. */
  store: Store;
}

/** Describes job `j` of `plan`: `#3 (b.vmt at 2M)`. */
export function describeJob(plan: SweepPlan, j: number): string {
  const job = plan.jobs[j]!;
  const mem = job.mem % 2 ** 20 === 0 ? `${job.mem / 2 ** 20}M` : `${job.mem / 1024}K`;
  return `#${j} (${plan.traces[job.trace]!.path} at ${mem})`;
}

/**
 * Merges the points of `plan` that `inputs` hold (shard stores or merged ones) into a new sweep of
 * `out`, in one transaction; returns its id. Throws an `Error` naming the store when one holds
 * a sweep of the same jobs made from other traces (SHA-256) or by another vmreplay version, or
 * holds nothing of the plan; {@linkcode MissingJobsError} when a job is in no store (and writes
 * nothing then). A job in several stores is taken from the first.
 */
export function mergeSweeps(
  plan: SweepPlan,
  planSha256: string,
  inputs: MergeInput[],
  out: Store,
): number {
  const found = new Map<number, { input: MergeInput; runId: number }>();
  const sameJobs = (p: SweepPlan) =>
    JSON.stringify([p.traces.map((t) => t.path), p.mem, p.swap, p.strategies, p.vm, p.jobs]) ===
      JSON.stringify([
        plan.traces.map((t) => t.path),
        plan.mem,
        plan.swap,
        plan.strategies,
        plan.vm,
        plan.jobs,
      ]);
  for (const input of inputs) {
    const rows = input.store.db.prepare(`${SWEEP_SELECT} ORDER BY id`)
      .all() as unknown as SweepRow[];
    let ours = 0;
    for (const row of rows) {
      const other = parsePlan(row.plan_json, `${input.name}: sweep ${row.id}`);
      if (row.plan_sha256 !== planSha256) {
        if (!sameJobs(other)) continue;
        if (other.version !== plan.version) {
          throw new Error(
            `${input.name}: sweep ${row.id} was planned by vmreplay ${other.version}, the plan by ` +
              `${plan.version}: refusing to merge it`,
          );
        }
        const k = other.traces.findIndex((t, i) => t.sha256 !== plan.traces[i]!.sha256);
        throw new Error(
          `${input.name}: sweep ${row.id} replayed ${other.traces[Math.max(0, k)]!.path} with ` +
            `sha256 ${other.traces[Math.max(0, k)]!.sha256.slice(0, 12)}…, the plan has ` +
            `${plan.traces[Math.max(0, k)]!.sha256.slice(0, 12)}…: refusing to merge it`,
        );
      }
      ours++;
      const points = input.store.db.prepare(
        `SELECT p.job, p.run_id, r.version, r.trace_sha256 FROM sweep_points p
          JOIN runs r ON r.id = p.run_id WHERE p.sweep_id = ? ORDER BY p.job`,
      ).all(row.id) as unknown as {
        job: number;
        run_id: number;
        version: string;
        trace_sha256: string;
      }[];
      for (const p of points) {
        const job = plan.jobs[p.job];
        if (!job) continue;
        if (p.version !== plan.version) {
          throw new Error(
            `${input.name}: run ${p.run_id} (job ${p.job}) was made by vmreplay ${p.version}, ` +
              `the plan by ${plan.version}: refusing to merge it`,
          );
        }
        if (p.trace_sha256 !== plan.traces[job.trace]!.sha256) {
          throw new Error(
            `${input.name}: run ${p.run_id} (job ${p.job}) replayed a trace with sha256 ` +
              `${p.trace_sha256.slice(0, 12)}…, the plan's ${plan.traces[job.trace]!.path} has ` +
              `${plan.traces[job.trace]!.sha256.slice(0, 12)}…: refusing to merge it`,
          );
        }
        if (!found.has(p.job)) found.set(p.job, { input, runId: p.run_id });
      }
    }
    if (ours === 0) throw new Error(`${input.name}: holds no sweep of this plan`);
  }
  const missing = plan.jobs.map((_, j) => j).filter((j) => !found.has(j));
  if (missing.length > 0) {
    const list = missing.slice(0, 20).map((j) => describeJob(plan, j)).join(", ");
    throw new MissingJobsError(
      `${missing.length} of ${plan.jobs.length} jobs missing: ${list}` +
        (missing.length > 20 ? `, and ${missing.length - 20} more` : ""),
      missing,
    );
  }
  return transaction(out.db, () => {
    const id = Number(
      out.db.prepare(
        `INSERT INTO sweeps (created_at, version, plan_sha256, plan_json, shard)
          VALUES (?, ?, ?, ?, '')`,
      ).run(new Date().toISOString(), VERSION, planSha256, JSON.stringify(plan)).lastInsertRowid,
    );
    for (const [j, { input, runId }] of [...found].sort((a, b) => a[0] - b[0])) {
      const run = getRun(input.store, runId)!;
      const newRun = insertRun(out, run.result, {
        name: run.trace.name,
        size: run.trace.size,
        sha256: run.trace.sha256,
      });
      out.db.prepare("INSERT INTO sweep_points (sweep_id, job, run_id) VALUES (?, ?, ?)")
        .run(id, j, newRun);
    }
    return id;
  });
}
