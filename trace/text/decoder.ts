/**
 * {@linkcode TextFormDecoder}: the reader of the text form (`.vmt`) for `readTrace`.
 *
 * @module
 */
import { EventBatch } from "../batch.ts";
import type { TraceHeader } from "../event.ts";
import type { ChunkReader, FormDecoder } from "../_io.ts";
import { TextParser } from "./parser.ts";

/** The text form's reader: {@linkcode TextParser} fed from a {@linkcode ChunkReader}. */
export class TextFormDecoder implements FormDecoder {
  #src: ChunkReader;
  #parser: TextParser;
  #ended = false;

  /** Reads `src`, naming `name` in errors. */
  constructor(src: ChunkReader, name: string) {
    this.#src = src;
    this.#parser = new TextParser(name);
  }

  /** Reads up to and including the header line. */
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

  /** Clears `batch` and fills it; false when the input is used up. */
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
