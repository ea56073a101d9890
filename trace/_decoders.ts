/**
 * One decoder per trace form, behind one interface: read the header, then fill batches. The
 * public readers in `read.ts` choose one by format.
 *
 * @module
 */
import { parse as csvParseSync } from "csv-parse/sync";
import { EventBatch } from "./batch.ts";
import type { TraceHeader } from "./event.ts";
import { TraceError } from "./error.ts";
import type { ByteSource } from "./_io.ts";
import { MAX_LINE, TextParser } from "./text/parser.ts";
import { VmtbDecoder } from "./vmtb/decoder.ts";
import { eventFromJson, fieldColumn, headerFromJson } from "./jsonl/parse.ts";
import { CSV_COLUMNS, csvFieldColumn, eventFromCsvCells } from "./csv/parse.ts";
import { parseHeaderLine } from "./_header.ts";
import type { TraceForm } from "./format.ts";

/** Reads one form: the header first, then batches. */
export interface FormDecoder {
  /** Reads up to and including the header. */
  readHeader(): Promise<TraceHeader>;
  /** Clears `batch` and fills it; false when the input is used up (the batch may hold events). */
  next(batch: EventBatch): Promise<boolean>;
}

/** The decoder for `form` over `src` (already decompressed). */
export function decoderFor(form: TraceForm, src: ByteSource, name: string): FormDecoder {
  switch (form) {
    case "text":
      return new TextFormDecoder(src, name);
    case "vmtb":
      return new VmtbDecoder(src, name);
    case "jsonl":
      return new JsonlDecoder(src, name);
    case "csv":
      return new CsvDecoder(src, name);
  }
}

class TextFormDecoder implements FormDecoder {
  #src: ByteSource;
  #parser: TextParser;
  #ended = false;

  constructor(src: ByteSource, name: string) {
    this.#src = src;
    this.#parser = new TextParser(name);
  }

  async readHeader(): Promise<TraceHeader> {
    const p = this.#parser;
    p.stopAtHeader = true;
    // the header line is read into a throwaway batch: fill stops right after it
    const scratch = new EventBatch(1);
    while (p.header === undefined) {
      if (p.fill(scratch)) break;
      const c = await this.#src.read();
      if (c === null) {
        p.end(scratch); // throws: no header
        break;
      }
      p.push(c);
    }
    p.stopAtHeader = false;
    return p.header!;
  }

  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    const p = this.#parser;
    while (true) {
      if (this.#ended) return false;
      if (p.fill(batch)) return true;
      const c = await this.#src.read();
      if (c === null) {
        if (p.end(batch)) return true;
        this.#ended = true;
        return false;
      }
      p.push(c);
    }
  }
}

/**
 * Splits a byte source into lines (as strings), with their 1-based numbers. Each chunk is decoded
 * once, up to its last line break, and lines are cut from that text: {@linkcode LineReader.lineSync}
 * gives the next line without a promise when it is already decoded.
 */
class LineReader {
  #src: ByteSource;
  #name: string;
  #dec = new TextDecoder();
  #enc = new TextEncoder();
  #text = ""; // decoded whole lines, each with its line break
  #tpos = 0;
  #carry: Uint8Array[] = []; // bytes after the last line break read so far
  #carryLen = 0;
  #eof = false;
  lineNo = 0;

  constructor(src: ByteSource, name: string) {
    this.#src = src;
    this.#name = name;
  }

  /** The next line if it is decoded already, else undefined (then call `line`). */
  lineSync(): string | undefined {
    const nl = this.#text.indexOf("\n", this.#tpos);
    if (nl < 0) return undefined;
    const s = this.#text.slice(this.#tpos, nl);
    this.#tpos = nl + 1;
    return this.#emit(s);
  }

  /** The next line without its line break, or null at the end. */
  async line(): Promise<string | null> {
    while (true) {
      const s = this.lineSync();
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
        if (this.#carryLen > MAX_LINE) this.#tooLong(this.lineNo + 1);
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
    throw new TraceError(this.#name, line, 1, `Line too long: longer than ${MAX_LINE} bytes`);
  }

  #emit(line: string): string {
    this.lineNo++;
    // a line's UTF-8 bytes are at least its UTF-16 units and at most three times as many
    if (line.length * 3 > MAX_LINE && this.#enc.encode(line).length > MAX_LINE) {
      this.#tooLong(this.lineNo);
    }
    let s = line;
    if (this.lineNo === 1 && s.startsWith("\ufeff")) s = s.slice(1); // byte order mark
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  }
}

class JsonlDecoder implements FormDecoder {
  #lines: LineReader;
  #name: string;
  #first: string | null = null;
  #firstLine = 0;

  constructor(src: ByteSource, name: string) {
    this.#lines = new LineReader(src, name);
    this.#name = name;
  }

  #parse(text: string, line: number): unknown {
    try {
      return JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      const col = m ? Number(m[1]) + 1 : 1;
      throw new TraceError(this.#name, line, col, `Bad JSON: ${(e as Error).message}`);
    }
  }

  async readHeader(): Promise<TraceHeader> {
    let text: string | null;
    while ((text = await this.#lines.line()) !== null && text.trim() === "");
    if (text === null) return { version: 1 };
    const line = this.#lines.lineNo;
    const v = this.#parse(text, line);
    if (typeof v === "object" && v !== null && "vmtrace" in v) {
      const h = headerFromJson(v);
      if ("message" in h) {
        throw new TraceError(this.#name, line, fieldColumn(text, h.field), h.message);
      }
      return h;
    }
    this.#first = text;
    this.#firstLine = line;
    return { version: 1 };
  }

  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    while (batch.length < batch.capacity) {
      let text: string | null, line: number;
      if (this.#first !== null) {
        text = this.#first;
        line = this.#firstLine;
        this.#first = null;
      } else {
        text = this.#lines.lineSync() ?? await this.#lines.line();
        line = this.#lines.lineNo;
      }
      if (text === null) return false;
      if (text.trim() === "") continue;
      const ev = eventFromJson(this.#parse(text, line));
      if ("message" in ev) {
        throw new TraceError(this.#name, line, fieldColumn(text, ev.field), ev.message);
      }
      ev.line = line;
      batch.push(ev);
    }
    return true;
  }
}

/**
 * CSV through csv-parse, a block of lines at a time. Trace CSV never needs a line break inside a
 * field (names hold no whitespace), so each line is one record: that gives every record its line
 * number and raw text without csv-parse's slower per-record info, and parsing thousands of lines
 * per call avoids a stream step per record.
 */
class CsvDecoder implements FormDecoder {
  #lines: LineReader;
  #name: string;
  #columns: string[] | undefined;
  #pending: { text: string; line: number } | null = null;

  constructor(src: ByteSource, name: string) {
    this.#lines = new LineReader(src, name);
    this.#name = name;
  }

  /** The next line that is neither blank nor a `#` comment. */
  async #content(): Promise<{ text: string; line: number } | null> {
    if (this.#pending !== null) {
      const p = this.#pending;
      this.#pending = null;
      return p;
    }
    while (true) {
      const text = this.#lines.lineSync() ?? await this.#lines.line();
      if (text === null) return null;
      const t = text.trimStart();
      if (t === "" || t.startsWith("#")) continue;
      return { text, line: this.#lines.lineNo };
    }
  }

  #parse(text: string, firstLine: number, lines: number): string[][] {
    try {
      const rows = csvParseSync(text, { relax_column_count: true, trim: true }) as string[][];
      if (rows.length !== lines) {
        throw new TraceError(
          this.#name,
          firstLine,
          0,
          "Bad CSV: a quoted field spans lines (trace CSV has one event per line)",
        );
      }
      return rows;
    } catch (e) {
      if (e instanceof TraceError) throw e;
      const err = e as Error & { lines?: number; code?: string };
      if (err.code === "CSV_QUOTE_NOT_CLOSED") {
        throw new TraceError(
          this.#name,
          firstLine,
          0,
          "Bad CSV: a quoted field spans lines (trace CSV has one event per line)",
        );
      }
      const line = firstLine + Math.max(0, (err.lines ?? 1) - 1);
      throw new TraceError(this.#name, line, 0, `Bad CSV: ${err.message}`);
    }
  }

  async readHeader(): Promise<TraceHeader> {
    // the header travels in a first comment line: "# vmtrace 1 mem=..."
    const first = await this.#lines.line();
    if (first === null) return { version: 1 };
    const m = /^#\s*(vmtrace\b.*)$/.exec(first.trimEnd());
    if (m) {
      const r = parseHeaderLine(m[1]!);
      if (r.error !== undefined) {
        throw new TraceError(this.#name, 1, r.column + first.indexOf("vmtrace"), r.error);
      }
      return r.header;
    }
    const t = first.trimStart();
    if (t !== "" && !t.startsWith("#")) this.#pending = { text: first, line: 1 };
    return { version: 1 };
  }

  async #readColumns(): Promise<string[]> {
    const row = await this.#content();
    if (row === null) return [];
    const names = this.#parse(row.text, row.line, 1)[0]!;
    for (const n of names) {
      if (!(CSV_COLUMNS as readonly string[]).includes(n)) {
        throw new TraceError(
          this.#name,
          row.line,
          csvFieldColumn(row.text, names, n),
          `Unknown CSV column '${n}' (expected columns among ${CSV_COLUMNS.join(",")})`,
        );
      }
    }
    if (!names.includes("pid") || !names.includes("op")) {
      throw new TraceError(
        this.#name,
        row.line,
        1,
        "The CSV header row needs columns 'pid' and 'op'",
      );
    }
    return names;
  }

  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    const columns = this.#columns ??= await this.#readColumns();
    const texts: string[] = [];
    const lineNos: number[] = [];
    let ended = false;
    while (texts.length < batch.capacity) {
      const row = await this.#content();
      if (row === null) {
        ended = true;
        break;
      }
      texts.push(row.text);
      lineNos.push(row.line);
    }
    if (texts.length === 0) return false;
    for (let k = 0; k < texts.length; k++) {
      // A line without quotes is its cells split at the commas (csv-parse would give the same);
      // csv-parse reads the others (mmap flags like "private,anon" come quoted).
      const text = texts[k]!;
      const cells = text.includes('"') || text.includes("\r")
        ? this.#parse(text, lineNos[k]!, 1)[0]!
        : text.split(",").map((c) => c.trim());
      if (cells.length !== columns.length) {
        throw new TraceError(
          this.#name,
          lineNos[k]!,
          0,
          `Expected ${columns.length} CSV fields as in the header row, found ${cells.length}`,
        );
      }
      const ev = eventFromCsvCells(columns, cells);
      if ("message" in ev) {
        throw new TraceError(
          this.#name,
          lineNos[k]!,
          csvFieldColumn(texts[k]!, columns, ev.field),
          ev.message,
        );
      }
      ev.line = lineNos[k]!;
      batch.push(ev);
    }
    return !ended;
  }
}
