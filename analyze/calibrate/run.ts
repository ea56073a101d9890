/**
 * {@linkcode calibrate}: build the probes, run them on this machine, replay each probe's own
 * trace with `anon_vma_chain`, and compare the kernel's fault counts with the simulator's.
 *
 * @module
 */
import { replayTrace } from "../replay.ts";
import type { MachineOptions } from "../result.ts";
import { type CalibrationRow, comparePhases } from "./compare.ts";
import { buildProbe, CalibrateError, findCompiler, runProbe } from "./kernel.ts";
import { findScenario, type Scenario, SCENARIOS } from "./scenarios.ts";

/** Options of {@linkcode calibrate}. */
export interface CalibrateOptions {
  /** Scenario names (default: all). */
  scenarios?: string[];
  /** C compiler (default: `$CC`, `cc`, `gcc` or `clang`). */
  cc?: string;
  /** Keep the binaries, traces and results in this directory (default: a temporary one, removed). */
  keep?: string;
  /** Strategy to replay with (default `anon_vma_chain`). */
  strategy?: string;
  /** Called after each scenario. */
  onScenario?: (r: ScenarioResult) => void;
}

/** The outcome of one scenario. */
export interface ScenarioResult {
  scenario: Scenario;
  /** Path of the probe's trace (gone after the run unless `keep`). */
  trace: string;
  rows: CalibrationRow[];
  /** The machine the probe's trace was replayed on (its kernel settings as the probe found them). */
  machine: MachineOptions;
  /** The replay's `verify_errors` (must be 0). */
  verifyErrors: number;
  /** True when every phase agrees and verify found nothing. */
  ok: boolean;
}

/**
 * Runs the calibration. Throws {@linkcode CalibrateError} when it cannot (no compiler, not x86-64
 * Linux, a probe failed).
 */
export async function calibrate(opts: CalibrateOptions = {}): Promise<ScenarioResult[]> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new CalibrateError(
      `calibrate runs on x86-64 Linux only (its probes compare with this kernel); this is ${Deno.build.arch} ${Deno.build.os}`,
    );
  }
  const scenarios = (opts.scenarios ?? SCENARIOS.map((s) => s.name)).map((n) => {
    const s = findScenario(n);
    if (!s) {
      throw new CalibrateError(
        `unknown scenario '${n}' (expected one of ${SCENARIOS.map((s) => s.name).join(", ")})`,
      );
    }
    return s;
  });
  const cc = await findCompiler(opts.cc);
  const dir = opts.keep ?? await Deno.makeTempDir({ prefix: "vmreplay-calibrate-" });
  await Deno.mkdir(dir, { recursive: true });
  const out: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      const bin = await buildProbe(cc, scenario.name, dir);
      const trace = `${dir}/${scenario.name}.vmt`;
      const kernel = await runProbe(bin, trace, `${dir}/${scenario.name}.results`);
      const strategy = opts.strategy ?? "anon_vma_chain";
      const run = await replayTrace({ trace, strategies: [strategy], verify: true });
      const res = run.results[strategy];
      if (!res) {
        throw new CalibrateError(`the replay of ${trace} returned no result for ${strategy}`);
      }
      const rows = comparePhases(kernel, res.phases);
      const verifyErrors = res.counters.verify_errors ?? 0;
      const r: ScenarioResult = {
        scenario,
        trace,
        rows,
        machine: run.machine,
        verifyErrors,
        ok: verifyErrors === 0 && rows.every((x) => x.ok),
      };
      out.push(r);
      opts.onScenario?.(r);
    }
  } finally {
    if (opts.keep === undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return out;
}
