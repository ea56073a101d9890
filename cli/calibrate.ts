/**
 * `vmreplay calibrate`: kernel vs simulator fault counts, per phase, on this machine.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { calibrate, type ScenarioResult } from "../analyze/calibrate/run.ts";
import { CalibrateError } from "../analyze/calibrate/kernel.ts";
import { SCENARIOS } from "../analyze/calibrate/scenarios.ts";

const HELP =
  `Usage: vmreplay calibrate [--scenario NAME]... [--cc CC] [--keep DIR] [--json] [--list]

Builds small C probe programs shipped with vmreplay (a C compiler is needed), runs them on this
machine (x86-64 Linux, THP disabled in the probes), and compares, phase by phase, the page
faults the kernel counted (getrusage ru_minflt/ru_majflt of the process that ran the phase) with
the faults the simulator counts when it replays the vmtrace each probe wrote of its own
operations (strategy anon_vma_chain, with --verify). Exit 0 when every phase agrees, 1 if any
differs or verify finds an error.

Options:
  --scenario NAME   run only this scenario (repeatable; --list shows them)
  --cc CC           C compiler (default: $CC, cc, gcc or clang, the first that runs)
  --keep DIR        keep the probes, their traces and results in DIR
  --strategy NAME   replay with this strategy instead of anon_vma_chain
  --json            print the results as JSON
  --list            list the scenarios and exit
  -h, --help        this help
`;

/** Runs `vmreplay calibrate ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("calibrate", HELP, async () => {
    const parsed = parseCommand({
      name: "calibrate",
      help: HELP,
      options: {
        scenario: { type: "string", multiple: true },
        cc: { type: "string" },
        keep: { type: "string" },
        strategy: { type: "string" },
        json: { type: "boolean" },
        list: { type: "boolean" },
      },
      positionals: false,
    }, args);
    if (!parsed) return 0;
    const v = parsed.values;
    if (v.list) {
      for (const s of SCENARIOS) console.log(`${s.name.padEnd(20)}${s.about}`);
      return 0;
    }
    for (const name of v.scenario ?? []) {
      if (!SCENARIOS.some((s) => s.name === name)) {
        throw new UsageError(
          `--scenario: unknown scenario '${name}' (expected one of ${
            SCENARIOS.map((s) => s.name).join(", ")
          })`,
        );
      }
    }
    let results: ScenarioResult[];
    try {
      results = await calibrate({
        ...(v.scenario ? { scenarios: v.scenario } : {}),
        ...(v.cc ? { cc: v.cc } : {}),
        ...(v.keep ? { keep: v.keep } : {}),
        ...(v.strategy ? { strategy: v.strategy } : {}),
        onScenario: v.json ? undefined : printScenario,
      });
    } catch (e) {
      if (e instanceof CalibrateError) throw new InputError(`vmreplay calibrate: ${e.message}`);
      throw e;
    }
    const bad = results.filter((r) => !r.ok);
    if (v.json) {
      console.log(JSON.stringify(
        results.map((r) => ({
          scenario: r.scenario.name,
          ok: r.ok,
          verify_errors: r.verifyErrors,
          phases: r.rows.map((x) => ({
            phase: x.label,
            pid: x.pid,
            kernel: { minor_faults: x.kernelMinor, major_faults: x.kernelMajor },
            simulator: { minor_faults: x.simMinor, major_faults: x.simMajor },
            ok: x.ok,
          })),
        })),
        null,
        2,
      ));
    } else {
      if (results.some((r) => r.machine.zero_page === false)) {
        console.log(
          "calibrate: this kernel maps no zero page on read faults (booted with " +
            "pvm_no_zero_page or alike); the probes' traces say zero_page=0 and replay so",
        );
      }
      const phases = results.reduce((n, r) => n + r.rows.length, 0);
      const badPhases = results.reduce((n, r) => n + r.rows.filter((x) => !x.ok).length, 0);
      console.log(
        bad.length === 0
          ? `calibrate: all ${phases} phases of ${results.length} scenarios agree with the kernel`
          : `calibrate: ${badPhases} of ${phases} phases differ (${
            bad.map((r) => r.scenario.name).join(", ")
          })`,
      );
    }
    return bad.length === 0 ? 0 : 1;
  });
}

function printScenario(r: ScenarioResult): void {
  console.log(`${r.scenario.name}: ${r.scenario.about}`);
  console.log(
    `  ${"phase".padEnd(26)}${"pid".padStart(8)}  ${"kernel minor".padStart(12)}${
      "sim minor".padStart(10)
    }` +
      `${"kernel major".padStart(14)}${"sim major".padStart(10)}`,
  );
  for (const x of r.rows) {
    console.log(
      `  ${x.label.padEnd(26)}${String(x.pid).padStart(8)}  ${String(x.kernelMinor).padStart(12)}` +
        `${String(x.simMinor).padStart(10)}${String(x.kernelMajor).padStart(14)}${
          String(x.simMajor).padStart(10)
        }` +
        `  ${x.ok ? "ok" : "DIFFERS"}`,
    );
  }
  if (r.verifyErrors > 0) console.log(`  verify_errors: ${r.verifyErrors} (expected 0)`);
}
