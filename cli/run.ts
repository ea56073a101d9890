/**
 * `vmreplay run TRACE...`: replays traces once per strategy (in parallel workers), prints a
 * comparison table, and writes JSON, CSV and Markdown reports and the results store.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import {
  checkTraceFiles,
  knobList,
  parseCommand,
  positiveWhole,
  tlbEntries,
  vmOption,
} from "./_args.ts";
import { DEFAULT_TLB_ENTRIES } from "../core/machine.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { writeOutput } from "./_output.ts";
import { Progress } from "./_progress.ts";
import { parseMachineSize } from "./_sizes.ts";
import { type CostWeights, costWeights, parseCostOverrides } from "../analyze/cost.ts";
import { formatDiagnostics, MAX_DIAGNOSTICS } from "../analyze/diagnostics.ts";
import { type ReplayProgress, replayTrace, resolveStrategies } from "../analyze/replay.ts";
import { noReclaimHint, reclaimedNothing } from "../analyze/pressure_hint.ts";
import { formatCsv, formatJson, formatMarkdown, formatTable } from "../analyze/report.ts";
import type { RunResult } from "../analyze/result.ts";
import { DEFAULT_DB_PATH, openStore, saveRun } from "../analyze/store.ts";
import { traceFootprint } from "../analyze/sweep/footprint.ts";
import { traceInfoOfFile } from "../analyze/trace_info.ts";
import { csvCell } from "../analyze/csv_cell.ts";
import { stringify } from "csv-stringify/sync";

const HELP = `Usage: vmreplay run TRACE... [options]

Replays each trace once per reverse-mapping strategy, every strategy in its own worker, and prints
a comparison table: faults and I/O, reverse-map work, and the cost model's estimate with its rank.
A trace is validated as a whole (a .vmtb one while it replays); nothing replayed from a
malformed file is reported or saved. Semantic problems of a well-formed trace (an access to an
unmapped address, a munmap of nothing, an unknown PID) are counted (segv, warnings) and, after the
table, the first ${MAX_DIAGNOSTICS} of each strategy are printed on standard error as
FILE:LINE: STRATEGY: KIND: message ('all strategies' when every one met it).

Options:
  --strategies all|a,b   strategies to run (default all; see 'vmreplay strategies')
  --mem SIZE             physical memory, 64K to 4T (default: trace header mem=, else 1G)
  --swap SIZE            swap device 'swap', created when first needed unless the trace has
                         swapped on its own device by then (default: header swap=, else none)
  --vm NAME=VALUE        a kernel setting (repeatable; overrides the trace header's):
${knobList()}
  --tlb N                TLB entries (default ${DEFAULT_TLB_ENTRIES}, a Skylake STLB; direct-mapped)
  --verify               check every load against the reference model (verify_errors)
  --check                check the machine's invariants after every event (check_errors)
  --check-every N        with --check: after every N events instead, and after the last (a
                         failure names the line where they last held); implies --check
  --json FILE            write the results as JSON (several traces: a JSON array); FILE '-'
                         (here and for --csv, --markdown) is standard output, and the table
                         goes to standard error; each report (and --db) needs its own file
  --csv FILE             write counters as CSV, one row per strategy and phase (several traces:
                         a leading 'trace' column)
  --markdown FILE        write a Markdown report
  --db FILE              results store to save the run in (default ${DEFAULT_DB_PATH})
  --no-db                do not save the run
  --series-interval N    sample the time series every N events (default: 200-500 samples)
  --cost-weights FILE    cost-model weights as JSON {"name": nanoseconds, ...}
  --cost NAME=NS         override one cost-model weight (repeatable); see docs/cost-model.md
  --quiet                print nothing but errors
  -h, --help             this help

A compressed trace may inflate to at most 16G (VMREPLAY_MAX_INFLATE=SIZE, 0 for no limit).

Exit status: 0 success; 1 bad input, or --verify/--check found errors; 2 usage error.
`;

const OPTIONS = {
  strategies: { type: "string" },
  mem: { type: "string" },
  swap: { type: "string" },
  vm: { type: "string", multiple: true },
  tlb: { type: "string" },
  verify: { type: "boolean" },
  check: { type: "boolean" },
  "check-every": { type: "string" },
  json: { type: "string" },
  csv: { type: "string" },
  markdown: { type: "string" },
  db: { type: "string" },
  "no-db": { type: "boolean" },
  "series-interval": { type: "string" },
  "cost-weights": { type: "string" },
  cost: { type: "string", multiple: true },
  quiet: { type: "boolean", short: "q" },
} as const;

async function loadWeights(file: string | undefined, items: string[]): Promise<CostWeights> {
  let fromFile: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      throw new InputError(`${file}: cannot read the cost weights: ${(e as Error).message}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new SyntaxError("expected an object of weight names to nanoseconds");
      }
      fromFile = parsed as Record<string, unknown>;
      costWeights(fromFile);
    } catch (e) {
      throw new InputError(`${file}: ${(e as Error).message}`);
    }
  }
  try {
    return costWeights({ ...fromFile, ...parseCostOverrides(items) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A CSV of several runs: each run's rows with a leading `trace` column. */
function csvOfRuns(runs: RunResult[]): string {
  if (runs.length === 1) return formatCsv(runs[0]!);
  const out: string[] = [];
  runs.forEach((run, k) => {
    const lines = formatCsv(run).trimEnd().split("\n");
    const cell = stringify([[csvCell(run.trace)]]).replace(/\r?\n$/, "");
    lines.forEach((l, i) => {
      if (i === 0 && k > 0) return;
      out.push(`${i === 0 ? "trace" : cell},${l}`);
    });
  });
  return out.join("\n") + "\n";
}

/** Why a store could not be opened, without repeating its path. */
function storeReason(e: unknown, path: string): string {
  return (e as Error).message.replace(`${path}: `, "");
}

/** Runs `vmreplay run ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("run", HELP, async () => {
    const parsed = parseCommand({ name: "run", help: HELP, options: OPTIONS }, args);
    if (!parsed) return 0;
    const { values: v, positionals: traces } = parsed;
    if (traces.length === 0) throw new UsageError("expected at least one TRACE file");
    if (v.db !== undefined && v["no-db"]) {
      throw new UsageError("--db and --no-db exclude each other");
    }
    const outputs = new Map<string, string>();
    for (const opt of ["json", "csv", "markdown", "db"] as const) {
      const path = v[opt];
      if (path === undefined) continue;
      const key = path === "-" ? "-" : resolve(path);
      const other = outputs.get(key);
      if (other !== undefined) {
        throw new UsageError(
          `--${other} and --${opt} both write to ${
            path === "-" ? "standard output" : `'${path}'`
          }; ` +
            "give each its own",
        );
      }
      outputs.set(key, opt);
    }
    let strategies: string[];
    try {
      strategies = resolveStrategies(v.strategies?.split(",").map((s) => s.trim()));
    } catch (e) {
      throw new UsageError(`--strategies: ${(e as Error).message}`);
    }
    const mem = v.mem === undefined ? undefined : parseMachineSize(v.mem, "mem", "--mem");
    const swap = v.swap === undefined ? undefined : parseMachineSize(v.swap, "swap", "--swap");
    const vm = vmOption(v.vm);
    const tlb = tlbEntries(v.tlb, "--tlb");
    const checkEvery = positiveWhole(v["check-every"], "--check-every");
    const seriesInterval = positiveWhole(v["series-interval"], "--series-interval");
    const weights = await loadWeights(v["cost-weights"], v.cost ?? []);
    await checkTraceFiles(traces);

    // The results store is checked (or made) before anything is replayed: a FILE that cannot be
    // one fails now, not after the replay.
    if (!v["no-db"]) {
      const dbPath = v.db ?? DEFAULT_DB_PATH;
      try {
        openStore(dbPath).close();
      } catch (e) {
        throw new InputError(`${dbPath}: cannot open the results store: ${storeReason(e, dbPath)}`);
      }
    }

    // The table goes to standard output, unless a report does: then to standard error.
    const toStdout = [v.json, v.csv, v.markdown].includes("-");
    const report = (text: string) => toStdout ? console.error(text) : console.log(text);
    const runs: RunResult[] = [];
    let failed = false;
    for (const trace of traces) {
      const progress = new Progress(`run ${basename(trace)}`, !v.quiet && Deno.stderr.isTerminal());
      const done = new Map<string, number>();
      const onProgress = (p: ReplayProgress) => {
        done.set(p.strategy, p.total > 0 ? p.events / p.total : 1);
        const pct = [...done.values()].reduce((a, b) => a + b, 0) / strategies.length;
        progress.update(`${Math.floor(pct * 100)}% of ${strategies.length} strategies`);
      };
      let run: RunResult;
      try {
        run = await replayTrace({
          trace,
          strategies,
          ...(mem !== undefined ? { mem } : {}),
          ...(swap !== undefined ? { swap } : {}),
          vm,
          ...(tlb !== undefined ? { tlbEntries: tlb } : {}),
          verify: v.verify ?? false,
          check: (v.check ?? false) || checkEvery !== undefined,
          ...(checkEvery !== undefined ? { checkEvery } : {}),
          ...(seriesInterval !== undefined ? { seriesInterval } : {}),
          onProgress,
        });
      } finally {
        progress.done();
      }
      runs.push(run);
      if (!v.quiet) {
        report(formatTable(run, { weights }));
        if (reclaimedNothing(run)) {
          const hint = noReclaimHint(run, await traceFootprint(trace), trace);
          if (hint.length > 0) report(hint.join("\n") + "\n");
        }
        for (const line of formatDiagnostics(run)) console.error(line);
      }
      for (const [s, r] of Object.entries(run.results)) {
        if (r.verify?.first_line !== undefined) {
          failed = true;
          console.error(
            `${trace}:${r.verify.first_line}: ${s}: ${r.counters.verify_errors} verify errors; ` +
              `first: ${r.verify.first_message}`,
          );
        }
        if (r.check !== undefined) {
          failed = true;
          console.error(
            `${trace}:${r.check.first_line}: ${s}: ${r.counters.check_errors ?? "some"} ` +
              `invariant check failures; first: ${r.check.first_message}`,
          );
        }
      }
      if (!v["no-db"]) {
        const dbPath = v.db ?? DEFAULT_DB_PATH;
        try {
          using store = openStore(dbPath);
          const id = saveRun(store, run, await traceInfoOfFile(trace));
          if (!v.quiet) console.error(`saved as run ${id} in ${dbPath}`);
        } catch (e) {
          throw new InputError(`${dbPath}: cannot save the run: ${(e as Error).message}`);
        }
      }
    }
    const one = runs.length === 1 ? runs[0]! : undefined;
    if (v.json !== undefined) await writeOutput(v.json, formatJson(one ?? runs));
    if (v.csv !== undefined) await writeOutput(v.csv, csvOfRuns(runs));
    if (v.markdown !== undefined) {
      await writeOutput(v.markdown, runs.map((r) => formatMarkdown(r, weights)).join("\n"));
    }
    return failed ? 1 : 0;
  });
}
