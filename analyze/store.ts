/**
 * The results store: every `run` kept in one SQLite file (default `./.vmreplay/runs.db`) through
 * `node:sqlite`, so runs can be listed, shown, compared, exported and drawn by the dashboard.
 *
 * A run is written in one transaction: a run interrupted before or during {@linkcode saveRun}
 * leaves nothing behind. The schema is versioned (`PRAGMA user_version`) and upgraded on open by
 * the migrations of `store_migrations.ts`.
 *
 * @example
 * ```ts
 * import { openStore, saveRun, listRuns, getRun } from "./store.ts";
 * import type { RunResult } from "./result.ts";
 * const result = {
 *   trace: "t.vmt", events: 0,
 *   machine: { mem: 1 << 20, swap: 0, page: 4096, tlb_entries: 64 },
 *   results: {},
 * } as RunResult;
 * using store = openStore(":memory:");
 * const id = saveRun(store, result, { name: "t.vmt", size: 12, sha256: "ab" });
 * if (listRuns(store).length !== 1 || getRun(store, id)?.trace.name !== "t.vmt") {
 *   throw new Error("expected the run back");
 * }
 * ```
 *
 * @module
 */
import { csvCell } from "./csv_cell.ts";
import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { stringify } from "npm:csv-stringify@6.9.0/sync";
import { COUNTER_NAMES } from "../core/counters.ts";
import { MIGRATIONS } from "./store_migrations.ts";
import { VERSION } from "./version.ts";
import type {
  Counters,
  MachineOptions,
  PhaseResult,
  RunResult,
  SeriesResult,
  StrategyResult,
} from "./result.ts";

/** Where `run` and `serve` keep results unless told otherwise (`--db`). */
export const DEFAULT_DB_PATH = "./.vmreplay/runs.db";

/** The trace a run replayed, as the store records it. */
export interface TraceInfo {
  /** Display name (usually the file's base name). */
  name: string;
  /** Size of the trace file in bytes (as stored, compressed or not). */
  size: number;
  /** SHA-256 of the trace file's bytes, lowercase hex. */
  sha256: string;
}

/** A stored run without its per-phase counters and time series (what lists show). */
export interface RunSummary {
  /** The run's id in the store. */
  id: number;
  /** When it was stored (ISO 8601, UTC). */
  created_at: string;
  /** The vmreplay version that produced it. */
  version: string;
  /** The trace: name, size, sha256, the path `run` was given, and events replayed. */
  trace: TraceInfo & { path: string; events: number };
  /** Machine options the run used. */
  machine: MachineOptions;
  /** Strategy names, in the order the run reported them. */
  strategies: string[];
  /** Total counters by strategy. */
  totals: Record<string, Counters>;
  /** The sweep the run is a point of (`sweep`), if any. */
  sweep?: { id: number; job: number };
}

/** A stored run in full: its summary and the {@linkcode RunResult} exactly as it was saved. */
export interface StoredRun extends RunSummary {
  /** The run's results, as `run --json` writes them. */
  result: RunResult;
}

/** An open results store; close it with `close()` (or `using`). */
export class Store {
  /** The SQLite connection (for queries this module does not offer). */
  readonly db: DatabaseSync;
  /** The path it was opened with. */
  readonly path: string;

  /** Wraps an open connection; use {@linkcode openStore} instead. */
  constructor(db: DatabaseSync, path: string) {
    this.db = db;
    this.path = path;
  }

  /** Closes the database. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Closes the database (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens (creating it and its directory if needed) the store at `path`, or an in-memory store for
 * `":memory:"`, and brings its schema up to date.
 *
 * @throws Error when the file was written by a newer vmreplay (a schema this one does not know).
 * @example
 * ```ts
 * import { openStore, listRuns } from "./store.ts";
 * using store = openStore(":memory:");
 * if (listRuns(store).length !== 0) throw new Error("expected an empty store");
 * ```
 */
export function openStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    migrate(db, path);
  } catch (e) {
    db.close();
    throw e;
  }
  return new Store(db, path);
}

/** The schema version this vmreplay writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

function migrate(db: DatabaseSync, path: string): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  const have = row.user_version;
  if (have === 0) {
    // A new store is an empty file; a database with tables of its own is someone else's.
    const { n } = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
    if (n > 0) {
      throw new Error(
        `${path}: not a vmreplay results store (an SQLite database of something else)`,
      );
    }
  }
  if (have > MIGRATIONS.length) {
    throw new Error(
      `${path}: results store has schema version ${have}, but vmreplay ${VERSION} knows only up ` +
        `to ${MIGRATIONS.length}; use a newer vmreplay or another --db`,
    );
  }
  for (let v = have; v < MIGRATIONS.length; v++) {
    transaction(db, () => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

/**
 * Runs `body` in one write transaction of `db` (committed when it returns, rolled back when it
 * throws): what several writes that must land together use.
 */
export function transaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = body();
    db.exec("COMMIT");
    return out;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}

/**
 * Stores one run in a single transaction and returns its id. `trace` describes the trace file;
 * the event count, machine options and every strategy's results come from `result`, the version
 * from `analyze/version.ts`.
 *
 * @example
 * ```ts
 * import { openStore, saveRun, getRun } from "./store.ts";
 * import type { RunResult } from "./result.ts";
 * using store = openStore(":memory:");
 * const result = {
 *   trace: "a.vmt", events: 3,
 *   machine: { mem: 8 << 20, swap: 0, page: 4096, tlb_entries: 64 },
 *   results: {},
 * } as RunResult;
 * const id = saveRun(store, result, { name: "a.vmt", size: 40, sha256: "00" });
 * if (getRun(store, id)?.trace.events !== 3) throw new Error("expected 3 events");
 * ```
 */
export function saveRun(store: Store, result: RunResult, trace: TraceInfo): number {
  return transaction(store.db, () => insertRun(store, result, trace));
}

/**
 * {@linkcode saveRun} without its transaction: for callers that store a run together with other
 * rows, inside their own {@linkcode transaction}.
 */
export function insertRun(store: Store, result: RunResult, trace: TraceInfo): number {
  const db = store.db;
  {
    const run = db.prepare(
      `INSERT INTO runs (created_at, version, trace_name, trace_path, trace_size, trace_sha256,
        events, machine_json, extra_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      new Date().toISOString(),
      VERSION,
      trace.name,
      result.trace,
      trace.size,
      trace.sha256,
      result.events,
      JSON.stringify(result.machine),
      JSON.stringify(extraFields(result, RUN_FIELDS)),
    );
    const id = Number(run.lastInsertRowid);
    const insStrategy = db.prepare(
      `INSERT INTO strategy_results (run_id, strategy, ord, elapsed_ms, series_json, extra_json)
        VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const insPhase = db.prepare(
      "INSERT INTO phases (run_id, strategy, phase, label) VALUES (?, ?, ?, ?)",
    );
    const insCounter = db.prepare(
      `INSERT INTO counters (run_id, strategy, phase, ord, name, value)
        VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const putCounters = (strategy: string, phase: number, counters: Counters) => {
      let ord = 0;
      for (const [name, value] of Object.entries(counters)) {
        if (typeof value !== "number") {
          throw new TypeError(
            `Counter '${name}' of strategy '${strategy}' is not a number: ${String(value)}`,
          );
        }
        insCounter.run(id, strategy, phase, ord++, name, value);
      }
    };
    let ord = 0;
    for (const [strategy, r] of Object.entries(result.results)) {
      insStrategy.run(
        id,
        strategy,
        ord++,
        r.elapsed_ms,
        JSON.stringify(r.series),
        JSON.stringify(extraFields(r, STRATEGY_FIELDS)),
      );
      putCounters(strategy, -1, r.counters);
      r.phases.forEach((p, i) => {
        insPhase.run(id, strategy, i, p.label);
        putCounters(strategy, i, p.counters);
      });
    }
    return id;
  }
}

/** Fields with columns (or tables) of their own; any other field goes to `extra_json`. */
const RUN_FIELDS = new Set(["trace", "events", "machine", "results"]);
const STRATEGY_FIELDS = new Set(["counters", "phases", "series", "elapsed_ms"]);

function extraFields(o: object, known: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !known.has(k)));
}

interface RunRow {
  id: number;
  created_at: string;
  version: string;
  trace_name: string;
  trace_path: string;
  trace_size: number;
  trace_sha256: string;
  events: number;
  machine_json: string;
  extra_json: string;
  sweep_id?: number | null;
  sweep_job?: number | null;
}

function summaryOf(row: RunRow): RunSummary {
  const out: RunSummary = {
    id: row.id,
    created_at: row.created_at,
    version: row.version,
    trace: {
      name: row.trace_name,
      path: row.trace_path,
      size: row.trace_size,
      sha256: row.trace_sha256,
      events: row.events,
    },
    machine: JSON.parse(row.machine_json) as MachineOptions,
    strategies: [],
    totals: {},
  };
  if (row.sweep_id !== null && row.sweep_id !== undefined) {
    out.sweep = { id: row.sweep_id, job: row.sweep_job! };
  }
  return out;
}

/** The columns of a {@linkcode RunRow}: the run and the sweep it belongs to. */
const RUN_COLUMNS =
  "runs.*, sweep_points.sweep_id AS sweep_id, sweep_points.job AS sweep_job FROM runs " +
  "LEFT JOIN sweep_points ON sweep_points.run_id = runs.id";

/** Options of {@linkcode listRuns}. */
export interface ListOptions {
  /** At most this many runs (default: all). */
  limit?: number;
  /** Skip this many of the newest runs first (default 0). */
  offset?: number;
}

/**
 * The stored runs, newest first, with each strategy's total counters.
 *
 * @example
 * ```ts
 * import { openStore, listRuns } from "./store.ts";
 * using store = openStore(":memory:");
 * console.log(listRuns(store, { limit: 20 }).map((r) => r.id));
 * ```
 */
export function listRuns(store: Store, opts: ListOptions = {}): RunSummary[] {
  const rows = store.db.prepare(
    `SELECT ${RUN_COLUMNS} ORDER BY runs.id DESC LIMIT ? OFFSET ?`,
  ).all(opts.limit ?? -1, opts.offset ?? 0) as unknown as RunRow[];
  const runs = rows.map(summaryOf);
  if (runs.length === 0) return runs;
  const byId = new Map(runs.map((r) => [r.id, r]));
  const ids = runs.map((r) => r.id);
  const placeholders = ids.map(() => "?").join(",");
  const strategies = store.db.prepare(
    `SELECT run_id, strategy FROM strategy_results WHERE run_id IN (${placeholders})
      ORDER BY run_id, ord`,
  ).all(...ids) as unknown as { run_id: number; strategy: string }[];
  for (const s of strategies) {
    const run = byId.get(s.run_id)!;
    run.strategies.push(s.strategy);
    run.totals[s.strategy] = {} as Counters;
  }
  const counters = store.db.prepare(
    `SELECT run_id, strategy, name, value FROM counters
      WHERE phase = -1 AND run_id IN (${placeholders}) ORDER BY run_id, strategy, ord`,
  ).all(...ids) as unknown as { run_id: number; strategy: string; name: string; value: number }[];
  for (const c of counters) byId.get(c.run_id)!.totals[c.strategy]![c.name] = c.value;
  return runs;
}

/** Number of runs in the store. */
export function countRuns(store: Store): number {
  const row = store.db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number };
  return row.n;
}

/**
 * One stored run in full, or `undefined` when no run has this id.
 *
 * @example
 * ```ts
 * import { openStore, getRun } from "./store.ts";
 * using store = openStore(":memory:");
 * if (getRun(store, 42) !== undefined) throw new Error("expected no run 42");
 * ```
 */
export function getRun(store: Store, id: number): StoredRun | undefined {
  const db = store.db;
  const row = db.prepare(`SELECT ${RUN_COLUMNS} WHERE runs.id = ?`).get(id) as RunRow | undefined;
  if (!row) return undefined;
  const summary = summaryOf(row);
  const results: Record<string, StrategyResult> = {};
  const srows = db.prepare(
    `SELECT strategy, elapsed_ms, series_json, extra_json FROM strategy_results WHERE run_id = ?
      ORDER BY ord`,
  ).all(id) as unknown as {
    strategy: string;
    elapsed_ms: number;
    series_json: string;
    extra_json: string;
  }[];
  for (const s of srows) {
    results[s.strategy] = {
      counters: {} as Counters,
      phases: [],
      series: JSON.parse(s.series_json) as SeriesResult,
      elapsed_ms: s.elapsed_ms,
      ...JSON.parse(s.extra_json) as Partial<StrategyResult>,
    };
    summary.strategies.push(s.strategy);
  }
  const prows = db.prepare(
    "SELECT strategy, phase, label FROM phases WHERE run_id = ? ORDER BY strategy, phase",
  ).all(id) as unknown as { strategy: string; phase: number; label: string }[];
  for (const p of prows) {
    results[p.strategy]!.phases[p.phase] = { label: p.label, counters: {} as Counters };
  }
  const crows = db.prepare(
    "SELECT strategy, phase, name, value FROM counters WHERE run_id = ? ORDER BY strategy, phase, ord",
  ).all(id) as unknown as { strategy: string; phase: number; name: string; value: number }[];
  for (const c of crows) {
    const r = results[c.strategy]!;
    const target = c.phase < 0 ? r.counters : (r.phases[c.phase] as PhaseResult).counters;
    target[c.name] = c.value;
  }
  for (const [s, r] of Object.entries(results)) summary.totals[s] = r.counters;
  return {
    ...summary,
    result: {
      trace: row.trace_path,
      events: row.events,
      machine: summary.machine,
      results,
      ...JSON.parse(row.extra_json) as Partial<RunResult>,
    },
  };
}

/**
 * Deletes a run (with all its results); returns whether there was one.
 *
 * @example
 * ```ts
 * import { openStore, deleteRun } from "./store.ts";
 * using store = openStore(":memory:");
 * if (deleteRun(store, 1)) throw new Error("there was no run 1 to delete");
 * ```
 */
export function deleteRun(store: Store, id: number): boolean {
  return transaction(store.db, () => {
    const r = store.db.prepare("DELETE FROM runs WHERE id = ?").run(id);
    return Number(r.changes) > 0;
  });
}

/** Export formats of {@linkcode exportRun}. */
export type ExportFormat = "json" | "csv";

/**
 * A stored run as text, or `undefined` when no run has this id.
 *
 * - `json`: the {@linkcode RunResult} exactly as `run --json` writes it.
 * - `csv`: one row per strategy and phase (`phase` is `total` for the whole run, then each phase's
 *   label in order), columns `strategy, phase, elapsed_ms` then every counter (`COUNTER_NAMES` in
 *   their order, then strategy-specific ones).
 *
 * @example
 * ```ts
 * import { openStore, saveRun, exportRun } from "./store.ts";
 * import type { RunResult } from "./result.ts";
 * using store = openStore(":memory:");
 * const result = {
 *   trace: "a.vmt", events: 0,
 *   machine: { mem: 8 << 20, swap: 0, page: 4096, tlb_entries: 64 },
 *   results: {},
 * } as RunResult;
 * const id = saveRun(store, result, { name: "a.vmt", size: 1, sha256: "00" });
 * if (!exportRun(store, id, "csv")?.startsWith("strategy,phase")) throw new Error("bad CSV");
 * ```
 */
export function exportRun(store: Store, id: number, format: ExportFormat): string | undefined {
  const run = getRun(store, id);
  if (!run) return undefined;
  return format === "json" ? JSON.stringify(run.result, null, 2) + "\n" : runToCsv(run.result);
}

/**
 * A run's counters as CSV (see {@linkcode exportRun}); text cells that a spreadsheet would take
 * for a formula (a phase label `=...`) get a leading `'` (`csv_cell.ts`).
 */
export function runToCsv(result: RunResult): string {
  const names: string[] = [...COUNTER_NAMES];
  const known = new Set(names);
  for (const r of Object.values(result.results)) {
    for (const n of Object.keys(r.counters)) {
      if (!known.has(n)) {
        known.add(n);
        names.push(n);
      }
    }
  }
  const rows: (string | number)[][] = [["strategy", "phase", "elapsed_ms", ...names]];
  for (const [strategy, r] of Object.entries(result.results)) {
    rows.push([strategy, "total", r.elapsed_ms, ...names.map((n) => r.counters[n] ?? "")]);
    for (const p of r.phases) {
      rows.push([strategy, p.label, "", ...names.map((n) => p.counters[n] ?? "")]);
    }
  }
  return stringify(rows.map((row) => row.map(csvCell)));
}
