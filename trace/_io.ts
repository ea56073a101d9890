/**
 * Bytes in, for every reader of the package: {@linkcode ByteSource} (what a caller hands in: a
 * stream, an iterable of chunks or bytes in memory), {@linkcode ChunkReader} (the pull reader the
 * form decoders take: a file read into one reused buffer, bytes in memory, any byte source, gzip
 * decompression of any of them, bounded by `inflate.ts`, with read errors turned into
 * {@linkcode TraceError}s that name the file), and {@linkcode FormDecoder}, the interface each
 * form's reader implements.
 *
 * @module
 */
import type { EventBatch } from "./batch.ts";
import type { TraceHeader } from "./event.ts";
import { TraceError } from "./error.ts";
import { commandOutput } from "./_command.ts";
import { gunzipChunks } from "./inflate.ts";

/** A source of bytes: an open file, a stream, or bytes already in memory. */
export type ByteSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array;

/**
 * A pull reader of byte chunks. A returned chunk may be overwritten by the next `read()`: the
 * consumer must be done with it (or copy what it keeps) before reading again.
 */
export interface ChunkReader {
  /** The next chunk, or null at the end. */
  read(): Promise<Uint8Array | null>;
  /**
   * If present: reads the next bytes straight into `dst` (saving a copy), returning how many, or
   * null at the end. A consumer uses either this or {@linkcode ChunkReader.read}, not both.
   */
  readInto?(dst: Uint8Array): Promise<number | null>;
  /** Releases the source. */
  close(): Promise<void>;
}

/** Reads one form (`text/`, `jsonl/`, `csv/`, `vmtb/`): the header first, then batches. */
export interface FormDecoder {
  /** Reads up to and including the header. */
  readHeader(): Promise<TraceHeader>;
  /** Clears `batch` and fills it; false when the input is used up (the batch may hold events). */
  next(batch: EventBatch): Promise<boolean>;
}

const CHUNK = 1 << 20;

/**
 * Reads a trace file in chunks of up to 1 MiB into one reused buffer. A file that cannot be opened
 * or read throws a {@linkcode TraceError} naming it `name` (default: its path; a missing one,
 * `Deno.errors.NotFound`).
 */
export async function fileReader(path: string, name = path): Promise<ChunkReader> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw e;
    throw new TraceError(name, 0, 0, `Cannot open the trace: ${(e as Error).message}`);
  }
  const buf = new Uint8Array(CHUNK);
  let closed = false;
  return {
    async read() {
      if (closed) return null;
      let n: number | null;
      try {
        n = await file.read(buf);
      } catch (e) {
        throw new TraceError(name, 0, 0, `Cannot read the trace: ${(e as Error).message}`);
      }
      if (n === null) return null;
      return buf.subarray(0, n);
    },
    async readInto(dst: Uint8Array) {
      if (closed || dst.length === 0) return null;
      try {
        return await file.read(dst);
      } catch (e) {
        throw new TraceError(name, 0, 0, `Cannot read the trace: ${(e as Error).message}`);
      }
    },
    close() {
      if (!closed) {
        closed = true;
        file.close();
      }
      return Promise.resolve();
    },
  };
}

/** One chunk holding all of `bytes`. */
export function bytesReader(bytes: Uint8Array): ChunkReader {
  let done = false;
  return {
    read() {
      if (done) return Promise.resolve(null);
      done = true;
      return Promise.resolve(bytes);
    },
    close() {
      done = true;
      return Promise.resolve();
    },
  };
}

/**
 * Decompresses a gzip reader, bounded (`inflate.ts`): a truncated or corrupt stream, or one that
 * inflates past `limit` bytes, throws a TraceError naming `name` (`hint`: how to raise the limit).
 */
export function gunzipReader(
  src: ChunkReader,
  name: string,
  limit?: number,
  hint?: string,
): ChunkReader {
  async function* compressed(): AsyncGenerator<Uint8Array> {
    while (true) {
      const c = await src.read();
      if (c === null) return;
      yield c;
    }
  }
  const out = gunzipChunks(compressed(), name, limit, hint);
  let done = false;
  return {
    async read() {
      if (done) return null;
      const r = await out.next();
      if (r.done) {
        done = true;
        return null;
      }
      return r.value;
    },
    async close() {
      done = true;
      await out.return(undefined);
      await src.close();
    },
  };
}

/** Turns a {@linkcode ByteSource} into an async iterable of byte chunks. */
export async function* chunksOf(src: ByteSource): AsyncIterable<Uint8Array> {
  if (src instanceof Uint8Array) {
    yield src;
    return;
  }
  if (src instanceof ReadableStream) {
    const reader = src.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        if (value) yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* src as AsyncIterable<Uint8Array>;
}

/** A {@linkcode ChunkReader} over any {@linkcode ByteSource}. */
export function readerOf(src: ByteSource): ChunkReader {
  const it = chunksOf(src)[Symbol.asyncIterator]();
  return {
    async read() {
      const r = await it.next();
      return r.done ? null : r.value;
    },
    async close() {
      await it.return?.();
    },
  };
}

/**
 * Reads the file at `path` (`-`: standard input) in 1 MiB chunks, decompressing it when the name
 * ends in `.gz` (as it streams) or `.xz` (through `xz -dc`, Debian's xz-utils). One buffer is
 * reused, so each chunk is valid only until the next is requested (the readers copy what they
 * keep). The file is closed when iteration ends.
 */
export async function* fileChunks(path: string): AsyncIterable<Uint8Array> {
  if (path === "-") {
    yield* Deno.stdin.readable;
    return;
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
    if ((await file.stat()).isDirectory) {
      file.close();
      throw new Deno.errors.IsADirectory("is a directory, expected a file");
    }
  } catch (e) {
    // Name the file in the message (Deno's own names it only for some errors).
    if (e instanceof Error) e.message = `${path}: cannot read: ${e.message}`;
    throw e;
  }
  if (path.endsWith(".xz")) {
    // Decompressed by xz as it streams.
    file.close();
    yield* commandOutput("xz", ["-dc", "--", path], (code, err) =>
      new TraceError(
        path,
        0,
        0,
        code < 0
          ? `Reading .xz needs xz (Debian/Ubuntu: apt-get install xz-utils): ${err}`
          : `Truncated or corrupt xz data: ${err}`,
      ));
    return;
  }
  if (path.endsWith(".gz")) {
    // A gzip-compressed input is decompressed as it streams, bounded (`inflate.ts`; the stream
    // closes the file).
    yield* gunzipChunks(file.readable, path);
    return;
  }
  try {
    const buf = new Uint8Array(CHUNK);
    while (true) {
      const n = await file.read(buf);
      if (n === null) return;
      yield buf.subarray(0, n);
    }
  } finally {
    file.close();
  }
}
