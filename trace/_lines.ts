/**
 * The package's one line reader, {@linkcode LineReader}, and {@linkcode readLines} over any
 * {@linkcode ByteSource}: real traces reach tens of gigabytes, so they are read in chunks and
 * split on `\n`, never loaded whole.
 *
 * @module
 */
import { TraceError } from "./error.ts";
import { type ByteSource, type ChunkReader, readerOf } from "./_io.ts";

/** Longest line accepted, in bytes; a longer one is reported as an error, not buffered. */
export const MAX_LINE = 64 * 1024;

/**
 * Longest line the importers take (1 MiB): a longer one is not strace or lackey output (binary
 * data, or a file without line breaks), and is refused before it fills memory.
 */
export const MAX_IMPORT_LINE = 1 << 20;

/**
 * Splits a {@linkcode ChunkReader} into lines (as strings), with their 1-based numbers. Each chunk is decoded
 * once, up to its last line break, and lines are cut from that text: {@linkcode LineReader.lineSync}
 * gives the next line without a promise when it is already decoded. A `\r` before the `\n` is
 * dropped, and a byte order mark at the start; the last line need not end with `\n`.
 */
export class LineReader {
  #src: ChunkReader;
  #name: string;
  #max: number;
  #dec = new TextDecoder();
  #enc = new TextEncoder();
  #text = ""; // decoded whole lines, each with its line break
  #tpos = 0;
  #carry: Uint8Array[] = []; // bytes after the last line break read so far
  #carryLen = 0;
  #eof = false;
  /** The number of the line last returned (1-based). */
  lineNo = 0;

  /** Lines of `src`, named `name` in errors; a line longer than `maxLine` bytes is an error. */
  constructor(src: ChunkReader, name: string, maxLine: number = MAX_LINE) {
    this.#src = src;
    this.#name = name;
    this.#max = maxLine;
  }

  /**
   * The next line if it is decoded already, else undefined (then call `line`). With `skipBlank`,
   * empty lines are counted and passed over without making a string each.
   */
  lineSync(skipBlank = false): string | undefined {
    if (skipBlank) {
      const t = this.#text;
      let p = this.#tpos;
      while (t.charCodeAt(p) === 10) p++;
      this.lineNo += p - this.#tpos;
      this.#tpos = p;
    }
    const nl = this.#text.indexOf("\n", this.#tpos);
    if (nl < 0) return undefined;
    const s = this.#text.slice(this.#tpos, nl);
    this.#tpos = nl + 1;
    return this.#emit(s);
  }

  /** The next line without its line break (see `lineSync`), or null at the end. */
  async line(skipBlank = false): Promise<string | null> {
    while (true) {
      const s = this.lineSync(skipBlank);
      if (s !== undefined) return s;
      if (this.#eof) {
        if (this.#carryLen === 0) return null;
        const rest = this.#dec.decode(this.#joinCarry(new Uint8Array(0)));
        this.#text = rest + "\n";
        this.#tpos = 0;
        continue;
      }
      const c = await this.#src.read();
      if (c === null) {
        this.#eof = true;
        continue;
      }
      const last = c.lastIndexOf(10);
      if (last < 0) {
        this.#carry.push(c.slice());
        this.#carryLen += c.length;
        if (this.#carryLen > this.#max) this.#tooLong(this.lineNo + 1);
        continue;
      }
      const head = this.#carryLen > 0
        ? this.#joinCarry(c.subarray(0, last + 1))
        : c.subarray(0, last + 1);
      this.#text = this.#dec.decode(head);
      this.#tpos = 0;
      if (last + 1 < c.length) {
        this.#carry.push(c.slice(last + 1));
        this.#carryLen = c.length - last - 1;
      }
    }
  }

  #joinCarry(tail: Uint8Array): Uint8Array {
    const all = new Uint8Array(this.#carryLen + tail.length);
    let o = 0;
    for (const c of this.#carry) {
      all.set(c, o);
      o += c.length;
    }
    all.set(tail, o);
    this.#carry = [];
    this.#carryLen = 0;
    return all;
  }

  #tooLong(line: number): never {
    throw new TraceError(this.#name, line, 1, `Line too long: longer than ${this.#max} bytes`);
  }

  #emit(line: string): string {
    this.lineNo++;
    // a line's UTF-8 bytes are at least its UTF-16 units and at most three times as many
    if (line.length * 3 > this.#max && this.#enc.encode(line).length > this.#max) {
      this.#tooLong(this.lineNo);
    }
    let s = line;
    if (this.lineNo === 1 && s.startsWith("\ufeff")) s = s.slice(1); // byte order mark
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  }
}

/**
 * Yields the lines of `src` as strings (UTF-8, invalid bytes replaced), without line breaks. A line
 * longer than `maxLine` bytes (default {@linkcode MAX_IMPORT_LINE}) is a {@linkcode TraceError}
 * naming `name` and its line, thrown before the line fills memory.
 *
 * @example
 * ```ts
 * import { readLines } from "./_lines.ts";
 * const out: string[] = [];
 * for await (const l of readLines(new TextEncoder().encode("x\r\ny\n"))) out.push(l);
 * if (out.join("|") !== "x|y") throw new Error(out.join("|"));
 * ```
 */
export async function* readLines(
  src: ByteSource,
  name = "<input>",
  maxLine: number = MAX_IMPORT_LINE,
): AsyncIterable<string> {
  const reader = readerOf(src);
  const lines = new LineReader(reader, name, maxLine);
  try {
    for (let l; (l = lines.lineSync() ?? await lines.line()) !== null;) yield l;
  } finally {
    await reader.close();
  }
}
