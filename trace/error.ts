/**
 * {@linkcode TraceError}: a malformed trace, reported as `FILE:LINE:COL: message`.
 *
 * @module
 */

import { printable } from "./printable.ts";

/**
 * A malformed trace. The message reads `FILE:LINE:COL: message` (the column is left out when it is
 * not known, the line and column when it is about the whole file), so editors and terminals can
 * jump to the spot. Control characters of the file name and message (which may quote a hostile
 * file) are written as escapes, and a message is cut at 500 characters.
 *
 * @example
 * ```ts
 * import { TraceError } from "./error.ts";
 * const e = new TraceError("a.vmt", 3, 7, "Unknown op 'mmapp'");
 * if (e.message !== "a.vmt:3:7: Unknown op 'mmapp'") throw new Error(e.message);
 * ```
 */
export class TraceError extends Error {
  /** The file (or name) the trace came from. */
  readonly file: string;
  /** 1-based line (text, JSONL, CSV) or event number (binary); 0 when it is about the whole file. */
  readonly line: number;
  /** 1-based column, or 0 when unknown. */
  readonly column: number;
  /** The message without the `FILE:LINE:COL: ` prefix. */
  readonly reason: string;

  /** Makes an error at `file:line:column`; pass 0 for an unknown line or column. */
  constructor(file: string, line: number, column: number, reason: string) {
    const name = printable(file);
    reason = printable(reason);
    const where = line > 0 ? (column > 0 ? `${name}:${line}:${column}` : `${name}:${line}`) : name;
    super(`${where}: ${reason}`);
    this.name = "TraceError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
