/**
 * Sweeps on a SLURM cluster: {@linkcode slurmScript} writes a submit script a user can read and
 * edit (an array job whose task I runs `sweep run --shard I/N` into its own store, and a merge
 * job that waits for all of them with `--dependency=afterok` and writes the merged store);
 * {@linkcode submitScript} runs it, {@linkcode waitForSweep} follows both jobs with `scontrol`
 * until the merge ends.
 *
 * @module
 */

/** Options of {@linkcode slurmScript}; paths should be absolute (jobs run elsewhere). */
export interface SlurmScriptOptions {
  /** The plan file. */
  plan: string;
  /** Array tasks (shards). */
  shards: number;
  /** The merged store the merge job writes. */
  db: string;
  /** Folder of the shard stores and the jobs' logs. */
  workDir: string;
  /** How a job runs vmreplay, e.g. `/usr/bin/deno run -A /src/vmreplay/main.ts`. */
  vmreplay: string;
  /** `#SBATCH --partition`. */
  partition?: string;
  /** `#SBATCH --time` (e.g. `1:00:00`). */
  time?: string;
  /** `#SBATCH --cpus-per-task`, also each task's `sweep run --jobs` (default 1). */
  cpus?: number;
  /** `sweep merge --json` of the merge job. */
  json?: string;
}

/** Quotes `s` for bash (single quotes), unless it is made only of safe characters. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

const HEREDOC = "EOF";

/**
 * The submit script (bash). Running it (`bash FILE`) submits the array job and the merge job and
 * prints `submitted array job A and merge job M`.
 *
 * @example
 * ```ts
 * import { slurmScript } from "./slurm.ts";
 * const s = slurmScript({ plan: "/p/plan.json", shards: 3, db: "/p/out.db", workDir: "/p/w",
 *   vmreplay: "deno run -A /src/main.ts" });
 * if (!s.includes("--array=0-$((SHARDS - 1))") || !s.includes("--dependency=\"afterok:")) {
 *   throw new Error(s);
 * }
 * ```
 */
export function slurmScript(o: SlurmScriptOptions): string {
  const q = shellQuote;
  const cpus = o.cpus ?? 1;
  const extra = [
    ...(o.partition !== undefined ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time !== undefined ? [`#SBATCH --time=${o.time}`] : []),
  ].map((l) => l + "\n").join("");
  const json = o.json !== undefined ? ` --json ${q(o.json)}` : "";
  return `#!/usr/bin/env bash
# A vmreplay sweep on SLURM, written by 'vmreplay sweep slurm'. It submits two jobs:
#  - an array job of SHARDS tasks: task I runs the plan's jobs whose index is I mod SHARDS
#    ('sweep run --shard I/SHARDS') into its own results store in WORK;
#  - a merge job that starts when every task has succeeded (--dependency=afterok) and merges the
#    shard stores into OUT ('sweep merge'; it fails, naming them, if jobs are missing).
# Edit it as you like (partition, time, memory, modules to load), then submit it with
#     bash THIS_FILE
# (with bash, not sbatch: it calls sbatch itself and prints the two job ids). Logs go to WORK.
set -euo pipefail

PLAN=${q(o.plan)}
SHARDS=${o.shards}
OUT=${q(o.db)}
WORK=${q(o.workDir)}
VMREPLAY=${q(o.vmreplay)}
mkdir -p "$WORK"

array=$(sbatch --parsable <<${HEREDOC}
#!/usr/bin/env bash
#SBATCH --job-name=vmreplay-sweep
#SBATCH --array=0-$((SHARDS - 1))
#SBATCH --cpus-per-task=${cpus}
#SBATCH --output=$WORK/shard-%a.log
${extra}exec $VMREPLAY sweep run "$PLAN" --shard "\\$SLURM_ARRAY_TASK_ID/$SHARDS" \\
  --db "$WORK/shard-\\$SLURM_ARRAY_TASK_ID.db" --jobs "\\\${SLURM_CPUS_PER_TASK:-1}"
${HEREDOC}
)
array=\${array%%;*}

merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes <<${HEREDOC}
#!/usr/bin/env bash
#SBATCH --job-name=vmreplay-merge
#SBATCH --output=$WORK/merge.log
${extra}exec $VMREPLAY sweep merge "$PLAN" $(seq -s " " -f "$WORK/shard-%g.db" 0 $((SHARDS - 1))) --db "$OUT"${json}
${HEREDOC}
)
merge=\${merge%%;*}

echo "submitted array job $array and merge job $merge"
`;
}

/** Runs a command; its exit code and output. Tests replace it. */
export type CommandRunner = (
  cmd: string,
  args: string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Runs `cmd args` with Deno.Command (standard input closed): a {@linkcode CommandRunner}. */
export async function runCommandOutput(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs the submit script at `path`; returns the two job ids. Throws with sbatch's message. */
export async function submitScript(
  path: string,
  run: CommandRunner = runCommandOutput,
): Promise<{ array: string; merge: string }> {
  let r;
  try {
    r = await run("bash", [path]);
  } catch (e) {
    throw new Error(`${path}: cannot run bash: ${(e as Error).message}`);
  }
  const m = /submitted array job (\d+) and merge job (\d+)/.exec(r.stdout);
  if (r.code !== 0 || !m) {
    throw new Error(
      `${path}: submission failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return { array: m[1]!, merge: m[2]! };
}

/** States in which a SLURM job has ended other than by success. */
const FAILED = new Set([
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "BOOT_FAIL",
  "DEADLINE",
  "PREEMPTED",
  "REVOKED",
]);

/** One record of `scontrol show job -o`: the array task (if any) and the state. */
export interface JobState {
  /** The array task id (`3`, or a range `0-2` while pending), or undefined for a plain job. */
  task?: string;
  /** `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, ... */
  state: string;
  /** `ExitCode=` as SLURM gives it (`0:0`). */
  exit?: string;
}

/**
 * Parses `scontrol show job -o` output: one {@linkcode JobState} per line.
 *
 * @example
 * ```ts
 * import { parseJobStates } from "./slurm.ts";
 * const s = parseJobStates("JobId=5 ArrayJobId=4 ArrayTaskId=1 JobName=x JobState=FAILED Reason=x ExitCode=1:0\n");
 * if (s[0]?.task !== "1" || s[0]?.state !== "FAILED" || s[0]?.exit !== "1:0") throw new Error();
 * ```
 */
export function parseJobStates(text: string): JobState[] {
  const out: JobState[] = [];
  for (const line of text.split("\n")) {
    const state = /(?:^|\s)JobState=(\S+)/.exec(line)?.[1];
    if (state === undefined) continue;
    const task = /(?:^|\s)ArrayTaskId=(\S+)/.exec(line)?.[1];
    const exit = /(?:^|\s)ExitCode=(\S+)/.exec(line)?.[1];
    out.push({ state, ...(task !== undefined ? { task } : {}), ...(exit ? { exit } : {}) });
  }
  return out;
}

/** How {@linkcode waitForSweep} ended. */
export interface WaitResult {
  /** Whether every task and the merge completed. */
  ok: boolean;
  /** What happened, one line. */
  message: string;
}

/** Options of {@linkcode waitForSweep}. */
export interface WaitOptions {
  /** Between two looks, milliseconds (default 1000). */
  pollMs?: number;
  /** Called with a summary line whenever it changes. */
  onState?: (line: string) => void;
  /** Runs scontrol and scancel (default: {@linkcode runCommandOutput}). */
  run?: CommandRunner;
}

/**
 * Waits until the merge job ends. When an array task ends other than COMPLETED, it cancels the
 * merge (whose `afterok` can no longer hold), waits for the other tasks to end too, so that
 * every log is whole when it returns, and says which tasks failed.
 */
export async function waitForSweep(
  ids: { array: string; merge: string },
  opts: WaitOptions = {},
): Promise<WaitResult> {
  const run = opts.run ?? runCommandOutput;
  const look = async (id: string) => {
    const r = await run("scontrol", ["show", "job", "-o", id]);
    return r.code === 0 ? parseJobStates(r.stdout) : undefined;
  };
  let last = "";
  /** The tasks seen to fail, by task id: once one fails, the merge is cancelled. */
  const failed = new Map<string, JobState>();
  const ended = (t: JobState) => t.state === "COMPLETED" || FAILED.has(t.state);
  while (true) {
    const tasks = (await look(ids.array)) ?? [];
    const merge = (await look(ids.merge))?.[0];
    const first = failed.size === 0;
    for (const t of tasks) if (FAILED.has(t.state)) failed.set(t.task ?? "?", t);
    if (failed.size > 0) {
      if (first && merge && !ended(merge)) await run("scancel", [ids.merge]);
      if (tasks.every(ended)) {
        const list = [...failed.values()].map((t) =>
          `task ${t.task ?? "?"} ${t.state} (exit ${t.exit ?? "?"})`
        );
        return {
          ok: false,
          message: `array job ${ids.array}: ${list.join(", ")}; merge job ${ids.merge} cancelled`,
        };
      }
    } else if (merge === undefined) {
      return { ok: false, message: `merge job ${ids.merge} is not known to SLURM (any more)` };
    } else if (merge.state === "COMPLETED") {
      return { ok: true, message: `array job ${ids.array} and merge job ${ids.merge} completed` };
    } else if (FAILED.has(merge.state)) {
      return {
        ok: false,
        message: `merge job ${ids.merge}: ${merge.state} (exit ${merge.exit ?? "?"})`,
      };
    }
    const counts = new Map<string, number>();
    for (const t of tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    const states = [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
    const then = failed.size > 0 ? "cancelled after a failed task" : merge?.state.toLowerCase();
    const line = `tasks: ${states || "none listed"}; merge ${then}`;
    if (line !== last) opts.onState?.(line);
    last = line;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}
