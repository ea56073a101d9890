/**
 * Reading traces in any form: {@linkcode readTrace} (a file), {@linkcode readTraceBytes} (bytes in
 * memory) and {@linkcode validateTrace}. The form comes from the name's extension (`.vmt`,
 * `.jsonl`, `.csv`, `.vmtb`, each optionally `.gz`); reading is streamed, so memory stays flat
 * however large the trace is.
 *
 * @module
 */
import { EventBatch } from "./batch.ts";
import type { Event, TraceHeader } from "./event.ts";
import { formatFromName, type TraceFormat } from "./format.ts";
import type { TraceForm } from "./format.ts";
import {
  bytesReader,
  type ChunkReader,
  fileReader,
  type FormDecoder,
  gunzipReader,
} from "./_io.ts";
import { TextFormDecoder } from "./text/mod.ts";
import { JsonlDecoder } from "./jsonl/mod.ts";
import { CsvDecoder } from "./csv/mod.ts";
import { VmtbDecoder } from "./vmtb/mod.ts";

/** Options for {@linkcode readTrace}. */
export interface ReadTraceOptions {
  /** Events per batch (default 4096). */
  batchSize?: number;
  /**
   * Most bytes a gzip-compressed trace may inflate to (default: `inflate.ts`'s `maxInflate()`,
   * 16 GiB unless `VMREPLAY_MAX_INFLATE` says otherwise); past it, a TraceError.
   */
  maxInflate?: number;
  /** How to raise that limit, said in its error (default: the environment variable). */
  maxInflateHint?: string;
  /**
   * Hears warnings about the file that are not errors (a `.vmtb` file of version 2, without
   * checksums), once each; default: printed on standard error.
   */
  onWarning?: (message: string) => void;
}

/** Options for {@linkcode readTrace}. */
export interface ReadTraceFileOptions extends ReadTraceOptions {
  /** The name messages give the trace (default: its path). */
  name?: string;
  /** The format (default: from the extension of `name`, else of the path). */
  format?: TraceFormat;
}

/** Options for {@linkcode readTraceBytes}. */
export interface ReadTraceBytesOptions extends ReadTraceOptions {
  /** The trace's name, for error messages and (without `format`) its extension. */
  name: string;
  /** The format; guessed from `name` when absent. */
  format?: TraceFormat;
}

/** An open trace: its header, then its events, once, as batches or as objects. */
export interface TraceReader {
  /** The file name (or the name given to {@linkcode readTraceBytes}). */
  name: string;
  /** Its format. */
  format: TraceFormat;
  /** Its header. */
  header: TraceHeader;
  /**
   * The events in batches. A yielded batch may be reused by the reader: it is valid until the
   * next iteration step. Malformed input throws a {@linkcode TraceError}.
   *
   * With `supply`, each step decodes into the batch `supply` gives (after clearing it) instead of
   * the reader's own: the replay runner decodes into batches it shares with its workers.
   */
  batches(supply?: () => EventBatch | Promise<EventBatch>): AsyncIterableIterator<EventBatch>;
  /** The events one object at a time (allocates per event; for small traces and tools). */
  events(): AsyncIterableIterator<Event>;
  /** Releases the file. Reading to the end closes it as well. */
  close(): Promise<void>;
}

/**
 * The decoder for `form` over `src` (already decompressed); `onWarning` hears what is worth saying
 * but not an error (a `.vmtb` file without checksums).
 */
function decoderFor(
  form: TraceForm,
  src: ChunkReader,
  name: string,
  onWarning?: (message: string) => void,
): FormDecoder {
  switch (form) {
    case "text":
      return new TextFormDecoder(src, name);
    case "vmtb":
      return new VmtbDecoder(src, name, onWarning);
    case "jsonl":
      return new JsonlDecoder(src, name);
    case "csv":
      return new CsvDecoder(src, name);
  }
}

async function open(
  src: ChunkReader,
  name: string,
  format: TraceFormat,
  opts: ReadTraceOptions,
): Promise<TraceReader> {
  const batchSize = opts.batchSize ?? 4096;
  const source = format.gzip ? gunzipReader(src, name, opts.maxInflate, opts.maxInflateHint) : src;
  let decoder: FormDecoder;
  let header: TraceHeader;
  try {
    decoder = decoderFor(format.form, source, name, opts.onWarning);
    header = await decoder.readHeader();
  } catch (e) {
    await source.close();
    await src.close();
    throw e;
  }
  let started = false;
  const close = async () => {
    await source.close();
    await src.close();
  };
  async function* batches(
    supply?: () => EventBatch | Promise<EventBatch>,
  ): AsyncIterableIterator<EventBatch> {
    if (started) throw new Error(`TraceReader for ${name}: the events can be read only once`);
    started = true;
    const own = supply === undefined ? new EventBatch(batchSize) : undefined;
    try {
      while (true) {
        const batch = own ?? await supply!();
        const more = await decoder.next(batch);
        if (batch.length > 0) yield batch;
        if (!more) break;
      }
    } finally {
      await close();
    }
  }
  async function* events(): AsyncIterableIterator<Event> {
    for await (const b of batches()) {
      for (let i = 0; i < b.length; i++) yield b.get(i);
    }
  }
  return { name, format, header, batches, events, close };
}

/**
 * Opens a trace file; the form comes from its extension. Throws a {@linkcode TraceError} for a
 * malformed header or an unknown extension, `Deno.errors.NotFound` for a missing file.
 *
 * @example
 * ```ts
 * import { readTrace } from "./read.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1 mem=8M\n1 mmap 0x10000 64K rw- private,anon\n1 w 0x10000\n");
 * const reader = await readTrace(path);
 * let n = 0;
 * for await (const batch of reader.batches()) n += batch.length;
 * if (reader.header.mem !== 8 << 20 || n !== 2) throw new Error("read");
 * await Deno.remove(path);
 * ```
 */
export async function readTrace(
  path: string,
  opts: ReadTraceFileOptions = {},
): Promise<TraceReader> {
  const name = opts.name ?? path;
  const format = opts.format ?? formatFromName(opts.name ?? path);
  return await open(await fileReader(path, name), name, format, opts);
}

/**
 * Reads a trace held in memory (an upload, a test fixture); the form comes from `opts.format` or
 * the extension of `opts.name`.
 *
 * @example
 * ```ts
 * import { readTraceBytes } from "./read.ts";
 * const bytes = new TextEncoder().encode('{"pid":1,"op":"w","addr":"0x1000"}\n');
 * const reader = await readTraceBytes(bytes, { name: "upload.jsonl" });
 * const events = [];
 * for await (const ev of reader.events()) events.push(ev);
 * if (events.length !== 1 || events[0]?.op !== "w") throw new Error("bytes");
 * ```
 */
export async function readTraceBytes(
  bytes: Uint8Array,
  opts: ReadTraceBytesOptions,
): Promise<TraceReader> {
  const format = opts.format ?? formatFromName(opts.name);
  return await open(bytesReader(bytes), opts.name, format, opts);
}

/**
 * Checks a whole trace without replaying it: returns its header and event count, or throws the
 * {@linkcode TraceError} of the first malformed spot.
 *
 * @example
 * ```ts
 * import { validateTrace } from "./read.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1\n1 w 0x1000\n1 frobnicate\n");
 * try {
 *   await validateTrace(path);
 *   throw new Error("should have failed");
 * } catch (e) {
 *   if (!(e as Error).message.endsWith(":3:3: Unknown op 'frobnicate' (expected one of mmap, munmap, mremap, mprotect, madvise, mlock, munlock, msync, fork, clone, exec, exit, r, w, x, create, read, write, truncate, unlink, fsync, swapon, swapoff, reclaim, mark)")) throw e;
 * }
 * await Deno.remove(path);
 * ```
 */
export async function validateTrace(
  path: string,
  opts: ReadTraceFileOptions = {},
): Promise<{ header: TraceHeader; events: number }> {
  const reader = await readTrace(path, { batchSize: 8192, ...opts });
  let events = 0;
  for await (const b of reader.batches()) events += b.length;
  return { header: reader.header, events };
}
