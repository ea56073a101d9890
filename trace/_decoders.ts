/**
 * One decoder per trace form, behind one interface: read the header, then fill batches. The
 * public readers in `read.ts` choose one by format.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { parse as csvParse } from "csv-parse";
import { EventBatch } from "./batch.ts";
import type { TraceHeader } from "./event.ts";
import { TraceError } from "./error.ts";
import type { ByteSource } from "./_source.ts";
import { MAX_LINE, TextParser } from "./text_parse.ts";
import { VmtbDecoder } from "./vmtb_read.ts";
import { eventFromJson, fieldColumn, headerFromJson } from "./jsonl.ts";
import { CSV_COLUMNS, csvFieldColumn, eventFromCsvRecord } from "./csv.ts";
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

/** Splits a byte source into lines (as strings), with their 1-based numbers. */
class LineReader {
  #src: ByteSource;
  #name: string;
  #dec = new TextDecoder();
  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #carry: Uint8Array[] = [];
  #carryLen = 0;
  #eof = false;
  lineNo = 0;

  constructor(src: ByteSource, name: string) {
    this.#src = src;
    this.#name = name;
  }

  /** The next line without its newline, or null at the end. */
  async line(): Promise<string | null> {
    while (true) {
      const nl = this.#chunk.indexOf(10, this.#pos);
      if (nl >= 0) {
        let bytes = this.#chunk.subarray(this.#pos, nl);
        this.#pos = nl + 1;
        if (this.#carryLen > 0) bytes = this.#joinCarry(bytes);
        return this.#emit(bytes);
      }
      if (this.#eof) {
        if (this.#carryLen === 0 && this.#pos >= this.#chunk.length) return null;
        const rest = this.#joinCarry(this.#chunk.subarray(this.#pos));
        this.#pos = this.#chunk.length;
        return this.#emit(rest);
      }
      if (this.#pos < this.#chunk.length) {
        this.#carry.push(this.#chunk.slice(this.#pos));
        this.#carryLen += this.#chunk.length - this.#pos;
        if (this.#carryLen > MAX_LINE) {
          throw new TraceError(
            this.#name,
            this.lineNo + 1,
            1,
            `Line too long: longer than ${MAX_LINE} bytes`,
          );
        }
      }
      const c = await this.#src.read();
      if (c === null) {
        this.#eof = true;
        this.#chunk = new Uint8Array(0);
      } else this.#chunk = c;
      this.#pos = 0;
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

  #emit(bytes: Uint8Array): string {
    this.lineNo++;
    if (bytes.length > MAX_LINE) {
      throw new TraceError(
        this.#name,
        this.lineNo,
        1,
        `Line too long: longer than ${MAX_LINE} bytes`,
      );
    }
    let s = this.#dec.decode(bytes);
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
        text = await this.#lines.line();
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

class CsvDecoder implements FormDecoder {
  #src: ByteSource;
  #name: string;
  #header: TraceHeader = { version: 1 };
  #first: Uint8Array | null = null;
  #records:
    | AsyncIterator<{ record: Record<string, string>; info: { lines: number }; raw?: string }>
    | undefined;
  #feedError: unknown;
  #columns: string[] = [];
  #headerRow = 1;

  constructor(src: ByteSource, name: string) {
    this.#src = src;
    this.#name = name;
  }

  async readHeader(): Promise<TraceHeader> {
    const c = await this.#src.read();
    if (c === null) return this.#header;
    this.#first = c.slice();
    const nl = this.#first.indexOf(10);
    const firstLine = new TextDecoder().decode(
      this.#first.subarray(0, nl < 0 ? Math.min(this.#first.length, MAX_LINE) : nl),
    );
    const m = /^#\s*(vmtrace\b.*)$/.exec(firstLine.trimEnd());
    if (m) {
      const r = parseHeaderLine(m[1]!);
      if (r.error !== undefined) {
        throw new TraceError(this.#name, 1, r.column + firstLine.indexOf("vmtrace"), r.error);
      }
      this.#header = r.header;
      this.#headerRow = 2;
    }
    return this.#header;
  }

  #start(): void {
    const parser = csvParse({
      comment: "#",
      comment_no_infix: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      raw: true,
      max_record_size: MAX_LINE,
      columns: (names: string[]) => {
        for (const n of names) {
          if (!(CSV_COLUMNS as readonly string[]).includes(n)) {
            throw new TraceError(
              this.#name,
              this.#headerRow,
              0,
              `Unknown CSV column '${n}' (expected columns among ${CSV_COLUMNS.join(",")})`,
            );
          }
        }
        if (!names.includes("pid") || !names.includes("op")) {
          throw new TraceError(
            this.#name,
            this.#headerRow,
            0,
            "The CSV header row needs columns 'pid' and 'op'",
          );
        }
        this.#columns = names;
        return names;
      },
    });
    const feed = async () => {
      try {
        if (this.#first !== null) {
          const f = this.#first;
          this.#first = null;
          if (!parser.write(Buffer.from(f))) await new Promise((r) => parser.once("drain", r));
        }
        for (let c; (c = await this.#src.read()) !== null;) {
          if (!parser.write(Buffer.from(c))) await new Promise((r) => parser.once("drain", r));
        }
        parser.end();
      } catch (e) {
        this.#feedError = e;
        parser.destroy(e as Error);
      }
    };
    feed();
    this.#records = parser[Symbol.asyncIterator]();
  }

  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    if (this.#records === undefined) this.#start();
    const it = this.#records!;
    while (batch.length < batch.capacity) {
      let r;
      try {
        r = await it.next();
      } catch (e) {
        throw this.#csvError(e);
      }
      if (r.done) return false;
      const { record, info, raw } = r.value;
      const ev = eventFromCsvRecord(record);
      if ("message" in ev) {
        throw new TraceError(
          this.#name,
          info.lines,
          csvFieldColumn(raw ?? "", this.#columns, ev.field),
          ev.message,
        );
      }
      ev.line = info.lines;
      batch.push(ev);
    }
    return true;
  }

  #csvError(e: unknown): TraceError {
    if (this.#feedError instanceof TraceError) return this.#feedError;
    if (e instanceof TraceError) return e;
    const err = e as Error & { lines?: number; code?: string };
    if (err instanceof Error && err.cause instanceof TraceError) return err.cause;
    return new TraceError(this.#name, err.lines ?? 0, 0, `Bad CSV: ${err.message ?? String(e)}`);
  }
}
