/**
 * `vmreplay sweep`: curves over memory sizes. `sweep TRACE... --mem LIST` runs every trace at
 * every size on this machine; `sweep plan`, `sweep run --shard I/N` and `sweep merge` split the
 * same work over machines; `sweep slurm` writes (and submits) a SLURM array job for it. The work
 * itself is in `analyze/sweep/`.
 *
 * @module
 */
import { resolve } from "node:path";
import { checkTraceFiles, knobList, parseCommand, positiveWhole, vmOption } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { writeFileAtomic, writeOutput } from "./_output.ts";
import { Progress } from "./_progress.ts";
import { parseMachineSize } from "./_sizes.ts";
import { resolveStrategies } from "../analyze/replay.ts";
import { DEFAULT_DB_PATH, openStore, type Store } from "../analyze/store.ts";
import { parseMemList } from "../analyze/sweep/mem_list.ts";
import {
  formatPlan,
  makePlan,
  parseShard,
  planId,
  readPlan,
  shardJobs,
  type SweepPlan,
} from "../analyze/sweep/plan.ts";
import { defaultConcurrency, runSweep } from "../analyze/sweep/run.ts";
import {
  addPoint,
  createSweep,
  describeJob,
  getSweep,
  mergeSweeps,
  MissingJobsError,
  type SweepPoint,
} from "../analyze/sweep/store.ts";
import { formatSweepTables, sweepCsv, type SweepData, sweepJson } from "../analyze/sweep/report.ts";
import { shellQuote, slurmScript, submitScript, waitForSweep } from "../analyze/sweep/slurm.ts";

const MACHINE_OPTIONS =
  `  --mem LIST             memory sizes: 1M,2M,4M (a list), 1M..64M:7 (7 points from 1M to 64M,
                         geometric), 10%..100%:10 (of each trace's footprint: its distinct
                         process/page pairs touched, as 'vmreplay stats' counts them); sizes
                         under 64K are refused
  --swap SIZE            swap at every point (default: each trace header's swap=)
  --strategies all|a,b   strategies each job replays (default all)
  --vm NAME=VALUE        a kernel setting (repeatable):
${knobList()}`;

const HELP = `Usage: vmreplay sweep TRACE... --mem LIST [options]
       vmreplay sweep plan TRACE... --mem LIST [options] -o PLAN.json
       vmreplay sweep run PLAN.json [--shard I/N] [--db SHARD.db] [--jobs N]
       vmreplay sweep merge PLAN.json STORE... --db OUT.db [--json F] [--csv F]
       vmreplay sweep slurm PLAN.json --shards N --db OUT.db [--partition P] [--time T]
                            [--cpus C] [-o SCRIPT] [--submit] [--wait]

Replays each trace at each memory size, every strategy each time, and prints per trace a table
for each key counter (major faults, swap I/O pages, pte_walks, estimated cost): sizes down,
strategies across. A job is one trace at one size with all its strategies (the trace is decoded
once per job); jobs run N at a time. The sweep is stored as a group of ordinary runs (see
'vmreplay runs sweeps' and the dashboard's /sweeps/ID page).

On several machines: 'sweep plan' writes the jobs to a plan file (trace paths and sha256, the
options, the version); 'sweep run PLAN --shard I/N' runs the jobs whose index is I mod N into a
store of its own; 'sweep merge PLAN STORE...' merges the stores (exit 1 naming missing jobs).
'sweep slurm' writes a SLURM submit script doing all that (an array job and a merge job). See
docs/sweeps.md.

Options:
${MACHINE_OPTIONS}
  --jobs N               jobs at a time (default: the number of cores, ${defaultConcurrency()})
  --json FILE            write { sweep: {...}, points: [...] } (FILE '-': standard output,
                         and the tables go to standard error)
  --csv FILE             write one row per point and strategy
  --db FILE              results store (default ${DEFAULT_DB_PATH}); merge: the merged store
  --no-db                do not store the runs
  --quiet                print nothing but errors
  -o, --output FILE      plan: the plan file; slurm: the script (default OUT.db.slurm.sh)
  --shard I/N            run: only the jobs whose index is I mod N (0 <= I < N)
  --shards N             slurm: array tasks
  --partition P, --time T, --cpus C
                         slurm: #SBATCH --partition, --time, --cpus-per-task (default 1)
  --vmreplay CMD         slurm: how a job runs vmreplay (default: this Deno and this main.ts)
  --submit               slurm: run the script (sbatch); prints the job ids
  --wait                 slurm: with --submit, wait for the merge job; exit 1 if a task failed
  -h, --help             this help

Exit status: 0 success; 1 bad input (a trace that changed since its plan, missing jobs, a store
of another plan or version, a failed SLURM task); 2 usage error.
`;

const OPTIONS = {
  mem: { type: "string" },
  swap: { type: "string" },
  strategies: { type: "string" },
  vm: { type: "string", multiple: true },
  jobs: { type: "string" },
  json: { type: "string" },
  csv: { type: "string" },
  db: { type: "string" },
  "no-db": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  output: { type: "string", short: "o" },
  shard: { type: "string" },
  shards: { type: "string" },
  partition: { type: "string" },
  time: { type: "string" },
  cpus: { type: "string" },
  vmreplay: { type: "string" },
  submit: { type: "boolean" },
  wait: { type: "boolean" },
} as const;

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[]
    : (typeof OPTIONS)[K] extends { type: "boolean" } ? boolean
    : string;
};

/** Which options each form takes (the others are refused). */
const ALLOWED: Record<string, (keyof typeof OPTIONS)[]> = {
  sweep: ["mem", "swap", "strategies", "vm", "jobs", "json", "csv", "db", "no-db", "quiet"],
  plan: ["mem", "swap", "strategies", "vm", "output", "quiet"],
  run: ["shard", "jobs", "json", "csv", "db", "no-db", "quiet"],
  merge: ["json", "csv", "db", "quiet"],
  slurm: [
    "shards",
    "db",
    "output",
    "partition",
    "time",
    "cpus",
    "json",
    "vmreplay",
    "submit",
    "wait",
    "quiet",
  ],
};

/** A plan from the options of `sweep` and `sweep plan`. */
async function planFromOptions(
  traces: string[],
  v: Values,
  planFile: string | undefined,
): Promise<SweepPlan> {
  if (v.mem === undefined) throw new UsageError("--mem LIST is required (e.g. --mem 1M..64M:7)");
  let mem;
  try {
    mem = parseMemList(v.mem);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let strategies: string[];
  try {
    strategies = resolveStrategies(v.strategies?.split(",").map((s) => s.trim()));
  } catch (e) {
    throw new UsageError(`--strategies: ${(e as Error).message}`);
  }
  const vm = vmOption(v.vm);
  const swap = v.swap === undefined ? undefined : parseMachineSize(v.swap, "swap", "--swap");
  if (traces.length === 0) throw new UsageError("expected at least one TRACE file");
  await checkTraceFiles(traces);
  const progress = new Progress("sweep plan", !v.quiet && Deno.stderr.isTerminal());
  try {
    return await makePlan({
      traces,
      mem,
      ...(swap !== undefined ? { swap } : {}),
      strategies,
      vm: vm as Record<string, boolean | number>,
      ...(planFile !== undefined ? { planFile } : {}),
      onTrace: (p) => progress.update(`reading ${p}`),
    });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  } finally {
    progress.done();
  }
}

async function loadPlan(file: string | undefined): Promise<SweepPlan> {
  if (file === undefined) throw new UsageError("expected a PLAN.json file");
  try {
    return await readPlan(file);
  } catch (e) {
    throw new InputError(
      e instanceof SyntaxError
        ? e.message
        : `${file}: cannot read the plan: ${(e as Error).message}`,
    );
  }
}

function openDb(path: string): Store {
  try {
    return openStore(path);
  } catch (e) {
    throw new InputError(`${path}: cannot open the results store: ${(e as Error).message}`);
  }
}

function elapsed(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Runs `jobs` of `plan` (stored as a sweep of `db` unless `--no-db`), prints the tables and
 * writes the reports.
 */
async function execute(
  plan: SweepPlan,
  planFile: string | undefined,
  jobs: number[],
  shard: string,
  v: Values,
): Promise<number> {
  const concurrency = positiveWhole(v.jobs, "--jobs") ?? defaultConcurrency();
  const dbPath = v["no-db"] ? undefined : (v.db ?? DEFAULT_DB_PATH);
  using store = dbPath === undefined ? undefined : openDb(dbPath);
  const sweepId = store ? createSweep(store, plan, await planId(plan), shard) : undefined;
  const terminal = !v.quiet && Deno.stderr.isTerminal();
  const progress = new Progress("sweep", terminal);
  const started = performance.now();
  const log = (line: string) => {
    if (v.quiet) return;
    progress.done();
    console.error(line);
  };
  log(
    `sweep: ${jobs.length} jobs (${plan.traces.length} traces, ${plan.strategies.length} ` +
      `strategies each), ${Math.min(concurrency, jobs.length)} at a time` +
      (sweepId !== undefined ? `, as sweep ${sweepId} in ${dbPath}` : ""),
  );
  const points: SweepPoint[] = [];
  try {
    await runSweep({
      plan,
      ...(planFile !== undefined ? { planFile } : {}),
      jobs,
      concurrency,
      onProgress: (f, running) => {
        const t = performance.now() - started;
        const left = f > 0.02 ? `, about ${elapsed((t / f) * (1 - f))} left` : "";
        progress.update(`${Math.floor(f * 100)}%, ${running} running, ${elapsed(t)}${left}`);
      },
      onJob: (d) => {
        const runId = store && sweepId !== undefined
          ? addPoint(store, sweepId, d.job, d.run, d.trace)
          : undefined;
        points.push(runId !== undefined ? { ...d.point, run_id: runId } : d.point);
        const ms = Math.max(...Object.values(d.run.results).map((r) => r.elapsed_ms));
        log(
          `  [${d.done}/${d.total}] job ${describeJob(plan, d.job)}: ${d.run.events} events, ` +
            `${elapsed(ms)}` + (runId !== undefined ? `, run ${runId}` : ""),
        );
      },
    });
  } catch (e) {
    progress.done();
    if (
      e instanceof Error && (e.name === "TraceError" || /changed since|cannot read/.test(e.message))
    ) {
      throw new InputError(e.message);
    }
    throw e;
  }
  progress.done();
  points.sort((a, b) => a.job - b.job);
  const data: SweepData = { plan, points, ...(sweepId !== undefined ? { id: sweepId } : {}) };
  await report(data, v);
  log(
    `sweep: ${points.length} jobs in ${elapsed(performance.now() - started)}` +
      (sweepId !== undefined ? `; stored as sweep ${sweepId} in ${dbPath}` : ""),
  );
  return 0;
}

async function report(data: SweepData, v: Values): Promise<void> {
  // The tables go to standard output, unless a report does: then to standard error.
  if (!v.quiet) {
    const tables = formatSweepTables(data);
    if (v.json === "-" || v.csv === "-") console.error(tables);
    else console.log(tables);
  }
  if (v.json !== undefined) {
    await writeOutput(v.json, JSON.stringify(sweepJson(data), null, 2) + "\n");
  }
  if (v.csv !== undefined) await writeOutput(v.csv, sweepCsv(data));
}

async function sweepPlan(args: string[], v: Values): Promise<number> {
  if (v.output === undefined) throw new UsageError("sweep plan needs -o PLAN.json");
  const plan = await planFromOptions(args, v, v.output);
  await writeFileAtomic(v.output, formatPlan(plan));
  if (!v.quiet) {
    console.error(
      `sweep plan: wrote ${v.output}: ${plan.jobs.length} jobs (${plan.traces.length} traces), ` +
        `run them with 'vmreplay sweep run ${v.output} --shard I/N'`,
    );
  }
  return 0;
}

async function sweepRun(args: string[], v: Values): Promise<number> {
  if (args.length !== 1) throw new UsageError("sweep run takes one PLAN.json");
  let s;
  try {
    s = v.shard === undefined ? undefined : parseShard(v.shard);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const plan = await loadPlan(args[0]);
  const jobs = s ? shardJobs(plan.jobs.length, s.index, s.count) : plan.jobs.map((_, i) => i);
  const shard = s ? `${s.index}/${s.count}` : "";
  return await execute(plan, args[0], jobs, shard, v);
}

async function sweepMerge(args: string[], v: Values): Promise<number> {
  const [planFile, ...stores] = args;
  if (stores.length === 0) throw new UsageError("sweep merge takes PLAN.json and STORE...");
  if (v.db === undefined) throw new UsageError("sweep merge needs --db OUT.db");
  const out = resolve(v.db);
  if (stores.some((s) => resolve(s) === out)) {
    throw new UsageError(`--db ${v.db} is also an input store; give the merge a new file`);
  }
  const plan = await loadPlan(planFile);
  const inputs = [];
  try {
    for (const name of stores) {
      try {
        await Deno.stat(name);
      } catch (e) {
        throw new InputError(`${name}: cannot open the store: ${(e as Error).message}`);
      }
      inputs.push({ name, store: openDb(name) });
    }
    using outStore = openDb(v.db);
    let id: number;
    try {
      id = mergeSweeps(plan, await planId(plan), inputs, outStore);
    } catch (e) {
      if (e instanceof MissingJobsError) throw new InputError(`${planFile}: ${e.message}`);
      throw new InputError((e as Error).message);
    }
    const sweep = getSweep(outStore, id)!;
    const data: SweepData = { plan, points: sweep.points_list, id };
    await report(data, v);
    if (!v.quiet) {
      console.error(
        `sweep merge: ${plan.jobs.length} jobs from ${stores.length} stores into sweep ${id} ` +
          `of ${v.db}`,
      );
    }
    return 0;
  } finally {
    for (const i of inputs) i.store.close();
  }
}

async function sweepSlurm(args: string[], v: Values): Promise<number> {
  if (args.length !== 1) throw new UsageError("sweep slurm takes one PLAN.json");
  const shards = positiveWhole(v.shards, "--shards");
  if (shards === undefined) throw new UsageError("sweep slurm needs --shards N");
  if (v.db === undefined) throw new UsageError("sweep slurm needs --db OUT.db");
  if (v.wait && !v.submit) throw new UsageError("--wait needs --submit");
  const cpus = positiveWhole(v.cpus, "--cpus");
  const plan = await loadPlan(args[0]);
  if (shards > plan.jobs.length) {
    throw new UsageError(`--shards ${shards}: the plan has only ${plan.jobs.length} jobs`);
  }
  const db = resolve(v.db);
  const script = v.output ?? `${v.db}.slurm.sh`;
  const main = new URL("../main.ts", import.meta.url).pathname;
  const text = slurmScript({
    plan: resolve(args[0]!),
    shards,
    db,
    workDir: `${db}.shards`,
    vmreplay: v.vmreplay ?? `${shellQuote(Deno.execPath())} run -A ${shellQuote(main)}`,
    ...(v.partition !== undefined ? { partition: v.partition } : {}),
    ...(v.time !== undefined ? { time: v.time } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(v.json !== undefined ? { json: resolve(v.json) } : {}),
  });
  await writeFileAtomic(script, text);
  await Deno.chmod(script, 0o755).catch(() => {});
  if (!v.quiet) console.error(`sweep slurm: wrote ${script} (submit it with: bash ${script})`);
  if (!v.submit) return 0;
  let ids;
  try {
    ids = await submitScript(script);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  console.log(`submitted array job ${ids.array} and merge job ${ids.merge}`);
  if (!v.wait) return 0;
  const started = performance.now();
  const r = await waitForSweep(ids, {
    onState: (line) => {
      if (!v.quiet) console.error(`  ${elapsed(performance.now() - started)}: ${line}`);
    },
  });
  if (!r.ok) {
    console.error(`sweep slurm: ${r.message}; logs in ${db}.shards/`);
    return 1;
  }
  if (!v.quiet) console.error(`sweep slurm: ${r.message}; merged store ${v.db}`);
  return 0;
}

/** Runs `vmreplay sweep ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("sweep", HELP, async () => {
    const parsed = parseCommand({ name: "sweep", help: HELP, options: OPTIONS }, args);
    if (!parsed) return 0;
    const v = parsed.values as Values;
    const [first, ...rest] = parsed.positionals;
    const form = first !== undefined && first in ALLOWED && first !== "sweep" ? first : "sweep";
    const positionals = form === "sweep" ? parsed.positionals : rest;
    for (const key of Object.keys(v) as (keyof typeof OPTIONS)[]) {
      if (v[key] !== undefined && !ALLOWED[form]!.includes(key)) {
        throw new UsageError(
          `--${key} is not an option of 'sweep${form === "sweep" ? "" : ` ${form}`}'`,
        );
      }
    }
    if (v.db !== undefined && v["no-db"]) {
      throw new UsageError("--db and --no-db exclude each other");
    }
    if (v.json !== undefined && v.json === v.csv) {
      throw new UsageError("--json and --csv both write to the same file; give each its own");
    }
    switch (form) {
      case "plan":
        return await sweepPlan(positionals, v);
      case "run":
        return await sweepRun(positionals, v);
      case "merge":
        return await sweepMerge(positionals, v);
      case "slurm":
        return await sweepSlurm(positionals, v);
      default: {
        const plan = await planFromOptions(positionals, v, undefined);
        return await execute(plan, undefined, plan.jobs.map((_, i) => i), "", v);
      }
    }
  });
}
