/**
 * Streaming line readers for the importers: real traces reach tens of gigabytes, so they are read
 * in chunks and split on `\n` over bytes, never loaded whole.
 *
 * @module
 */
import { TraceError } from "./error.ts";

/** Bytes of input read at a time from a file. */
const CHUNK = 1 << 20;

/** A source of bytes: an open file, a stream, or bytes already in memory. */
export type ByteSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array;

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

/** Receives one line: `bytes[start, end)`, without the line break; valid only during the call. */
export type LineHandler = (bytes: Uint8Array, start: number, end: number) => void;

/**
 * Splits a stream of byte chunks into lines over bytes, synchronously, chunk by chunk. A `\r`
 * before the `\n` is dropped; the last line need not end with `\n`. Allocates only when a line
 * straddles two chunks.
 *
 * @example
 * ```ts
 * import { LineSplitter } from "./_lines.ts";
 * const seen: number[] = [];
 * const s = new LineSplitter();
 * const on = (_b: Uint8Array, a: number, e: number) => { seen.push(e - a); };
 * s.push(new TextEncoder().encode("ab\ncd"), on);
 * s.push(new TextEncoder().encode("e\r\nf"), on);
 * s.end(on);
 * if (seen.join() !== "2,3,1") throw new Error(seen.join());
 * ```
 */
export class LineSplitter {
  #carry: Uint8Array | null = null;

  /** Feeds one chunk, calling `onLine` for every line it completes. */
  push(chunk: Uint8Array, onLine: LineHandler): void {
    let pos = 0;
    if (this.#carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        const joined = new Uint8Array(this.#carry.length + chunk.length);
        joined.set(this.#carry);
        joined.set(chunk, this.#carry.length);
        this.#carry = joined;
        return;
      }
      const line = new Uint8Array(this.#carry.length + nl);
      line.set(this.#carry);
      line.set(chunk.subarray(0, nl), this.#carry.length);
      this.#carry = null;
      emit(line, 0, line.length, onLine);
      pos = nl + 1;
    }
    const n = chunk.length;
    while (pos < n) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        this.#carry = chunk.slice(pos);
        return;
      }
      emit(chunk, pos, nl, onLine);
      pos = nl + 1;
    }
  }

  /** Ends the input: emits a last line that had no line break. */
  end(onLine: LineHandler): void {
    const c = this.#carry;
    this.#carry = null;
    if (c && c.length > 0) emit(c, 0, c.length, onLine);
  }
}

function emit(b: Uint8Array, s: number, e: number, onLine: LineHandler): void {
  if (e > s && b[e - 1] === 13) e--;
  onLine(b, s, e);
}

/**
 * Calls `onLine(bytes, start, end)` for every line of `src` (see {@linkcode LineSplitter}).
 *
 * @example
 * ```ts
 * import { forEachLineBytes } from "./_lines.ts";
 * let n = 0;
 * await forEachLineBytes(new TextEncoder().encode("a\nbb\nccc"), (_b, s, e) => { n += e - s; });
 * if (n !== 6) throw new Error("expected 6 bytes of lines");
 * ```
 */
export async function forEachLineBytes(src: ByteSource, onLine: LineHandler): Promise<void> {
  const splitter = new LineSplitter();
  for await (const chunk of chunksOf(src)) splitter.push(chunk, onLine);
  splitter.end(onLine);
}

/**
 * Yields the lines of `src` as strings (UTF-8, invalid bytes replaced), without line breaks.
 *
 * @example
 * ```ts
 * import { readLines } from "./_lines.ts";
 * const out: string[] = [];
 * for await (const l of readLines(new TextEncoder().encode("x\r\ny\n"))) out.push(l);
 * if (out.join("|") !== "x|y") throw new Error(out.join("|"));
 * ```
 */
export async function* readLines(src: ByteSource): AsyncIterable<string> {
  const dec = new TextDecoder();
  let carry = "";
  for await (const chunk of chunksOf(src)) {
    const text = carry + dec.decode(chunk, { stream: true });
    const parts = text.split("\n");
    carry = parts.pop()!;
    for (const p of parts) yield p.endsWith("\r") ? p.slice(0, -1) : p;
  }
  carry += dec.decode();
  if (carry.length > 0) yield carry.endsWith("\r") ? carry.slice(0, -1) : carry;
}

/**
 * Reads the file at `path` (`-`: standard input) in 1 MiB chunks, decompressing it when the name
 * ends in `.gz`. One buffer is reused, so each chunk is valid only until the next is requested
 * (both line readers above copy what they keep). The file is closed when iteration ends.
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
