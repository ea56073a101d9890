/**
 * The results store's schema, as a list of migrations. Migration `k` (0-based) takes a database
 * from schema version `k` to `k + 1`; the version lives in SQLite's `PRAGMA user_version`. Never
 * edit a migration that has shipped: append a new one.
 *
 * Tables (schema 1):
 * - `runs`: one row per `run` of one trace (trace name, path, size, sha256, event count, machine
 *   options as JSON, vmreplay version, time stored).
 * - `strategy_results`: one row per run and strategy (elapsed time, time series as JSON).
 * - `phases`: the phases of a strategy's replay, in order, with their labels.
 * - `counters`: every counter value, `phase` -1 for the totals, else the phase's index.
 *
 * Schema 2 adds `extra_json` to `runs` and `strategy_results`: every further field of a
 * `RunResult` or `StrategyResult` (such as `verify`), kept as JSON so that fields added to the
 * result later are stored without a new migration.
 *
 * Schema 3 adds sweeps (`vmreplay sweep`): `sweeps`, one row per sweep (its plan as JSON and the
 * plan's SHA-256, the shard `I/N` it ran or '' for all of it), and `sweep_points`, which ties a
 * sweep's job (its index in the plan) to the ordinary run that holds its results. Deleting a run
 * removes its point; deleting a sweep leaves its runs.
 *
 * @module
 */

/**
 * SQL of each migration, in order; the schema version is the number applied.
 *
 * @example
 * ```ts
 * import { MIGRATIONS } from "./store_migrations.ts";
 * if (MIGRATIONS.length < 1) throw new Error("expected at least one migration");
 * ```
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    version TEXT NOT NULL,
    trace_name TEXT NOT NULL,
    trace_path TEXT NOT NULL,
    trace_size INTEGER NOT NULL,
    trace_sha256 TEXT NOT NULL,
    events INTEGER NOT NULL,
    machine_json TEXT NOT NULL
  );
  CREATE INDEX runs_trace_sha256 ON runs(trace_sha256);
  CREATE TABLE strategy_results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    strategy TEXT NOT NULL,
    ord INTEGER NOT NULL,
    elapsed_ms REAL NOT NULL,
    series_json TEXT NOT NULL,
    PRIMARY KEY (run_id, strategy)
  );
  CREATE TABLE phases (
    run_id INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    phase INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (run_id, strategy, phase),
    FOREIGN KEY (run_id, strategy) REFERENCES strategy_results(run_id, strategy) ON DELETE CASCADE
  );
  CREATE TABLE counters (
    run_id INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    phase INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, strategy, phase, name),
    FOREIGN KEY (run_id, strategy) REFERENCES strategy_results(run_id, strategy) ON DELETE CASCADE
  );
  `,
  `
  ALTER TABLE runs ADD COLUMN extra_json TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE strategy_results ADD COLUMN extra_json TEXT NOT NULL DEFAULT '{}';
  `,
  `
  CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    version TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    shard TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX sweeps_plan ON sweeps(plan_sha256);
  CREATE TABLE sweep_points (
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    job INTEGER NOT NULL,
    run_id INTEGER NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
    PRIMARY KEY (sweep_id, job)
  );
  `,
];
