/**
 * Byte sources for the readers: a file read into one reused buffer, bytes in memory, any
 * `ReadableStream`, and gzip decompression of any of them, with stream errors turned into
 * {@linkcode TraceError}s that name the file.
 *
 * @module
 */
import { TraceError } from "./error.ts";

/**
 * A pull source of byte chunks. A returned chunk may be overwritten by the next `read()`: the
 * consumer must be done with it (or copy what it keeps) before reading again.
 */
export interface ByteSource {
  /** The next chunk, or null at the end. */
  read(): Promise<Uint8Array | null>;
  /**
   * If present: reads the next bytes straight into `dst` (saving a copy), returning how many, or
   * null at the end. A consumer uses either this or {@linkcode ByteSource.read}, not both.
   */
  readInto?(dst: Uint8Array): Promise<number | null>;
  /** Releases the source. */
  close(): Promise<void>;
}

const CHUNK = 1 << 20;

/** Reads a file in chunks of up to 1 MiB into one reused buffer. */
export async function fileSource(path: string): Promise<ByteSource> {
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
export function bytesSource(bytes: Uint8Array): ByteSource {
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
export function streamSource(
  stream: ReadableStream<Uint8Array>,
  name: string,
  what = "Read error",
): ByteSource {
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

/** The source as a `ReadableStream` (its chunks copied, since the source may reuse them). */
export function sourceStream(src: ByteSource): ReadableStream<Uint8Array<ArrayBuffer>> {
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

/** Decompresses a gzip source; a truncated or corrupt stream throws a TraceError naming `name`. */
export function gunzipSource(src: ByteSource, name: string): ByteSource {
  const stream = sourceStream(src).pipeThrough(new DecompressionStream("gzip"));
  return streamSource(stream, name, "Truncated or corrupt gzip data");
}
