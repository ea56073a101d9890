/**
 * One strategy's replay, in the current thread: feeds every event of a batch stream to a
 * {@linkcode Machine}, splits counters into phases at `mark` events, samples the time series and,
 * with `verify`, checks every load against the {@linkcode ReferenceModel}. The replay runner calls
 * it inside a worker per strategy; tests and small tools may call it directly.
 *
 * @module
 */
import { C } from "../core/counters.ts";
import { Machine } from "../core/machine.ts";
import { ReferenceModel } from "../core/reference.ts";
import type { EventBatch } from "../trace/batch.ts";
import { Op } from "../trace/event.ts";
import { DiagnosticLog } from "./diagnostics.ts";
import type { VmKnobs } from "../uapi/knobs.ts";
import { PhaseTracker } from "./phases.ts";
import type { StrategyResult } from "./result.ts";
import { defaultSeriesInterval, SeriesRecorder } from "./series.ts";
import { verifyAccess } from "./verify.ts";

/** Options of {@linkcode replayStrategy}. */
export interface StrategyReplayOptions {
  /** Strategy name (a key of `core/rmap/registry.ts` `STRATEGIES`). */
  strategy: string;
  /** Physical memory, pages. */
  memPages: number;
  /** Swap in pages: the machine's device `swap`, unless the trace brings its own (0: none). */
  swapPages: number;
  /** TLB entries (default: the machine's). */
  tlbEntries?: number;
  /** Kernel settings (`uapi/knobs.ts`; default: stock Linux). */
  vm?: Partial<VmKnobs>;
  /** Check the machine's invariants after every event (`--check`). */
  check?: boolean;
  /** With `check`: after every this many events instead, and after the last (`--check-every`). */
  checkEvery?: number;
  /** Check every load against the reference model (`--verify`). */
  verify?: boolean;
  /** Sample the time series every this many events (default from `totalEvents`). */
  seriesInterval?: number;
  /** Events in the trace, when known (for the default series interval and progress). */
  totalEvents?: number;
  /** Called with the number of events replayed so far, about every `progressEvery` events. */
  onProgress?: (events: number) => void;
  /** Events between progress calls (default 65536). */
  progressEvery?: number;
}

/**
 * Replays a stream of batches through one strategy and returns its results.
 *
 * @example
 * ```ts
 * import { replayStrategy } from "./replay_strategy.ts";
 * import { TraceBuilder } from "../trace/builder.ts";
 * const t = new TraceBuilder().mmap(1, 0x10000, "16K", "rw-", "private,anon")
 *   .w(1, 0x10000).mark("read").r(1, 0x10000).r(1, 0x11000);
 * const r = await replayStrategy([t.batch()], {
 *   strategy: "anon_vma_chain", memPages: 64, swapPages: 0, verify: true,
 * });
 * if (r.counters.minor_faults !== 2 || r.counters.verify_errors !== 0) throw new Error("bad run");
 * if (r.phases.map((p) => p.label).join() !== "start,read") throw new Error("bad phases");
 * ```
 */
export async function replayStrategy(
  batches: AsyncIterable<EventBatch> | Iterable<EventBatch>,
  opts: StrategyReplayOptions,
): Promise<StrategyResult> {
  const t0 = performance.now();
  let firstCheck: { line: number; message: string } | undefined;
  // The machine skips what it has no memory for; the reference model cannot know, so divergences
  // after that are explained by it.
  let oomLine = 0;
  const diagnostics = new DiagnosticLog();
  const machine = new Machine({
    memPages: opts.memPages,
    swapPages: opts.swapPages,
    strategy: opts.strategy,
    check: opts.check ?? false,
    ...(opts.checkEvery !== undefined ? { checkEvery: opts.checkEvery } : {}),
    recordLoads: opts.verify ?? false,
    ...(opts.tlbEntries !== undefined ? { tlbEntries: opts.tlbEntries } : {}),
    ...(opts.vm !== undefined ? { vm: opts.vm } : {}),
    // Called only on a problem, never per event.
    onDiagnostic: (d) => {
      if (d.kind === "check") {
        firstCheck ??= { line: d.line, message: d.message };
        return;
      }
      if (d.kind === "warning" && oomLine === 0 && d.message.includes("out of memory")) {
        oomLine = d.line;
      }
      diagnostics.add({ kind: d.kind, line: d.line, message: d.message });
    },
  });
  const counters = machine.counters;
  const ref = opts.verify ? new ReferenceModel() : undefined;
  let firstError: { line: number; message: string } | undefined;
  const interval = opts.seriesInterval ?? defaultSeriesInterval(opts.totalEvents ?? 100_000);
  const phases = new PhaseTracker(machine);
  // the start, every interval, the end
  const series = new SeriesRecorder(interval, (opts.totalEvents ?? 0) / interval + 3);
  series.sample(0, machine);
  const every = opts.progressEvery ?? 65536;
  let nextProgress = every;
  let nextSample = interval;
  let seq = 0;

  // Time spent waiting for the next batch (decoding it, or a runner's slower worker) is not this
  // strategy's: elapsed_ms leaves it out.
  let waited = 0;
  const it = Symbol.asyncIterator in batches
    ? batches[Symbol.asyncIterator]()
    : batches[Symbol.iterator]();
  try {
    while (true) {
      const tw = performance.now();
      const next = await it.next();
      waited += performance.now() - tw;
      if (next.done) break;
      const b = next.value;
      const n = b.length;
      if (ref === undefined) {
        // Runs of events up to the next sample, each stopping before a mark: the hot loop is the
        // machine's applyRun, which nothing rare here (phases, samples) can deoptimize.
        let i = 0;
        while (i < n) {
          const to = Math.min(n, i + (nextSample - seq));
          const stop = machine.applyRun(b, i, to, seq);
          seq += stop - i;
          i = stop;
          if (i < to) {
            seq++;
            phases.mark(b.strings[b.str[i]!]!);
            machine.apply(b, i, seq);
            i++;
          }
          if (seq === nextSample) {
            series.sample(seq, machine);
            nextSample += interval;
          }
        }
      } else {
        for (let i = 0; i < n; i++) {
          seq++;
          const op = b.op[i]!;
          if (op === Op.mark) phases.mark(b.strings[b.str[i]!]!);
          const segvBefore = counters[C.segv]!;
          machine.apply(b, i, seq);
          if (op === Op.r || op === Op.w || op === Op.x) {
            const bad = verifyAccess(machine, ref, b, i, op, counters[C.segv]! - segvBefore, seq);
            if (bad !== undefined) {
              counters[C.verify_errors]!++;
              firstError ??= {
                line: b.line[i] || seq,
                message: oomLine > 0
                  ? `${bad} (after the machine ran out of memory at line ${oomLine})`
                  : bad,
              };
            }
          }
          ref.apply(b, i, seq);
          if (seq === nextSample) {
            series.sample(seq, machine);
            nextSample += interval;
          }
        }
      }
      if (opts.onProgress && seq >= nextProgress) {
        opts.onProgress(seq);
        nextProgress = seq + every;
      }
    }
  } catch (e) {
    throw limitError(e, machine.line) ?? e;
  }
  machine.checkNow();
  series.sample(seq, machine);
  const { total, phases: phaseResults } = phases.finish();
  const result: StrategyResult = {
    counters: total,
    phases: phaseResults,
    series: series.result(),
    elapsed_ms: Math.round((performance.now() - t0 - waited) * 1000) / 1000,
  };
  if (ref) {
    result.verify = firstError
      ? { first_line: firstError.line, first_message: firstError.message }
      : {};
  }
  if (firstCheck) result.check = { first_line: firstCheck.line, first_message: firstCheck.message };
  if (diagnostics.list.length > 0) result.diagnostics = diagnostics.list;
  return result;
}

/**
 * A replay stopped by a limit of the JavaScript engine it runs on (a `Map` of 2^24 entries, an
 * array buffer it cannot have) at the event of line `line`: the trace asks for more state than
 * this machine model can hold. The runner reports it as `FILE:LINE: message`, exit status 1.
 */
export class ReplayLimitError extends Error {
  /** Line (or event number) of the event that hit the limit. */
  readonly line: number;

  /** Makes the error for the event of line `line`; `reason` is what the engine said. */
  constructor(line: number, reason: string) {
    super(
      `the replay needs more memory than this machine model can hold at this event ` +
        `(${reason}): the trace touches too much at once`,
    );
    this.name = "ReplayLimitError";
    this.line = line;
  }
}

/** The {@linkcode ReplayLimitError} for an engine limit `e` hit at `line`, or undefined. */
function limitError(e: unknown, line: number): ReplayLimitError | undefined {
  if (!(e instanceof RangeError)) return undefined;
  const limit =
    /Map maximum size exceeded|Set maximum size exceeded|Array buffer allocation failed|Invalid typed array length|Invalid array buffer length|Invalid array length|Invalid string length/;
  return limit.test(e.message) ? new ReplayLimitError(line, e.message) : undefined;
}
