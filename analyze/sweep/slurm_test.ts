import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { type CommandRunner, waitForSweep } from "./slurm.ts";

/**
 * A fake `scontrol`/`scancel`: each look at the array job takes the next of `arrayLooks`
 * (the last one repeats), the merge job answers `merge` until it is cancelled.
 */
function fakeCluster(arrayLooks: string[][], merge: string) {
  const calls: string[] = [];
  let looks = 0;
  let mergeState = merge;
  const job = (task: string | undefined, state: string, exit = "0:0") =>
    `JobId=9 ${task !== undefined ? `ArrayJobId=4 ArrayTaskId=${task} ` : ""}` +
    `JobState=${state} Reason=None ExitCode=${exit}`;
  const run: CommandRunner = (cmd, args) => {
    calls.push(`${cmd} ${args.join(" ")}`);
    if (cmd === "scancel") {
      mergeState = "CANCELLED";
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    }
    const id = args.at(-1);
    let lines: string[];
    if (id === "4") {
      const states = arrayLooks[Math.min(looks++, arrayLooks.length - 1)]!;
      lines = states.map((s, i) => job(String(i), s, s === "FAILED" ? "1:0" : "0:0"));
    } else lines = [job(undefined, mergeState)];
    return Promise.resolve({ code: 0, stdout: lines.join("\n") + "\n", stderr: "" });
  };
  return { run, calls };
}

Deno.test("waitForSweep: a failed task cancels the merge, then waits for the other tasks", async () => {
  const { run, calls } = fakeCluster([
    ["RUNNING", "FAILED", "PENDING"],
    ["RUNNING", "FAILED", "RUNNING"],
    ["COMPLETED", "FAILED", "FAILED"],
  ], "PENDING");
  const lines: string[] = [];
  const r = await waitForSweep({ array: "4", merge: "5" }, {
    run,
    pollMs: 0,
    onState: (l) => lines.push(l),
  });
  assertEquals(r.ok, false);
  assertEquals(
    r.message,
    "array job 4: task 1 FAILED (exit 1:0), task 2 FAILED (exit 1:0); merge job 5 cancelled",
  );
  // Cancelled once, at the first failure; three looks at the array job before returning.
  assertEquals(calls.filter((c) => c.startsWith("scancel")), ["scancel 5"]);
  assertEquals(calls.filter((c) => c.endsWith(" 4")).length, 3);
  match(lines[0]!, /merge cancelled after a failed task/);
});

Deno.test("waitForSweep: every task and the merge completed", async () => {
  const { run, calls } = fakeCluster(
    [["RUNNING", "RUNNING"], ["COMPLETED", "COMPLETED"]],
    "COMPLETED",
  );
  const r = await waitForSweep({ array: "4", merge: "5" }, { run, pollMs: 0 });
  assertEquals(r, { ok: true, message: "array job 4 and merge job 5 completed" });
  assertEquals(calls.some((c) => c.startsWith("scancel")), false);
});

Deno.test("waitForSweep: a merge that failed or that SLURM forgot", async () => {
  const failed = fakeCluster([["COMPLETED"]], "FAILED");
  assertEquals(await waitForSweep({ array: "4", merge: "5" }, { run: failed.run, pollMs: 0 }), {
    ok: false,
    message: "merge job 5: FAILED (exit 0:0)",
  });
  const forgot: CommandRunner = (_cmd, args) =>
    Promise.resolve(
      args.at(-1) === "5" ? { code: 1, stdout: "", stderr: "Invalid job id specified" } : {
        code: 0,
        stdout: "JobId=4 ArrayTaskId=0 JobState=COMPLETED ExitCode=0:0\n",
        stderr: "",
      },
    );
  assertEquals(await waitForSweep({ array: "4", merge: "5" }, { run: forgot, pollMs: 0 }), {
    ok: false,
    message: "merge job 5 is not known to SLURM (any more)",
  });
});
