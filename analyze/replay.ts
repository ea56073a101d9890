/**
 * The replay runner: validates a trace as a whole and replays it once per strategy, each strategy in
 * its own Web Worker, and gathers a {@linkcode RunResult}. This thread decodes the trace once, in
 * streaming batches, into a ring of batches in shared memory that every worker replays
 * (`batch_ring.ts`), so decoding runs beside the replays and costs the same for one strategy as
 * for seven. Nothing from a file that does not validate is reported: a `.vmtb` trace (whose end
 * marker gives the event count up front) is validated by the decoding that feeds the workers, and
 * on a validation error the workers are stopped and their results thrown away; other forms are
 * validated in a pass of their own before any worker starts.
 *
 * Machine options: memory and swap from the options, else from the trace header (`mem=`, `swap=`),
 * else 1 GiB of memory and no swap. A swap size describes a device named `swap` that the machine
 * creates when swap is first needed, unless the trace brought its own with a `swapon` before that
 * (so a header `swap=` that describes the trace's own `swapon`, as generated traces write it, is
 * not added twice).
 *
 * @module
 */
import { DEFAULT_TLB_ENTRIES } from "../core/machine.ts";
import { isKnob, KNOBS, parseKnob, type VmKnobs, withDefaults } from "../uapi/knobs.ts";
import { TraceError } from "../trace/error.ts";
import { DEFAULT_STRATEGY, STRATEGIES } from "../core/rmap/registry.ts";
import type { TraceHeader } from "../trace/event.ts";
import { PAGE_SIZE } from "../trace/event.ts";
import {
  readTrace,
  readTraceBytes,
  type ReadTraceFileOptions,
  type TraceReader,
} from "../trace/read.ts";
import { formatFromName } from "../trace/format.ts";
import { REC_END } from "../trace/vmtb/constants.ts";
import type { MachineOptions, RunResult, StrategyResult } from "./result.ts";
import { defaultSeriesInterval } from "./series.ts";
import type { WorkerReply, WorkerRequest } from "./replay_worker.ts";
import { BatchRing, RING_BATCH } from "./batch_ring.ts";

/** Memory when neither the options nor the trace header say (1 GiB). */
export const DEFAULT_MEM = 2 ** 30;

/** Progress of one strategy's replay. */
export interface ReplayProgress {
  /** The strategy being replayed. */
  strategy: string;
  /** Events replayed so far. */
  events: number;
  /** Events in the trace. */
  total: number;
}

/** Options of {@linkcode replayTrace}. */
export interface ReplayOptions {
  /** Path of the trace (any form, optionally gzipped). */
  trace: string;
  /**
   * The trace's name in messages and results, whose extension tells its form (default: `trace`;
   * the dashboard gives an upload's own name to the temporary file it wrote).
   */
  name?: string;
  /** Most bytes a gzip-compressed trace may inflate to (default: `trace/inflate.ts`). */
  maxInflate?: number;
  /** How to raise that limit, said in its error. */
  maxInflateHint?: string;
  /** Strategy names, or `["all"]`; default: every strategy of the registry. */
  strategies?: string[];
  /** Physical memory in bytes (overrides the header's `mem=`). */
  mem?: number;
  /** Swap in bytes (overrides the header's `swap=`; see the module doc). */
  swap?: number;
  /** TLB entries (default: the machine's `DEFAULT_TLB_ENTRIES`). */
  tlbEntries?: number;
  /** Kernel settings (`uapi/knobs.ts`); override the header's (`zero_page=0`, ...). */
  vm?: Partial<VmKnobs>;
  /** Check every load against the reference model; counts `verify_errors`. */
  verify?: boolean;
  /** Check the machine's invariants after every event; counts `check_errors`. */
  check?: boolean;
  /** With `check`: after every this many events instead, and after the last. */
  checkEvery?: number;
  /** Sample the time series every this many events (default: 200 to 500 samples). */
  seriesInterval?: number;
  /** Called as strategies progress (about every 64 Ki events each). */
  onProgress?: (p: ReplayProgress) => void;
  /** Aborts the replay: workers are terminated and the promise rejects with the reason. */
  signal?: AbortSignal;
}

/** Options of {@linkcode replayBytes}: those of {@linkcode replayTrace} but the path. */
export type ReplayBytesOptions = Omit<ReplayOptions, "trace">;

/**
 * Resolves strategy names: undefined, `[]` or `["all"]` mean every registered strategy (in registry
 * order). Throws a `RangeError` naming an unknown strategy and listing the known ones.
 *
 * @example
 * ```ts
 * import { resolveStrategies } from "./replay.ts";
 * if (resolveStrategies(["anon_vma_chain"]).join() !== "anon_vma_chain") throw new Error();
 * if (resolveStrategies(["all"]).length < 1) throw new Error();
 * ```
 */
export function resolveStrategies(names?: readonly string[]): string[] {
  const known = Object.keys(STRATEGIES);
  if (names === undefined || names.length === 0 || (names.length === 1 && names[0] === "all")) {
    return known.length > 0 ? known : [DEFAULT_STRATEGY];
  }
  const out: string[] = [];
  for (const n of names) {
    if (!(n in STRATEGIES)) {
      throw new RangeError(`Unknown strategy '${n}'; known strategies: ${known.join(", ")}`);
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** What a validation pass over a whole trace learned. */
interface Validated {
  header: TraceHeader;
  events: number;
}

/** Reads every event once: throws the reader's TraceError on the first malformed one. */
async function validate(reader: TraceReader): Promise<Validated> {
  try {
    let events = 0;
    for await (const b of reader.batches()) events += b.length;
    return { header: reader.header, events };
  } finally {
    await reader.close();
  }
}

/**
 * The kernel settings a trace's header declares (`zero_page=0`, ...; other keys are left alone).
 * Throws a {@linkcode TraceError} naming `file` for a value out of its range.
 *
 * @example
 * ```ts
 * import { headerKnobs } from "./replay.ts";
 * const k = headerKnobs({ version: 1, extra: { zero_page: "0", tool: "lackey" } }, "t.vmt");
 * if (k.zero_page !== false) throw new Error("zero_page=0");
 * ```
 */
export function headerKnobs(header: TraceHeader, file: string): Partial<VmKnobs> {
  const out: Partial<VmKnobs> = {};
  for (const [key, text] of Object.entries(header.extra ?? {})) {
    if (!isKnob(key)) continue;
    const r = parseKnob(key, text);
    if ("error" in r) throw new TraceError(file, 0, 0, `Header ${key}=${text}: ${r.error}`);
    (out as Record<string, unknown>)[key] = r.value;
  }
  return out;
}

/** The machine options a replay uses (see the module doc for the rules), with its settings. */
function machineOptions(v: Validated, opts: ReplayBytesOptions, knobs: VmKnobs): MachineOptions {
  const out: MachineOptions = {
    mem: opts.mem ?? v.header.mem ?? DEFAULT_MEM,
    swap: opts.swap ?? v.header.swap ?? 0,
    page: PAGE_SIZE,
    tlb_entries: opts.tlbEntries ?? DEFAULT_TLB_ENTRIES,
  };
  for (const k of KNOBS) out[k.name] = knobs[k.name];
  return out;
}

/**
 * Replays the trace at `opts.trace` once per strategy, in parallel workers.
 *
 * @example
 * ```ts
 * import { replayTrace } from "./replay.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1 mem=1M\n1 mmap 0x10000 8K rw- private,anon\n1 w 0x10000\n1 r 0x11000\n");
 * const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"], verify: true });
 * await Deno.remove(path);
 * const c = run.results.anon_vma_chain!.counters;
 * if (run.events !== 3 || c.minor_faults !== 2 || c.verify_errors !== 0) throw new Error("bad run");
 * ```
 */
export async function replayTrace(opts: ReplayOptions): Promise<RunResult> {
  const { trace, name = trace, ...rest } = opts;
  const strategies = resolveStrategies(opts.strategies);
  const read = {
    batchSize: RING_BATCH,
    name,
    ...(opts.maxInflate !== undefined ? { maxInflate: opts.maxInflate } : {}),
    ...(opts.maxInflateHint !== undefined ? { maxInflateHint: opts.maxInflateHint } : {}),
  };
  const reader = await readTrace(trace, read);
  const count = vmtbName(name) ? await vmtbFileCount(trace).catch(() => undefined) : undefined;
  return await validateAndRun(name, { path: trace, read }, reader, count, strategies, rest);
}

/**
 * Replays a trace given as bytes (an upload, say); `name` gives its form by extension (`.vmt`,
 * `.jsonl.gz`, ...) and names it in messages and results.
 *
 * @example
 * ```ts
 * import { replayBytes } from "./replay.ts";
 * const bytes = new TextEncoder().encode("vmtrace 1\n1 mmap 0x10000 4K rw- private,anon\n1 r 0x10000\n");
 * const run = await replayBytes(bytes, "up.vmt", { strategies: ["anon_vma_chain"] });
 * if (run.results.anon_vma_chain!.counters.zero_page_maps !== 1) throw new Error("bad run");
 * ```
 */
export async function replayBytes(
  bytes: Uint8Array,
  name: string,
  opts: ReplayBytesOptions = {},
): Promise<RunResult> {
  const strategies = resolveStrategies(opts.strategies);
  const reader = await readTraceBytes(bytes, { name, batchSize: RING_BATCH });
  const count = vmtbName(name) ? vmtbTrailerCount(bytes.subarray(-16)) : undefined;
  return await validateAndRun(name, { bytes, name }, reader, count, strategies, opts);
}

/** Whether `name` is a `.vmtb` trace without compression (its last bytes are its end marker). */
function vmtbName(name: string): boolean {
  try {
    const f = formatFromName(name);
    return f.form === "vmtb" && !f.gzip;
  } catch {
    return false;
  }
}

/**
 * The event count in a `.vmtb` end marker (the byte 0xff, then the count as a varint), read from
 * the last bytes of the file; undefined unless exactly one reading of them fits (a count whose
 * varint holds 0xff bytes may leave two). Only a hint: validation checks the marker against the
 * events.
 */
function vmtbTrailerCount(tail: Uint8Array): number | undefined {
  const n = tail.length;
  if (n < 2 || tail[n - 1]! >= 128) return undefined;
  let found: number | undefined;
  for (let len = 1; len <= 8 && len < n; len++) {
    if (len > 1 && tail[n - len]! < 128) break; // every varint byte but the last has the high bit
    if (tail[n - len - 1] !== REC_END) continue;
    if (found !== undefined) return undefined;
    let v = 0;
    for (let i = n - 1; i >= n - len; i--) v = v * 128 + (tail[i]! & 127);
    found = v;
  }
  return found;
}

/** {@linkcode vmtbTrailerCount} of the file at `path`. */
async function vmtbFileCount(path: string): Promise<number | undefined> {
  using f = await Deno.open(path, { read: true });
  const size = (await f.stat()).size;
  const want = Math.min(16, size);
  await f.seek(size - want, Deno.SeekMode.Start);
  const tail = new Uint8Array(want);
  let got = 0;
  while (got < want) {
    const r = await f.read(tail.subarray(got));
    if (r === null) return undefined;
    got += r;
  }
  return vmtbTrailerCount(tail);
}

/** Where a trace comes from: a file, or bytes in memory with their name. */
type TraceSource = { path: string; read: ReadTraceFileOptions } | {
  bytes: Uint8Array;
  name: string;
};

/** Opens `src` again (for the replay pass after a validation pass). */
function reopen(src: TraceSource): Promise<TraceReader> {
  return "path" in src
    ? readTrace(src.path, src.read)
    : readTraceBytes(src.bytes, { name: src.name, batchSize: RING_BATCH });
}

/**
 * Validates `reader`'s trace and replays it: this thread decodes it once into a ring of shared
 * batches that every worker replays (`BatchRing`). With the event count known up front (`count`),
 * the workers start at once and the decoding that feeds them is the validation: its error, if any,
 * stops them and is what the caller gets, so nothing replayed from an invalid file comes out.
 * Without it, a validation pass comes first (it gives the count that the time series' interval
 * and the progress need), then the trace is read again to feed the workers.
 */
async function validateAndRun(
  name: string,
  source: TraceSource,
  reader: TraceReader,
  count: number | undefined,
  strategies: string[],
  opts: ReplayBytesOptions,
): Promise<RunResult> {
  let events = count;
  if (events === undefined) {
    events = (await validate(reader)).events;
    reader = await reopen(source);
  }
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const ring = new BatchRing();
  let failed: { error: unknown } | undefined;
  const work = runWorkers(name, ring, { header: reader.header, events }, strategies, {
    ...opts,
    signal,
  });
  // A worker's failure stops the feeding (which may be waiting for a slot that worker holds).
  work.catch((error) => {
    failed ??= { error };
    stop.abort(error);
  });
  let fed: number;
  try {
    fed = await ring.feed(reader, signal);
  } catch (e) {
    stop.abort(e);
    await work.catch(() => {});
    throw failed !== undefined ? failed.error : e;
  } finally {
    await reader.close();
  }
  if (fed !== events) {
    const e = new Error(
      count !== undefined
        ? `${name}: validated ${fed} events, the end marker said ${count}`
        : `${name}: read ${fed} events, the validation pass read ${events} (did the file change?)`,
    );
    stop.abort(e);
    await work.catch(() => {});
    throw e;
  }
  return await work;
}

async function runWorkers(
  name: string,
  ring: BatchRing,
  v: Validated,
  strategies: string[],
  opts: ReplayBytesOptions,
): Promise<RunResult> {
  opts.signal?.throwIfAborted();
  const knobs = withDefaults({ ...headerKnobs(v.header, name), ...opts.vm });
  const machine = machineOptions(v, opts, knobs);
  const interval = opts.seriesInterval ?? defaultSeriesInterval(v.events);
  if (!Number.isSafeInteger(interval) || interval < 1) {
    throw new RangeError(`seriesInterval: expected a positive whole number, found ${interval}`);
  }
  const workers: Worker[] = [];
  const stopAll = () => workers.forEach((w) => w.terminate());
  try {
    const results = await Promise.all(strategies.map((strategy) => {
      const w = new Worker(new URL("./replay_worker.ts", import.meta.url), { type: "module" });
      workers.push(w);
      const post = (req: WorkerRequest) => w.postMessage(req);
      ring.attach({
        batch: (slot, length, strings) => post({ kind: "batch", slot, length, strings }),
        end: () => post({ kind: "end" }),
      });
      post({
        kind: "start",
        slots: ring.buffers,
        capacity: ring.capacity,
        options: {
          strategy,
          memPages: Math.floor(machine.mem / PAGE_SIZE),
          swapPages: Math.floor(machine.swap / PAGE_SIZE),
          tlbEntries: machine.tlb_entries,
          vm: knobs,
          check: opts.check ?? false,
          ...(opts.checkEvery !== undefined ? { checkEvery: opts.checkEvery } : {}),
          verify: opts.verify ?? false,
          seriesInterval: interval,
          totalEvents: v.events,
        },
      });
      return runOne(name, w, ring, strategy, v.events, opts);
    }));
    const out: Record<string, StrategyResult> = {};
    strategies.forEach((s, i) => out[s] = results[i]!);
    return { trace: name, events: v.events, machine, results: out };
  } finally {
    stopAll();
  }
}

/** Runs one started worker to completion; rejects on its error or on abort. */
function runOne(
  name: string,
  w: Worker,
  ring: BatchRing,
  strategy: string,
  total: number,
  opts: ReplayBytesOptions,
): Promise<StrategyResult> {
  return new Promise((resolve, reject) => {
    const signal = opts.signal;
    const onAbort = () => {
      w.terminate();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal?.removeEventListener("abort", onAbort);
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      const m = e.data;
      if (m.kind === "release") {
        ring.release(m.slot);
      } else if (m.kind === "progress") {
        opts.onProgress?.({ strategy, events: m.events, total });
      } else if (m.kind === "done") {
        settle();
        opts.onProgress?.({ strategy, events: total, total });
        resolve(m.result);
      } else {
        settle();
        if (m.name === "ReplayLimitError") {
          // A trace that asks for more than the machine model can hold: bad input, at its line.
          reject(new TraceError(name, m.line ?? 0, 0, `${strategy}: ${m.message}`));
          return;
        }
        const err = new Error(`Replay of '${strategy}' failed: ${m.message}`);
        // Keep the kind (a TraceError stays one for the command line's exit code).
        err.name = m.name;
        if (m.stack !== undefined) {
          err.stack = `${err.name}: ${err.message}\n--- in worker:\n${m.stack}`;
        }
        reject(err);
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      settle();
      reject(new Error(`Replay worker for '${strategy}' crashed: ${e.message}`));
    };
  });
}
