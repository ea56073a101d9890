/**
 * The CSV form (`.csv`): an optional first line `# vmtrace 1 mem=...` carrying the header, a
 * header row naming the columns, then one row per event. Every event field has its own column
 * ({@linkcode CSV_COLUMNS}); a field an op does not have is left empty. Values are written as in
 * the text form (hex addresses, `rw-`, `private,anon`, `-` as the pid of system events) and
 * validated with the same zod schemas as JSON Lines.
 *
 * See docs/trace-format.md.
 *
 * - reading: {@linkcode eventFromCsvCells}, {@linkcode eventFromCsvRecord},
 *   {@linkcode CsvDecoder} (the reader `readTrace` uses);
 * - writing: {@linkcode eventToCsvRow}.
 *
 * @example
 * ```ts
 * import { CSV_COLUMNS, eventFromCsvCells, eventToCsvRow } from "./mod.ts";
 * const row = eventToCsvRow({ pid: 2, op: "fork", child: 3 });
 * const ev = eventFromCsvCells(CSV_COLUMNS, row);
 * if ("message" in ev || ev.op !== "fork" || ev.child !== 3) throw new Error(row.join(","));
 * ```
 *
 * @module
 */
export * from "./parse.ts";
export * from "./stringify.ts";
export * from "./decoder.ts";
