/**
 * `vmreplay calibrate`: kernel vs simulator fault counts, per phase, on this machine.
 *
 * @module
 */
import { parseCommand, tlbEntries, vmOption } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { Progress } from "./_progress.ts";
import { parseSize } from "./_sizes.ts";
import { calibrate, recompare, type ScenarioResult } from "../analyze/calibrate/run.ts";
import { isSweepSpan, type MemSweep, memSweep } from "../analyze/calibrate/mem_sweep.ts";
import { CalibrateError } from "../analyze/calibrate/kernel.ts";
import type { CalibrationRow, Measure } from "../analyze/calibrate/compare.ts";
import { readProbes, SCENARIOS } from "../analyze/calibrate/scenarios.ts";
import { MAX_SWAP_FILE_BYTES } from "../analyze/calibrate/pressure.ts";

const HELP =
  `Usage: vmreplay calibrate [--scenario NAME]... [--probe FILE.c]... [--runs N] [--swap SIZE]
                          [--cc CC] [--keep DIR] [--json] [--list]
       vmreplay calibrate --replay DIR [--scenario NAME]... [--strategy NAME] [--mem-delta SIZE]
                          [--mem-sweep SIZE] [--vm NAME=VALUE]... [--tlb N] [--json]

Builds small C probe programs shipped with vmreplay (a C compiler is needed), runs them on this
machine (x86-64 Linux, THP disabled in the probes), and compares, phase by phase, the page
faults the kernel counted (getrusage ru_minflt/ru_majflt of the process that ran the phase) with
the faults the simulator counts when it replays the vmtrace each probe wrote of its own
operations (strategy anon_vma_chain, with --verify). These must agree exactly.

The pressure scenarios (marked * by --list) run inside a memory cgroup (16 MiB for most) with a
64 MiB swap file, both made for each run and removed afterwards (also on failure or Ctrl-C); a
probe that does not fit (the cgroup's OOM killer ends it) runs again, all its runs, with a swap
file 4 times as large, up to 1 GiB. They need root, mkswap/swapon/swapoff, a memory cgroup
hierarchy and the reclaim vmreplay models (not the multi-generational LRU, not zswap), and are
skipped, with one line saying why, where those are missing. Each runs N times; minor and major
faults and pages swapped in (/proc/vmstat pswpin) agree when the simulator is within 10 % (at
least 16 pages) of the kernel's median or within 16 pages of the kernel's own range, pages
swapped out (pswpout) when it is within the kernel's range widened by 10 % of the median (at
least 16 pages). Their swap counts are the machine's: a second calibration waits for the first's
pressure probes (a lock on /tmp/vmreplay-calibrate.lock).

With --probe FILE.c, a probe of your own runs too (alone, without --scenario): a C file written
with probe.h as the shipped ones are (docs/importing.md, "calibrate"), named after its file,
under memory pressure when it calls pressure_init or pressure_init_anon.

With --replay DIR, nothing runs on the kernel: the kernel's counts a calibration kept in DIR
(--keep DIR: each scenario's trace NAME.vmt and results NAME.results, NAME.2.results, ...) are
compared with a replay of the kept traces by this simulator, on any machine and without root,
to see what a change to the model does to calibrations already made.

Exit 0 when every phase agrees (skipped scenarios do not count), 1 if any differs or verify
finds an error.

Options:
  --scenario NAME   run only this scenario (repeatable; --list shows them)
  --probe FILE.c    run this probe of your own too (repeatable; --replay finds those DIR keeps)
  --runs N          kernel runs of each pressure scenario (default 5)
  --swap SIZE       the pressure probes' first swap file, whole MiB from 1M to 1G (default 64M)
  --cc CC           C compiler (default: $CC, cc, gcc or clang, the first that runs)
  --keep DIR        keep the probes, their traces and results in DIR
  --replay DIR      compare the kernel runs kept in DIR with a replay of their traces (no probe run)
  --mem-delta SIZE  with --replay: add SIZE to each trace's mem= (--mem-delta=-8K: 8 KiB less),
                    to see how close a count stands to a change of course
  --mem-sweep SIZE  with --replay: replay with mem= moved from -SIZE to +SIZE, a page a step,
                    and list each count that differs at some step (exit 0 if none does)
  --strategy NAME   replay with this strategy instead of anon_vma_chain
  --vm NAME=VALUE   with --replay: a kernel setting over the traces' headers (repeatable), e.g.
                    write_latency=100, to see which fits the machine the calibration was made on
  --tlb N           with --replay: the replays' TLB entries (as run --tlb)
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
        probe: { type: "string", multiple: true },
        runs: { type: "string" },
        swap: { type: "string" },
        cc: { type: "string" },
        keep: { type: "string" },
        replay: { type: "string" },
        "mem-delta": { type: "string" },
        "mem-sweep": { type: "string" },
        strategy: { type: "string" },
        vm: { type: "string", multiple: true },
        tlb: { type: "string" },
        json: { type: "boolean" },
        list: { type: "boolean" },
      },
      positionals: false,
    }, args);
    if (!parsed) return 0;
    const v = parsed.values;
    if (v.list) {
      for (const s of SCENARIOS) {
        console.log(`${(s.name + (s.pressure ? " *" : "")).padEnd(20)}${s.about}`);
      }
      console.log("* under memory pressure: needs root, a swap file and a memory cgroup");
      return 0;
    }
    let runs: number | undefined;
    if (v.runs !== undefined) {
      runs = Number(v.runs);
      if (!/^[0-9]+$/.test(v.runs) || runs < 1 || runs > 100) {
        throw new UsageError(`--runs: expected a whole number in 1..100, found '${v.runs}'`);
      }
    }
    let swapBytes: number | undefined;
    if (v.swap !== undefined) {
      swapBytes = parseSize(v.swap, "--swap");
      if (swapBytes % (1 << 20) !== 0 || swapBytes < 1 << 20 || swapBytes > MAX_SWAP_FILE_BYTES) {
        throw new UsageError(`--swap: expected whole MiB from 1M to 1G, found '${v.swap}'`);
      }
    }
    // A probe of your own that cannot be one (unreadable, misnamed) is a usage error, as an
    // unknown scenario is.
    await readProbes(v.probe ?? []).catch((e) => {
      throw new UsageError(`--${e instanceof Error ? e.message : e}`);
    });
    // With --replay a name may be one of your own probes kept in DIR (recompare checks it there).
    for (const name of v.replay === undefined ? v.scenario ?? [] : []) {
      if (!SCENARIOS.some((s) => s.name === name)) {
        throw new UsageError(
          `--scenario: unknown scenario '${name}' (expected one of ${
            SCENARIOS.map((s) => s.name).join(", ")
          })`,
        );
      }
    }
    if (v.replay !== undefined) {
      const clash = ["runs", "swap", "probe", "cc", "keep"].filter((o) =>
        v[o as "runs"] !== undefined
      );
      if (clash.length > 0) {
        throw new UsageError(
          `--replay runs no probe: ${clash.map((o) => `--${o}`).join(", ")} cannot go with it`,
        );
      }
    } else {
      // What only a replay reads, named before any of it is parsed.
      const alone = (["mem-delta", "mem-sweep", "vm", "tlb"] as const).find((o) =>
        v[o] !== undefined
      );
      if (alone !== undefined) throw new UsageError(`--${alone} goes with --replay DIR`);
    }
    const vm = v.vm !== undefined ? vmOption(v.vm) : undefined;
    const tlb = tlbEntries(v.tlb, "--tlb");
    // The settings a replay takes over its traces' headers (--vm, --tlb).
    const over = { ...(vm ? { vm } : {}), ...(tlb !== undefined ? { tlbEntries: tlb } : {}) };
    let memDelta: number | undefined;
    const md = v["mem-delta"];
    if (md !== undefined) {
      const sign = md.startsWith("-") ? -1 : 1;
      memDelta = sign * parseSize(md.replace(/^[-+]/, ""), "--mem-delta");
    }
    const progress = new Progress("calibrate", !v.json && Deno.stderr.isTerminal());
    const ms = v["mem-sweep"];
    if (ms !== undefined) {
      const dir = v.replay!; // --mem-sweep goes with --replay (above)
      if (md !== undefined) throw new UsageError("--mem-sweep and --mem-delta cannot go together");
      const span = parseSize(ms, "--mem-sweep");
      if (!isSweepSpan(span)) {
        throw new UsageError(`--mem-sweep: expected whole pages from 4K to 1M, found '${ms}'`);
      }
      const sweep = await asInputError(() =>
        memSweep({
          dir,
          span,
          ...(v.scenario ? { scenarios: v.scenario } : {}),
          ...(v.strategy ? { strategy: v.strategy } : {}),
          ...over,
          onDelta: (d, i, of) => progress.update(`mem= moved ${kib(d)}: replay ${i + 1} of ${of}`),
        })
      );
      progress.done();
      printSweep(sweep, v.json === true);
      return sweep.differing === 0 && sweep.verifyErrors === 0 ? 0 : 1;
    }
    const onScenario = v.json ? undefined : (r: ScenarioResult) => {
      progress.done();
      printScenario(r);
    };
    const results: ScenarioResult[] = await asInputError(() =>
      v.replay !== undefined
        ? recompare({
          dir: v.replay,
          ...(v.scenario ? { scenarios: v.scenario } : {}),
          ...(v.strategy ? { strategy: v.strategy } : {}),
          ...(memDelta ? { memDelta } : {}),
          ...over,
          onScenario,
        })
        : calibrate({
          ...(v.scenario ? { scenarios: v.scenario } : {}),
          ...(v.probe ? { probes: v.probe } : {}),
          ...(v.cc ? { cc: v.cc } : {}),
          ...(v.keep ? { keep: v.keep } : {}),
          ...(v.strategy ? { strategy: v.strategy } : {}),
          ...(runs !== undefined ? { runs } : {}),
          ...(swapBytes !== undefined ? { swapBytes } : {}),
          onScenario,
          onSkip: (why, list) => {
            const what = list.length === 1
              ? "pressure scenario"
              : `${list.length} pressure scenarios`;
            const line = `calibrate: skipping the ${what}: ${why}`;
            if (v.json) console.error(line);
            else console.log(line);
          },
          onWait: (holder) => {
            console.error(
              `calibrate: waiting for another calibration's pressure probes${
                holder ? ` (pid ${holder})` : ""
              } to finish: their swap counts are the machine's`,
            );
          },
          onRun: (s, r, of) => progress.update(`${s.name}: kernel run ${r} of ${of}`),
          onSwapGrow: (s, from, to) => {
            progress.done();
            console.error(
              `calibrate: ${s.name} does not fit its cgroup's limit plus a ${
                from >> 20
              } MiB swap file (the OOM killer ended it): running it again with ${to >> 20} MiB`,
            );
          },
        })
    );
    const bad = results.filter((r) => !r.ok);
    if (v.json) {
      const scenarios = results.map((r) => ({
        scenario: r.scenario.name,
        pressure: r.scenario.pressure === true,
        runs: r.runs,
        ok: r.ok,
        verify_errors: r.verifyErrors,
        // Under pressure, the memory and swap the trace was replayed with (its header's: the
        // cgroup's limit less what the probe held, and the swap file's size).
        ...(r.scenario.pressure ? { mem_bytes: r.machine.mem, swap_bytes: r.machine.swap } : {}),
        phases: r.rows.map((x) =>
          x.pressure ? pressureJson(x) : ({
            phase: x.label,
            pid: x.pid,
            kernel: { minor_faults: x.kernelMinor, major_faults: x.kernelMajor },
            simulator: { minor_faults: x.simMinor, major_faults: x.simMajor },
            ok: x.ok,
          })
        ),
      }));
      console.log(JSON.stringify(scenarios, null, 2));
    } else {
      if (results.some((r) => r.machine.zero_page === false)) {
        console.log(
          `calibrate: ${
            v.replay === undefined ? "this kernel maps" : "the kept runs' kernel mapped"
          } no zero page on read faults (booted with pvm_no_zero_page or alike); the probes' ` +
            "traces say zero_page=0 and replay so",
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
      if (bad.some((r) => r.scenario.pressure)) {
        // Under pressure a count outside may be the kernel's own spread: say how to look at it.
        console.log(
          "calibrate: under memory pressure the kernel's own counts vary from run to run, some " +
            'phases in two modes (docs/machine.md, "Kernel against vmreplay"): ' +
            (v.replay === undefined
              ? "--runs 20 measures more of that spread; with --keep DIR, "
              : "") +
            "--replay DIR --mem-sweep 16K lists the counts that change with a few pages more or " +
            "less memory",
        );
      }
    }
    return bad.length === 0 ? 0 : 1;
  });
}

/** Runs `f`; a {@linkcode CalibrateError} it throws becomes an InputError (exit 1, its message). */
async function asInputError<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CalibrateError) throw new InputError(`vmreplay calibrate: ${e.message}`);
    throw e;
  }
}

/** A move of mem= in KiB, signed: "-8K", "0K", "+4K". */
function kib(bytes: number): string {
  return `${bytes > 0 ? "+" : ""}${bytes / 1024}K`;
}

/** Prints what a sweep found: each count outside somewhere, then one summary line. */
function printSweep(s: MemSweep, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(
      {
        mem_deltas: s.deltas,
        phases: s.phases,
        differing_phases: s.differing,
        differing_replays: s.differingReplays,
        verify_errors: s.verifyErrors,
        counts: s.counts.map((c) => ({
          scenario: c.scenario,
          phase: c.phase,
          count: c.count,
          outside_at: c.outside,
          kernel: c.kernel,
          kernel_min: c.kernelMin,
          kernel_max: c.kernelMax,
          simulator_min: c.simMin,
          simulator_max: c.simMax,
        })),
      },
      null,
      2,
    ));
    return;
  }
  const n = s.deltas.length;
  console.log(
    `calibrate: each kept trace replayed ${n} times, mem= moved from ${kib(s.deltas[0]!)} to ` +
      `${kib(s.deltas[n - 1]!)} a page at a time`,
  );
  for (const c of s.counts) {
    const where = c.outside.length === n ? "at every step" : `at ${c.outside.map(kib).join(" ")}`;
    const kernel = c.kernelMin === c.kernelMax
      ? `${c.kernel}`
      : `${c.kernel} (${c.kernelMin}-${c.kernelMax})`;
    const sim = c.simMin === c.simMax ? `${c.simMin}` : `${c.simMin}-${c.simMax}`;
    console.log(
      `  ${`${c.scenario}/${c.phase} ${c.count}`.padEnd(44)} outside ${where} ` +
        `(${c.outside.length} of ${n}); kernel ${kernel}, simulator ${sim}`,
    );
  }
  if (s.verifyErrors > 0) {
    console.log(
      `  verify_errors: ${s.verifyErrors} (expected 0), at ${s.verifyAt.map(kib).join(" ")}`,
    );
  }
  console.log(
    s.differing === 0
      ? `calibrate: all ${s.phases} phases agree with the kernel at every step`
      : `calibrate: ${s.differing} of ${s.phases} phases differ at some step ` +
        `(${s.differingReplays} of ${s.phases * n} replays of a phase)`,
  );
}

/** A pressure phase in the JSON output: median, range, simulator and tolerance of each count. */
function pressureJson(x: CalibrationRow) {
  const p = x.pressure!;
  const m = (c: Measure) => ({
    kernel: c.kernel,
    kernel_min: c.min,
    kernel_max: c.max,
    kernel_runs: c.runs,
    simulator: c.sim,
    tolerance: c.tolerance,
    ok: c.ok,
  });
  return {
    phase: x.label,
    pid: x.pid,
    minor_faults: m(p.minor),
    major_faults: m(p.major),
    swap_in_pages: m(p.swapIn),
    swap_out_pages: m(p.swapOut),
    ok: x.ok,
  };
}

function printPressure(r: ScenarioResult): void {
  console.log(
    `${r.scenario.name}: ${r.scenario.about} (${r.runs} kernel run${r.runs === 1 ? "" : "s"})`,
  );
  const head = ["minor faults", "major faults", "swapped in", "swapped out"];
  console.log(
    `  ${"phase".padEnd(22)}${"pid".padStart(8)}` +
      head.map((h) => `  ${("kernel " + h).padStart(25)}${"sim".padStart(7)}`).join(""),
  );
  for (const x of r.rows) {
    const p = x.pressure!;
    const cell = (c: Measure, range: boolean) => {
      const k = range || c.min !== c.max ? `${c.kernel} (${c.min}-${c.max})` : `${c.kernel}`;
      return `  ${k.padStart(25)}${String(c.sim).padStart(7)}${c.ok ? " " : "!"}`;
    };
    console.log(
      `  ${x.label.padEnd(22)}${String(x.pid).padStart(8)}` + cell(p.minor, false) +
        cell(p.major, false) + cell(p.swapIn, false) + cell(p.swapOut, true) +
        `  ${x.ok ? "ok" : "DIFFERS"}`,
    );
  }
  console.log(
    "  (kernel: median (range) of its runs; faults and swapped in agree within 10 % or 16 pages" +
      " of the median or of the range, swapped out within the range widened so; ! marks a count outside)",
  );
  if (r.verifyErrors > 0) console.log(`  verify_errors: ${r.verifyErrors} (expected 0)`);
}

function printScenario(r: ScenarioResult): void {
  if (r.scenario.pressure) return printPressure(r);
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
