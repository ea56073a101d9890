/**
 * `vmreplay runs`: the results store on the command line — list, show, export and delete stored
 * runs.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { writeOutput } from "./_output.ts";
import {
  DEFAULT_DB_PATH,
  deleteRun,
  exportRun,
  getRun,
  listRuns,
  openStore,
  type RunSummary,
  type Store,
} from "../analyze/store.ts";
import { listSweeps, type SweepSummary } from "../analyze/sweep/store.ts";
import { formatBytes } from "../analyze/report.ts";
import { strategiesLabel } from "../analyze/strategy_label.ts";

const HELP = `Usage: vmreplay runs list|show ID|export ID --csv|--json|rm ID|sweeps [--db FILE]

The results store: every 'run' is kept there (unless run with --no-db).

Subcommands:
  list                 the stored runs, newest first: id, date, events, memory, swap,
                       strategies ('all 7' or the list), trace
  show ID              one run: trace, machine, and every strategy's total counters
  export ID --json     the run as 'run --json' writes it
  export ID --csv      one row per strategy and phase, one column per counter
  rm ID                delete a run
  sweeps               the stored sweeps ('vmreplay sweep'), newest first: id, date, points,
                       sizes, traces (each point is a run of 'list', marked with its sweep)

Options:
  --db FILE            results store (default ${DEFAULT_DB_PATH})
  -o, --output FILE    export: write to FILE instead of standard output
  --limit N            list: at most N runs (default all)
  --json               list, sweeps: as JSON; export: JSON
  --csv                export: CSV
  -h, --help           this help
`;

const OPTIONS = {
  db: { type: "string" },
  output: { type: "string", short: "o" },
  limit: { type: "string" },
  json: { type: "boolean" },
  csv: { type: "boolean" },
} as const;

/** Runs `vmreplay runs ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("runs", HELP, async () => {
    const parsed = parseCommand({ name: "runs", help: HELP, options: OPTIONS }, args);
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const [sub, ...rest] = positionals;
    if (sub === undefined) {
      throw new UsageError("expected a subcommand: list, show, export, rm or sweeps");
    }
    const dbPath = values.db ?? DEFAULT_DB_PATH;
    const open = () => {
      try {
        return openStore(dbPath);
      } catch (e) {
        throw new InputError(`${dbPath}: cannot open the results store: ${(e as Error).message}`);
      }
    };
    switch (sub) {
      case "list": {
        if (rest.length > 0) throw new UsageError(`list takes no arguments, found '${rest[0]}'`);
        const limit = values.limit === undefined ? undefined : parseId(values.limit, "--limit");
        using store = open();
        const runs = listRuns(store, limit === undefined ? {} : { limit });
        console.log(values.json ? JSON.stringify(runs, null, 2) : formatList(runs));
        return 0;
      }
      case "show": {
        using store = open();
        const id = oneId(rest, sub);
        console.log(formatRun(store, id));
        return 0;
      }
      case "export": {
        const id = oneId(rest, sub);
        if (values.json === values.csv) {
          throw new UsageError("export needs exactly one of --csv or --json");
        }
        using store = open();
        const text = exportRun(store, id, values.csv ? "csv" : "json");
        if (text === undefined) throw noRun(dbPath, id);
        if (values.output) await writeOutput(values.output, text);
        else await Deno.stdout.write(new TextEncoder().encode(text));
        return 0;
      }
      case "sweeps": {
        if (rest.length > 0) throw new UsageError(`sweeps takes no arguments, found '${rest[0]}'`);
        const limit = values.limit === undefined ? undefined : parseId(values.limit, "--limit");
        using store = open();
        const sweeps = listSweeps(store, limit === undefined ? {} : { limit });
        console.log(values.json ? JSON.stringify(sweeps, null, 2) : formatSweeps(sweeps));
        return 0;
      }
      case "rm": {
        const id = oneId(rest, sub);
        using store = open();
        if (!deleteRun(store, id)) throw noRun(dbPath, id);
        console.log(`Deleted run ${id}`);
        return 0;
      }
      default:
        throw new UsageError(
          `unknown subcommand '${sub}': expected list, show, export, rm or sweeps`,
        );
    }
  });
}

function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what}: expected a number, found '${text}'`);
  return Number(text);
}

function oneId(rest: string[], sub: string): number {
  if (rest.length !== 1) throw new UsageError(`${sub} expects one run ID`);
  return parseId(rest[0]!, "run ID");
}

function noRun(dbPath: string, id: number): InputError {
  return new InputError(`${dbPath}: no run with id ${id} (see 'vmreplay runs list')`);
}

/** Aligns `rows` in columns; columns for which `right(j)` holds are right-aligned. */
function table(rows: string[][], right: (j: number) => boolean): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) =>
    r.map((cell, j) => right(j) ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))
      .join("  ").trimEnd()
  ).join("\n");
}

/** The `runs list` table. */
export function formatList(runs: RunSummary[]): string {
  if (runs.length === 0) return "No runs stored yet: 'vmreplay run TRACE' stores one.";
  const rows = [["id", "date (UTC)", "events", "mem", "swap", "strategies", "trace"]];
  for (const r of runs) {
    rows.push([
      String(r.id),
      r.created_at.slice(0, 19).replace("T", " "),
      String(r.trace.events),
      formatBytes(r.machine.mem),
      formatBytes(r.machine.swap),
      strategiesLabel(r.strategies),
      r.trace.name + (r.sweep ? ` (sweep ${r.sweep.id})` : ""),
    ]);
  }
  return table(rows, (j) => j >= 0 && j <= 4 && j !== 1);
}

/** The `runs sweeps` table. */
export function formatSweeps(sweeps: SweepSummary[]): string {
  if (sweeps.length === 0) {
    return "No sweeps stored yet: 'vmreplay sweep TRACE --mem LIST' stores one.";
  }
  const rows = [["id", "date (UTC)", "points", "memory", "traces"]];
  for (const s of sweeps) {
    rows.push([
      String(s.id),
      s.created_at.slice(0, 19).replace("T", " "),
      `${s.points}/${s.jobs}${s.shard ? ` (shard ${s.shard})` : ""}`,
      s.sizes.length > 0
        ? `${formatBytes(s.sizes[0]!)}..${formatBytes(s.sizes.at(-1)!)} (${s.sizes.length})`
        : "-",
      s.traces.join(", "),
    ]);
  }
  return table(rows, (j) => j === 0);
}

function formatRun(store: Store, id: number): string {
  const run = getRun(store, id);
  if (!run) throw noRun(store.path, id);
  const m = run.machine;
  const lines = [
    `run ${run.id}  stored ${run.created_at}  vmreplay ${run.version}`,
    `trace   ${run.trace.name} (${run.trace.path}), ${run.trace.size} bytes, ` +
    `sha256 ${run.trace.sha256}`,
    `events  ${run.trace.events}`,
    ...(run.sweep ? [`sweep   ${run.sweep.id} (job ${run.sweep.job})`] : []),
    `machine ${Object.entries(m).map(([k, v]) => `${k}=${v}`).join(" ")}`,
    "",
  ];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const s of run.strategies) {
    for (const n of Object.keys(run.totals[s]!)) {
      if (!seen.has(n)) {
        seen.add(n);
        names.push(n);
      }
    }
  }
  const rows = [["counter", ...run.strategies]];
  for (const n of names) {
    rows.push([n, ...run.strategies.map((s) => String(run.totals[s]![n] ?? "-"))]);
  }
  rows.push([
    "elapsed_ms",
    ...run.strategies.map((s) => run.result.results[s]!.elapsed_ms.toFixed(1)),
  ]);
  lines.push(table(rows, (j) => j > 0));
  return lines.join("\n");
}
