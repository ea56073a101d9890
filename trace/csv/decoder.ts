/**
 * {@linkcode CsvDecoder}: the reader of the CSV form (`.csv`) for `readTrace`.
 *
 * @module
 */
import { parse as csvParseSync } from "npm:csv-parse@7.0.3/sync";
import type { EventBatch } from "../batch.ts";
import type { TraceHeader } from "../event.ts";
import { TraceError } from "../error.ts";
import type { ChunkReader, FormDecoder } from "../_io.ts";
import { LineReader } from "../_lines.ts";
import { parseHeaderLine } from "../_header.ts";
import { CSV_COLUMNS, csvFieldColumn, csvLineColumns, eventFromCsvCells } from "./parse.ts";

/**
 * CSV through csv-parse, a block of lines at a time. Trace CSV never needs a line break inside a
 * field (names hold no whitespace), so each line is one record: that gives every record its line
 * number and raw text without csv-parse's slower per-record info, and parsing thousands of lines
 * per call avoids a stream step per record.
 */
export class CsvDecoder implements FormDecoder {
  #lines: LineReader;
  #name: string;
  #columns: string[] | undefined;
  #pending: { text: string; line: number } | null = null;

  /** Reads `src`, naming `name` in errors. */
  constructor(src: ChunkReader, name: string) {
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
      const text = this.#lines.lineSync(true) ?? await this.#lines.line(true);
      if (text === null) return null;
      const t = text.trimStart();
      if (t === "" || t.startsWith("#")) continue;
      return { text, line: this.#lines.lineNo };
    }
  }

  #parse(text: string, firstLine: number, lines: number): string[][] {
    // The quote that opens a field the line never closes, if any.
    const spans = () =>
      new TraceError(
        this.#name,
        firstLine,
        csvLineColumns(text, 0).quote || 1,
        "Bad CSV: a quoted field spans lines (trace CSV has one event per line)",
      );
    try {
      const rows = csvParseSync(text, { relax_column_count: true, trim: true }) as string[][];
      if (rows.length !== lines) throw spans();
      return rows;
    } catch (e) {
      if (e instanceof TraceError) throw e;
      const err = e as Error & { lines?: number; code?: string };
      if (err.code === "CSV_QUOTE_NOT_CLOSED") throw spans();
      const line = firstLine + Math.max(0, (err.lines ?? 1) - 1);
      // csv-parse names the field (0-based) where it stopped: the column is where that field starts.
      const field = /\bfield (\d+)/.exec(err.message);
      const col = field ? csvLineColumns(text, Number(field[1])).field : 1;
      throw new TraceError(this.#name, line, col, `Bad CSV: ${err.message}`);
    }
  }

  /** Reads the `# vmtrace 1 ...` line if the first line is one (else the header is `{ version: 1 }`). */
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

  /** Clears `batch` and fills it; false when the input is used up. */
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
        // Where the first field too many starts, or the end of a line one short.
        throw new TraceError(
          this.#name,
          lineNos[k]!,
          csvLineColumns(text, columns.length).field,
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
