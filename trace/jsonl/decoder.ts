/**
 * {@linkcode JsonlDecoder}: the reader of the JSON Lines form (`.jsonl`) for `readTrace`.
 *
 * @module
 */
import type { EventBatch } from "../batch.ts";
import type { TraceHeader } from "../event.ts";
import { TraceError } from "../error.ts";
import type { ChunkReader, FormDecoder } from "../_io.ts";
import { LineReader } from "../_lines.ts";
import { eventFromJson, fieldColumn, headerFromJson } from "./parse.ts";

/** The JSON Lines form's reader: one event object a line, checked by its op's schema. */
export class JsonlDecoder implements FormDecoder {
  #lines: LineReader;
  #name: string;
  #first: string | null = null;
  #firstLine = 0;

  /** Reads `src`, naming `name` in errors. */
  constructor(src: ChunkReader, name: string) {
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

  /** Reads the header object if the first line is one (else the header is `{ version: 1 }`). */
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

  /** Clears `batch` and fills it; false when the input is used up. */
  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    while (batch.length < batch.capacity) {
      let text: string | null, line: number;
      if (this.#first !== null) {
        text = this.#first;
        line = this.#firstLine;
        this.#first = null;
      } else {
        text = this.#lines.lineSync(true) ?? await this.#lines.line(true);
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
