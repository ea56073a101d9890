/**
 * {@linkcode calibrate}: build the probes, run them on this machine, replay each probe's own
 * trace with `anon_vma_chain`, and compare the kernel's counts with the simulator's.
 *
 * @module
 */
import { parseHeaderLine } from "../../trace/_header.ts";
import { replayTrace } from "../replay.ts";
import type { MachineOptions } from "../result.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";
import { type CalibrationRow, comparePhases, comparePressure } from "./compare.ts";
import {
  buildProbe,
  CalibrateError,
  findCompiler,
  type KernelPhase,
  parseKernelResults,
  runProbe,
} from "./kernel.ts";
import {
  lockPressure,
  MAX_SWAP_FILE_BYTES,
  type MemcgRoot,
  PRESSURE_LOCK,
  PressureEnv,
  pressureSupport,
  SWAP_FILE_BYTES,
  SWAP_GROWTH,
} from "./pressure.ts";
import { findScenario, PROBE_NAME, readProbes, type Scenario, SCENARIOS } from "./scenarios.ts";

/** Kernel runs of each pressure scenario by default (their spread is part of the comparison). */
export const DEFAULT_PRESSURE_RUNS = 5;

/** Options of {@linkcode calibrate}. */
export interface CalibrateOptions {
  /** Scenario names (default: all, or none when `probes` are given). */
  scenarios?: string[];
  /**
   * The user's own probes, paths of C files using `probe.h` (`calibrate --probe FILE.c`): each runs
   * after the scenarios, named after its file, under memory pressure when it calls
   * `pressure_init` or `pressure_init_anon` (`readProbes` in `scenarios.ts`).
   */
  probes?: string[];
  /** C compiler (default: `$CC`, `cc`, `gcc` or `clang`). */
  cc?: string;
  /** Keep the binaries, traces and results in this directory (default: a temporary one, removed). */
  keep?: string;
  /** Strategy to replay with (default `anon_vma_chain`). */
  strategy?: string;
  /** Kernel runs of each pressure scenario (default {@linkcode DEFAULT_PRESSURE_RUNS}). */
  runs?: number;
  /** Called after each scenario. */
  onScenario?: (r: ScenarioResult) => void;
  /** Called once, with the reason, when the pressure scenarios cannot run on this machine. */
  onSkip?: (why: string, scenarios: Scenario[]) => void;
  /** Called before each kernel run of a pressure scenario (progress). */
  onRun?: (scenario: Scenario, run: number, of: number) => void;
  /**
   * Size of the first swap file of each pressure probe run, in bytes: whole MiB (default
   * `SWAP_FILE_BYTES`, 64 MiB). A probe that does not fit it (the cgroup's OOM killer ended it)
   * runs again, all of its runs, with `SWAP_GROWTH` (4) times as much, up to 1 GiB.
   */
  swapBytes?: number;
  /** Called when a pressure scenario runs again with a larger swap file (`from` to `to` bytes). */
  onSwapGrow?: (scenario: Scenario, from: number, to: number) => void;
  /**
   * Called once when another calibration's pressure probes are running: this one waits for them
   * (their swap counts are the machine's), `holder` is what that one says of itself (its pid).
   */
  onWait?: (holder: string) => void;
}

/** The outcome of one scenario. */
export interface ScenarioResult {
  scenario: Scenario;
  /** Path of the probe's trace (gone after the run unless `keep`). */
  trace: string;
  rows: CalibrationRow[];
  /** The machine the probe's trace was replayed on (its kernel settings as the probe found them). */
  machine: MachineOptions;
  /** Kernel runs compared (1 for a scenario without pressure). */
  runs: number;
  /** The replay's `verify_errors` (must be 0). */
  verifyErrors: number;
  /** True when every phase agrees and verify found nothing. */
  ok: boolean;
}

/**
 * Runs the calibration. Pressure scenarios run only where they can (`pressure.ts`); otherwise
 * `onSkip` says why and they are left out. Throws {@linkcode CalibrateError} when it cannot run
 * at all (no compiler, not x86-64 Linux, a probe failed). Whatever it switched on for the pressure
 * probes (swap files, cgroups) is removed, also on failure, SIGINT or SIGTERM.
 */
export async function calibrate(opts: CalibrateOptions = {}): Promise<ScenarioResult[]> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new CalibrateError(
      `calibrate runs on x86-64 Linux only (its probes compare with this kernel); this is ${Deno.build.arch} ${Deno.build.os}`,
    );
  }
  // The shipped scenarios asked for (all of them when neither they nor own probes are), then the
  // user's own probes.
  const named = opts.scenarios ?? (opts.probes?.length ? [] : SCENARIOS.map((s) => s.name));
  let scenarios = named.map((n) => {
    const s = findScenario(n);
    if (!s) {
      throw new CalibrateError(
        `unknown scenario '${n}' (expected one of ${SCENARIOS.map((s) => s.name).join(", ")})`,
      );
    }
    return s;
  });
  // probeScenario refuses a shipped scenario's name: no own probe clashes with those.
  scenarios.push(...await readProbes(opts.probes ?? []));
  const runs = opts.runs ?? DEFAULT_PRESSURE_RUNS;
  if (!Number.isInteger(runs) || runs < 1) {
    throw new CalibrateError(`runs: expected a whole number of at least 1, found ${runs}`);
  }
  const pressured = scenarios.filter((s) => s.pressure);
  const support = pressured.length > 0 ? await pressureSupport() : null;
  if (support !== null && !support.ok) {
    opts.onSkip?.(support.why, pressured);
    scenarios = scenarios.filter((s) => !s.pressure);
  }
  const cc = await findCompiler(opts.cc);
  const dir = opts.keep ?? await Deno.makeTempDir({ prefix: "vmreplay-calibrate-" });
  await Deno.mkdir(dir, { recursive: true });
  const out: ScenarioResult[] = [];
  let env: PressureEnv | null = null;
  // On SIGINT or SIGTERM: undo what the running probe had, then leave as an interrupted program
  // does. The probe dies meanwhile, so the main flow fails too: it waits for this instead.
  let stopping: Promise<never> | null = null;
  const onSignal = () => {
    stopping ??= (async () => {
      await env?.close();
      if (opts.keep === undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
      Deno.exit(130);
    })();
  };
  /**
   * The `runs` kernel runs of pressure probe `bin`, each in a swap file of `swapBytes` and a cgroup
   * of its own under `root`; null when the cgroup's OOM killer ended one and a larger swap file is
   * allowed.
   */
  const pressureRuns = async (
    scenario: Scenario,
    bin: string,
    trace: string,
    results: string,
    root: MemcgRoot,
    swapBytes: number,
  ): Promise<KernelPhase[][] | null> => {
    const kernel: KernelPhase[][] = [];
    for (let r = 0; r < runs; r++) {
      opts.onRun?.(scenario, r + 1, runs);
      let outgrew = false;
      env = new PressureEnv(root, dir, `vmreplay-calibrate-${Deno.pid}-${r}`, swapBytes);
      try {
        await env.open();
        // The first run's trace is the one replayed; the others keep their own files.
        const t = r === 0 ? trace : `${dir}/${scenario.name}.${r + 1}.vmt`;
        const res = r === 0 ? results : `${dir}/${scenario.name}.${r + 1}.results`;
        kernel.push(await runProbe(bin, t, res, [env.cgroup, env.swapFile]));
      } catch (e) {
        // Read before the cgroup goes: a probe the OOM killer ended did not fit the swap file.
        const killed = await env.oomKills();
        const ranOut = killed > 0 ? await env.swapRanOut() : null;
        const why = e instanceof Error ? e.message : String(e);
        const ended =
          `pressure probe ${scenario.name}: the memory cgroup's OOM killer ended ${killed} of its processes`;
        if (killed > 0 && ranOut === false) {
          throw new CalibrateError(
            `${ended} with the ${
              swapBytes >> 20
            } MiB swap file far from full: what it needs in memory at once (swapoff brings everything back, locked pages stay) does not fit the cgroup's limit (${why})`,
          );
        } else if (killed > 0 && swapBytes < MAX_SWAP_FILE_BYTES) outgrew = true;
        else if (killed > 0) {
          throw new CalibrateError(
            `${ended}: its memory does not fit the cgroup's limit plus the ${
              swapBytes >> 20
            } MiB swap file (${why})`,
          );
        } else if (e instanceof CalibrateError) throw e;
        else throw new CalibrateError(`pressure probe ${scenario.name}: ${why}`);
      } finally {
        if (stopping) await stopping;
        await env.close();
      }
      if (env.leftOver) {
        throw new CalibrateError(
          `could not remove ${env.cgroup} or switch ${env.swapFile} off; remove them by hand`,
        );
      }
      env = null;
      if (outgrew) return null;
    }
    return kernel;
  };
  let unlock: (() => void) | null = null;
  const signals = ["SIGINT", "SIGTERM"] as const;
  if (support?.ok) { for (const s of signals) Deno.addSignalListener(s, onSignal); }
  try {
    // One calibration's pressure probes at a time on this machine (their swap counts are its own).
    if (support?.ok && scenarios.some((s) => s.pressure)) {
      unlock = await lockPressure(PRESSURE_LOCK, opts.onWait).catch((e) => {
        throw new CalibrateError(
          `cannot take ${PRESSURE_LOCK} (one calibration's pressure probes at a time): ${
            e instanceof Error ? e.message : e
          }`,
        );
      });
    }
    for (const scenario of scenarios) {
      const bin = await buildProbe(cc, scenario.name, dir, scenario.source);
      const trace = `${dir}/${scenario.name}.vmt`;
      const results = `${dir}/${scenario.name}.results`;
      let rows: CalibrationRow[];
      let n = 1;
      if (scenario.pressure && support?.ok) {
        n = runs;
        // A probe the cgroup's OOM killer ended runs again, all its runs, with a larger swap file.
        let swap = opts.swapBytes ?? SWAP_FILE_BYTES;
        let kernel = await pressureRuns(scenario, bin, trace, results, support.root, swap);
        while (kernel === null) {
          const next = Math.min(swap * SWAP_GROWTH, MAX_SWAP_FILE_BYTES);
          opts.onSwapGrow?.(scenario, swap, next);
          swap = next;
          kernel = await pressureRuns(scenario, bin, trace, results, support.root, swap);
        }
        const replay = await replayFor(trace, opts);
        rows = comparePressure(kernel, replay.res.phases);
        out.push(result(scenario, trace, rows, replay.machine, n, replay.res.counters));
      } else {
        const kernel = await runProbe(bin, trace, results);
        const replay = await replayFor(trace, opts);
        rows = comparePhases(kernel, replay.res.phases);
        out.push(result(scenario, trace, rows, replay.machine, n, replay.res.counters));
      }
      opts.onScenario?.(out[out.length - 1]!);
    }
  } finally {
    if (support?.ok) { for (const s of signals) Deno.removeSignalListener(s, onSignal); }
    unlock?.();
    if (opts.keep === undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return out;
}

/** Options of {@linkcode recompare}. */
export interface RecompareOptions {
  /** A directory `calibrate --keep` filled. */
  dir: string;
  /** Scenario names (default: every one the directory holds). */
  scenarios?: string[];
  /** Strategy to replay with (default `anon_vma_chain`). */
  strategy?: string;
  /**
   * Bytes added to each trace's memory (its header's `mem=`; negative: less), to see how close a
   * count stands to a change of course (default 0).
   */
  memDelta?: number;
  /**
   * Kernel settings that override the traces' headers (as `run --vm`): `write_latency`, say, to
   * see which fits the machine the calibration was made on.
   */
  vm?: Partial<VmKnobs>;
  /** TLB entries of the replays (default: the machine's `DEFAULT_TLB_ENTRIES`). */
  tlbEntries?: number;
  /** Called after each scenario. */
  onScenario?: (r: ScenarioResult) => void;
}

/**
 * Compares the kernel runs a calibration kept (`calibrate --keep DIR`: each scenario's trace
 * `NAME.vmt` and the kernel's counts `NAME.results`, `NAME.2.results`, ...) with a replay of their
 * traces by this simulator, without running the probes again: to see what a change to the model
 * does to calibrations already made, here or on another machine. Throws
 * {@linkcode CalibrateError} when `dir` holds no calibration, when a scenario asked for is not in
 * it, or when a results file cannot be read.
 */
export async function recompare(opts: RecompareOptions): Promise<ScenarioResult[]> {
  const names = opts.scenarios ?? [...SCENARIOS.map((s) => s.name), ...await keptProbes(opts.dir)];
  const out: ScenarioResult[] = [];
  for (const name of names) {
    const scenario = findScenario(name) ?? await keptProbe(opts.dir, name);
    if (!scenario) {
      throw new CalibrateError(
        `unknown scenario '${name}' (expected one of ${
          SCENARIOS.map((s) => s.name).join(", ")
        }, or a probe of your own whose trace ${opts.dir} keeps: ${name}.vmt)`,
      );
    }
    const trace = `${opts.dir}/${name}.vmt`;
    const kernel: KernelPhase[][] = [];
    for (let r = 1;; r++) {
      const file = `${opts.dir}/${name}${r === 1 ? "" : `.${r}`}.results`;
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) break;
        throw new CalibrateError(`cannot read ${file}: ${e instanceof Error ? e.message : e}`);
      }
      kernel.push(parseKernelResults(text, file));
      if (!scenario.pressure) break;
    }
    // A probe that failed (the calibration stopped there) leaves an empty trace: the probes keep
    // their output until they end. Looking through a directory, that scenario is passed over.
    const size = await Deno.stat(trace).then((st) => st.isFile ? st.size : -1, () => -1);
    if (kernel.length === 0 || size <= 0) {
      if (opts.scenarios === undefined) continue;
      throw new CalibrateError(
        size === 0
          ? `${opts.dir} holds no finished run of ${name}: ${name}.vmt is empty (the probe failed)`
          : `${opts.dir} holds no kept run of ${name} (calibrate --keep DIR writes ${name}.vmt and ${name}.results)`,
      );
    }
    const mem = opts.memDelta ? await movedMem(trace, opts.memDelta) : undefined;
    const replay = await replayFor(trace, { ...opts, ...(mem !== undefined ? { mem } : {}) });
    const rows = scenario.pressure
      ? comparePressure(kernel, replay.res.phases)
      : comparePhases(kernel[0]!, replay.res.phases);
    out.push(result(scenario, trace, rows, replay.machine, kernel.length, replay.res.counters));
    opts.onScenario?.(out[out.length - 1]!);
  }
  if (out.length === 0) {
    throw new CalibrateError(
      `${opts.dir} holds no kept calibration (calibrate --keep DIR writes one: NAME.vmt and NAME.results for each scenario)`,
    );
  }
  return out;
}

/** Names of the user's own probes (`calibrate --probe`) whose runs `dir` keeps, sorted. */
async function keptProbes(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const name = e.name.endsWith(".vmt") ? e.name.slice(0, -4) : "";
      if (e.isFile && PROBE_NAME.test(name) && !findScenario(name)) names.push(name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/**
 * The scenario of a user's own probe whose runs `dir` keeps (its trace `NAME.vmt`), under memory
 * pressure when the trace's header says `memcg=1`; undefined when there is none.
 */
async function keptProbe(dir: string, name: string): Promise<Scenario | undefined> {
  if (!PROBE_NAME.test(name)) return undefined;
  const trace = `${dir}/${name}.vmt`;
  let head: string;
  try {
    const f = await Deno.open(trace);
    try {
      const buf = new Uint8Array(4096);
      const n = await f.read(buf) ?? 0;
      head = new TextDecoder().decode(buf.subarray(0, n)).split("\n", 1)[0]!;
    } finally {
      f.close();
    }
  } catch {
    return undefined;
  }
  const h = parseHeaderLine(head);
  const pressure = h.error === undefined && h.header.extra?.memcg === "1";
  return { name, about: `a probe of your own, kept in ${dir}`, ...(pressure ? { pressure } : {}) };
}

/** The memory of `trace`'s header moved by `delta` bytes. */
async function movedMem(trace: string, delta: number): Promise<number> {
  const text = await Deno.readTextFile(trace);
  const h = parseHeaderLine(text.split("\n", 1)[0]!);
  if (h.error !== undefined || h.header.mem === undefined) {
    throw new CalibrateError(`${trace}:1: no mem= in the header to move by ${delta} bytes`);
  }
  const mem = h.header.mem + delta;
  if (mem < 4096) {
    throw new CalibrateError(`${trace}: mem=${h.header.mem} bytes moved by ${delta} leaves none`);
  }
  return mem;
}

/** How a calibration replays a trace: beside its strategy, what overrides the trace's header. */
interface ReplayFor {
  strategy?: string;
  mem?: number;
  vm?: Partial<VmKnobs>;
  tlbEntries?: number;
}

/**
 * Replays `trace` with `strategy` (default `anon_vma_chain`), `--verify`, and `mem`, `vm` and
 * `tlbEntries` if given.
 */
async function replayFor(trace: string, opts: ReplayFor) {
  const { strategy = "anon_vma_chain", mem, vm, tlbEntries } = opts;
  const run = await replayTrace({
    trace,
    strategies: [strategy],
    verify: true,
    ...(mem !== undefined ? { mem } : {}),
    ...(vm !== undefined ? { vm } : {}),
    ...(tlbEntries !== undefined ? { tlbEntries } : {}),
  });
  const res = run.results[strategy];
  if (!res) throw new CalibrateError(`the replay of ${trace} returned no result for ${strategy}`);
  return { res, machine: run.machine };
}

function result(
  scenario: Scenario,
  trace: string,
  rows: CalibrationRow[],
  machine: MachineOptions,
  runs: number,
  counters: Record<string, number>,
): ScenarioResult {
  const verifyErrors = counters.verify_errors ?? 0;
  return {
    scenario,
    trace,
    rows,
    machine,
    runs,
    verifyErrors,
    ok: verifyErrors === 0 && rows.every((x) => x.ok),
  };
}
