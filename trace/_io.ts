/**
 * Bytes in, for every reader of the package: {@linkcode ByteSource} (what a caller hands in: a
 * stream, an iterable of chunks or bytes in memory), {@linkcode ChunkReader} (the pull reader the
 * form decoders take: a file read into one reused buffer, bytes in memory, any `ReadableStream`,
 * gzip decompression of any of them, with stream errors turned into {@linkcode TraceError}s that
 * name the file), and {@linkcode FormDecoder}, the interface each form's reader implements.
 *
 * @module
 */
import type { EventBatch } from "./batch.ts";
import type { TraceHeader } from "./event.ts";
import { TraceError } from "./error.ts";

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
 * or read throws a {@linkcode TraceError} naming it (a missing one, `Deno.errors.NotFound`).
 */
export async function fileReader(path: string): Promise<ChunkReader> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw e;
    throw new TraceError(path, 0, 0, `Cannot open the trace: ${(e as Error).message}`);
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
        throw new TraceError(path, 0, 0, `Cannot read the trace: ${(e as Error).message}`);
      }
      if (n === null) return null;
      return buf.subarray(0, n);
    },
    async readInto(dst: Uint8Array) {
      if (closed || dst.length === 0) return null;
      try {
        return await file.read(dst);
      } catch (e) {
        throw new TraceError(path, 0, 0, `Cannot read the trace: ${(e as Error).message}`);
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

/** Chunks of a `ReadableStream`; stream errors become a {@linkcode TraceError} naming `name`. */
export function streamReader(
  stream: ReadableStream<Uint8Array>,
  name: string,
  what = "Read error",
): ChunkReader {
  const reader = stream.getReader();
  return {
    async read() {
      try {
        const { done, value } = await reader.read();
        return done ? null : value;
      } catch (e) {
        throw new TraceError(name, 0, 0, `${what}: ${(e as Error).message}`);
      }
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}

/** The reader as a `ReadableStream` (its chunks copied, since the reader may reuse them). */
export function readerStream(src: ChunkReader): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(ctl) {
      try {
        const c = await src.read();
        if (c === null) {
          ctl.close();
          await src.close();
        } else ctl.enqueue(c.slice());
      } catch (e) {
        ctl.error(e);
        await src.close();
      }
    },
    async cancel() {
      await src.close();
    },
  }, { highWaterMark: 0 });
}

/** Decompresses a gzip reader; a truncated or corrupt stream throws a TraceError naming `name`. */
export function gunzipReader(src: ChunkReader, name: string): ChunkReader {
  const stream = readerStream(src).pipeThrough(new DecompressionStream("gzip"));
  return streamReader(stream, name, "Truncated or corrupt gzip data");
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
 * ends in `.gz`. One buffer is reused, so each chunk is valid only until the next is requested
 * (the readers copy what they keep). The file is closed when iteration ends.
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
  if (path.endsWith(".gz")) {
    // A gzip-compressed input is decompressed as it streams (the stream closes the file).
    try {
      yield* file.readable.pipeThrough(new DecompressionStream("gzip"));
    } catch (e) {
      // The decompressor's own TypeError names neither the file nor what is wrong with it.
      if (e instanceof TypeError) {
        throw new TraceError(path, 0, 0, `Truncated or corrupt gzip data: ${e.message}`);
      }
      throw e;
    }
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
