/**
 * `vmreplay sweep slurm` on a real single-node SLURM cluster that this test starts itself with
 * `.ci/slurm.sh` (and stops, by its pid files, when it started it: a cluster already up, say
 * from `.ci/run`, is used and left running). The script's array job runs the plan in three
 * shards, its merge job merges them, and the merged counters equal a one-machine run of the same
 * plan; a failing task makes `--wait` exit 1 naming it.
 *
 * Needs root and Debian's slurmctld, slurmd, slurm-client and munge (`.ci/run` installs them).
 * Without them the test is skipped with the reason, or fails when `CI` is set.
 */
import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { countersOf, runPlan, writePlan, writeTraces } from "./_sweep.ts";
import { inCI as underCI } from "./_tools.ts";

const SCRIPT = new URL("../.ci/slurm.sh", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const inCI = underCI(); // CI set, and not to 0 or false, as for the other tools

async function sh(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Why the cluster cannot start here, or undefined when it can. */
async function missing(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "not root (the SLURM daemons run as root)";
  const need = ["slurmctld", "slurmd", "sbatch", "munged"];
  const absent = [];
  for (const c of need) {
    if ((await sh("bash", ["-c", `command -v ${c}`])).code !== 0) absent.push(c);
  }
  return absent.length > 0
    ? `${absent.join(", ")} not installed (apt-get install -y --no-install-recommends ` +
      "slurmctld slurmd slurm-client munge; .ci/run does it)"
    : undefined;
}

const why = await missing();
if (why !== undefined && !inCI) {
  console.warn(`sweep_slurm_test.ts: SLURM test ignored (CI unset): ${why}`);
}

function vmreplay(env: Record<string, string>, ...args: string[]) {
  return sh(Deno.execPath(), ["run", "-A", MAIN, ...args], env);
}

Deno.test({
  name: "sweep slurm: array job + merge job on a real cluster give the one-machine counters",
  ignore: why !== undefined && !inCI,
  async fn() {
    if (why !== undefined) throw new Error(`CI is set but the SLURM test cannot run: ${why}`);
    const up = (await sh("bash", [SCRIPT, "status"])).code === 0;
    if (!up) {
      const start = await sh("bash", [SCRIPT, "start"]);
      if (start.code !== 0) {
        // It may have started some daemons before failing: stop what it started.
        await sh("bash", [SCRIPT, "stop"]);
        throw new Error(`.ci/slurm.sh start failed: ${start.stderr}`);
      }
    }
    const status = await sh("bash", [SCRIPT, "status"]);
    const conf = /SLURM_CONF=(\S+)\)/.exec(status.stdout)?.[1];
    const dir = await Deno.makeTempDir({ prefix: "vmreplay-slurm-test-" });
    try {
      if (conf === undefined) throw new Error(`No SLURM_CONF in: ${status.stdout}`);
      const env = { SLURM_CONF: conf };
      const traces = await writeTraces(dir);
      const cli = (...args: string[]) => vmreplay(env, ...args);
      await writePlan(traces, `${dir}/plan.json`, cli);

      const t0 = performance.now();
      const r = await vmreplay(
        env,
        "sweep",
        "slurm",
        `${dir}/plan.json`,
        "--shards",
        "3",
        "--db",
        `${dir}/merged.db`,
        "--json",
        `${dir}/merged.json`,
        "--time",
        "10:00",
        "--submit",
        "--wait",
      );
      const seconds = (performance.now() - t0) / 1000;
      const logs = await sh("bash", ["-c", `cat ${dir}/merged.db.shards/*.log 2>/dev/null`]);
      assertEquals(r.code, 0, `${r.stderr}\n--- job logs:\n${logs.stdout}`);
      console.log(`sweep slurm: 8 jobs in 3 array tasks and a merge, ${seconds.toFixed(1)} s`);
      match(r.stdout, /^submitted array job \d+ and merge job \d+$/m);
      const script = await Deno.readTextFile(`${dir}/merged.db.slurm.sh`);
      match(script, /#SBATCH --array=0-\$\(\(SHARDS - 1\)\)/);
      match(script, /^SHARDS=3$/m);
      match(script, /--dependency="afterok:\$array"/);
      match(script, /#SBATCH --time=10:00/);

      await runPlan(`${dir}/plan.json`, `${dir}/local.json`, cli);
      assertEquals(
        countersOf(await Deno.readTextFile(`${dir}/merged.json`)),
        countersOf(await Deno.readTextFile(`${dir}/local.json`)),
      );

      // A task that fails (its trace changed since the plan): --wait says so and exits 1.
      await Deno.writeTextFile(traces[0]!, "\n", { append: true });
      const bad = await vmreplay(
        env,
        "sweep",
        "slurm",
        `${dir}/plan.json`,
        "--shards",
        "2",
        "--db",
        `${dir}/bad.db`,
        "--submit",
        "--wait",
      );
      assertEquals(bad.code, 1, bad.stderr);
      match(bad.stderr, /task \d+ FAILED \(exit 1:0\)/);
      // Every task has ended when --wait returns: each failed task's log is whole.
      const failedTasks = [...bad.stderr.matchAll(/task (\d+) FAILED/g)].map((m) => m[1]!);
      for (const task of failedTasks) {
        const log = await Deno.readTextFile(`${dir}/bad.db.shards/shard-${task}.log`);
        match(log, /changed since the plan/, `task ${task}'s log:\n${log}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      if (!up) {
        const stop = await sh("bash", [SCRIPT, "stop"]);
        if (stop.code !== 0) console.error(`.ci/slurm.sh stop: ${stop.stderr}`);
      }
    }
  },
});
