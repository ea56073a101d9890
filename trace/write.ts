/**
 * {@linkcode writeTrace}: a trace to a file in the form its extension names, written through a
 * temporary file and renamed into place, so readers never see half a file and a failure leaves
 * nothing behind.
 *
 * @module
 */
import { EventBatch } from "./batch.ts";
import type { Event, TraceHeader } from "./event.ts";
import { formatFromName, type TraceFormat } from "./format.ts";
import { formatEvent, formatHeader } from "./text/mod.ts";
import { eventToJson, headerToJson } from "./jsonl/mod.ts";
import { CSV_COLUMNS, eventToCsvRow } from "./csv/mod.ts";
import { VmtbEncoder } from "./vmtb/mod.ts";
import { eventProblem } from "./check.ts";
import { stringify as csvStringify } from "npm:csv-stringify@6.9.0/sync";
import { createTemp, dirOf, sweepStaleTemps } from "./tempfiles.ts";

/** Options for {@linkcode writeTrace}. */
export interface WriteTraceOptions {
  /** The format; chosen from the path's extension when absent. */
  format?: TraceFormat;
}

const FLUSH = 1 << 20;

/** Turns batches into chunks of bytes of one form. */
async function* encode(
  form: TraceFormat["form"],
  header: TraceHeader,
  batches: AsyncIterable<EventBatch>,
): AsyncGenerator<Uint8Array> {
  const te = new TextEncoder();
  if (form === "vmtb") {
    const enc = new VmtbEncoder(header);
    for await (const b of batches) {
      for (let i = 0; i < b.length; i++) enc.add(b, i);
      if (enc.size >= FLUSH) yield enc.take();
    }
    enc.finish();
    yield enc.take();
    return;
  }
  let out: string[] = [];
  let size = 0;
  if (form === "text") out.push(formatHeader(header) + "\n");
  else if (form === "jsonl") out.push(JSON.stringify(headerToJson(header)) + "\n");
  else {
    out.push(`# ${formatHeader(header)}\n`);
    out.push(CSV_COLUMNS.join(",") + "\n");
  }
  for await (const b of batches) {
    const rows: string[][] = [];
    for (let i = 0; i < b.length; i++) {
      const ev = b.get(i);
      if (form === "text") out.push(formatEvent(ev) + "\n");
      else if (form === "jsonl") out.push(JSON.stringify(eventToJson(ev)) + "\n");
      else rows.push(eventToCsvRow(ev));
      size += 32;
    }
    if (rows.length > 0) out.push(csvStringify(rows));
    if (size >= FLUSH) {
      yield te.encode(out.join(""));
      out = [];
      size = 0;
    }
  }
  yield te.encode(out.join(""));
}

/** Checks events and groups them into batches (reusing one batch). */
async function* batchesOf(
  events: Iterable<Event> | AsyncIterable<Event>,
): AsyncGenerator<EventBatch> {
  const b = new EventBatch(4096);
  let n = 0;
  for await (const ev of events) {
    n++;
    const problem = eventProblem(ev);
    if (problem !== undefined) throw new TypeError(`writeTrace: event ${n}: ${problem}`);
    if (b.full) {
      yield b;
      b.clear();
    }
    b.push(ev);
  }
  if (b.length > 0) yield b;
}

/** Temporary files being written: removed if the process is interrupted (SIGINT, SIGTERM). */
const pending = new Set<string>();
const SIGNALS: { signal: Deno.Signal; code: number; handler: () => void }[] = (
  Deno.build.os === "windows"
    ? [{ signal: "SIGINT" as const, code: 130 }]
    : [{ signal: "SIGINT" as const, code: 130 }, { signal: "SIGTERM" as const, code: 143 }]
).map(({ signal, code }) => ({
  signal,
  code,
  handler: () => {
    for (const tmp of pending) {
      try {
        Deno.removeSync(tmp);
      } catch { /* already gone */ }
    }
    Deno.exit(code);
  },
}));

function track(tmp: string): void {
  if (pending.size === 0) {
    for (const s of SIGNALS) Deno.addSignalListener(s.signal, s.handler);
  }
  pending.add(tmp);
}

function untrack(tmp: string): void {
  pending.delete(tmp);
  if (pending.size === 0) {
    for (const s of SIGNALS) Deno.removeSignalListener(s.signal, s.handler);
  }
}

/**
 * Writes batches to `path` atomically in the form its extension (or `opts.format`) names. Each
 * batch is used before the next is asked for, so a reader's reused batch can be passed through.
 * The temporary file is removed on any failure (a write error, a batch source that throws) and if
 * the process is interrupted by SIGINT or SIGTERM while writing (it then exits 130 or 143); one left
 * by a writer killed outright (SIGKILL) is removed by the next write into the same directory
 * (`tempfiles.ts`).
 *
 * @example
 * ```ts
 * import { writeTraceBatches } from "./write.ts";
 * import { readTrace } from "./read.ts";
 * import { TraceBuilder } from "./builder.ts";
 * const dir = await Deno.makeTempDir();
 * const t = new TraceBuilder().mmap(1, 0, "8K", "rw-", "private,anon").w(1, 4096);
 * async function* one() { yield t.batch(); }
 * await writeTraceBatches(`${dir}/t.vmtb`, t.header(), one());
 * const r = await readTrace(`${dir}/t.vmtb`);
 * let n = 0;
 * for await (const _ of r.events()) n++;
 * if (n !== 2) throw new Error("write");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTraceBatches(
  path: string,
  header: TraceHeader,
  batches: AsyncIterable<EventBatch>,
  opts: WriteTraceOptions = {},
): Promise<void> {
  const format = opts.format ?? formatFromName(path);
  // Temporary files that writers killed before us left in this directory go first.
  await sweepStaleTemps(dirOf(path));
  // Locked until renamed (tempfiles.ts): a sweeper elsewhere leaves it alone.
  const { tmp, release } = await createTemp(path).catch((e) => {
    throw namedWriteError(e, path);
  });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true });
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    release();
    throw namedWriteError(e, path);
  }
  track(tmp);
  try {
    const sink = format.gzip ? new CompressionStream("gzip") : undefined;
    const piped = sink ? sink.readable.pipeTo(file.writable) : undefined;
    const writer = sink ? sink.writable.getWriter() : file.writable.getWriter();
    try {
      for await (const chunk of encode(format.form, header, batches)) {
        await writer.write(chunk as Uint8Array<ArrayBuffer>);
      }
      await writer.close();
      if (piped) await piped;
    } catch (e) {
      await writer.abort(e).catch(() => {});
      if (piped) await piped.catch(() => {});
      throw e;
    }
    await Deno.rename(tmp, path).catch((e) => {
      throw namedWriteError(e, path);
    });
  } catch (e) {
    try {
      file.close();
    } catch { /* already closed by its stream */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  } finally {
    release();
    untrack(tmp);
  }
}

/** `e` (an OS error about the temporary file) with a message naming `path`, the file asked for. */
function namedWriteError(e: unknown, path: string): unknown {
  if (e instanceof Error) {
    e.message = `${path}: cannot write: ${e.message.replace(/(\(os error \d+\)): .*$/s, "$1")}`;
  }
  return e;
}

/**
 * Writes a trace to `path` atomically, in the form its extension names (`.vmt`, `.jsonl`,
 * `.csv`, `.vmtb`, each optionally `.gz`). Every event is checked first
 * ({@linkcode eventProblem}): one no form could carry (a label with a space, PID 0 on a process
 * op, an address past 2^57) throws a TypeError naming it, and nothing is written.
 *
 * @example
 * ```ts
 * import { writeTrace } from "./write.ts";
 * import { TraceBuilder } from "./builder.ts";
 * const dir = await Deno.makeTempDir();
 * const t = new TraceBuilder({ mem: "8M" }).mmap(1, 0, "8K", "rw-", "private,anon").w(1, 4096);
 * await writeTrace(`${dir}/t.jsonl.gz`, t.header(), t.events());
 * if ((await Deno.stat(`${dir}/t.jsonl.gz`)).size === 0) throw new Error("empty");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTrace(
  path: string,
  header: TraceHeader,
  events: Iterable<Event> | AsyncIterable<Event>,
  opts: WriteTraceOptions = {},
): Promise<void> {
  await writeTraceBatches(path, header, batchesOf(events), opts);
}
