/**
 * Reading the CSV form: {@linkcode CSV_COLUMNS}, and {@linkcode eventFromCsvCells} and
 * {@linkcode eventFromCsvRecord}, which check a row with the JSON Lines form's schemas;
 * {@linkcode csvFieldColumn} finds the column an error is about.
 *
 * @module
 */
import type { Event } from "../event.ts";
import { eventFromJson, type FieldError } from "../jsonl/parse.ts";

/** The CSV columns, in the order the writer puts them. */
export const CSV_COLUMNS = [
  "pid",
  "op",
  "addr",
  "len",
  "prot",
  "flags",
  "object",
  "offset",
  "newAddr",
  "newLen",
  "advice",
  "child",
  "size",
  "name",
  "prio",
  "pages",
  "label",
] as const;

const INTEGER_COLUMNS = new Set(["pid", "child", "prio"]);

/**
 * Validates one CSV record (column name → cell text) as an event. Empty cells are absent fields.
 *
 * @example
 * ```ts
 * import { eventFromCsvRecord } from "./parse.ts";
 * const ev = eventFromCsvRecord({ pid: "2", op: "fork", child: "3", addr: "" });
 * if ("message" in ev || ev.op !== "fork" || ev.child !== 3) throw new Error("csv");
 * ```
 */
export function eventFromCsvRecord(record: Record<string, string>): Event | FieldError {
  return eventFromCsvCells(Object.keys(record), Object.values(record));
}

/**
 * {@linkcode eventFromCsvRecord} of a row given as its `cells` under the header row's `columns`.
 *
 * @example
 * ```ts
 * import { eventFromCsvCells } from "./parse.ts";
 * const ev = eventFromCsvCells(["pid", "op", "addr", "len"], ["1", "r", "0x2000", ""]);
 * if ("message" in ev || ev.op !== "r" || ev.addr !== 0x2000 || ev.len !== 1) throw new Error();
 * ```
 */
export function eventFromCsvCells(
  columns: readonly string[],
  cells: readonly string[],
): Event | FieldError {
  const o: Record<string, unknown> = {};
  for (let c = 0; c < columns.length; c++) {
    const k = columns[c]!, v = cells[c];
    if (v === undefined || v === "") continue;
    o[k] = INTEGER_COLUMNS.has(k) && INTEGER.test(v) ? Number(v) : v;
  }
  return eventFromJson(o);
}

const INTEGER = /^-?[0-9]+$/;

/**
 * The 1-based column where the cell of `field` starts in a raw CSV line: 1 when no field is
 * named, the end of the line + 1 when the header row has no column for it.
 *
 * @example
 * ```ts
 * import { csvFieldColumn } from "./parse.ts";
 * if (csvFieldColumn('1,mmap,0x0,"private,anon",x', ["pid", "op", "addr", "flags", "object"], "object") !== 27) {
 *   throw new Error();
 * }
 * ```
 */
export function csvFieldColumn(raw: string, columns: string[], field: string | undefined): number {
  if (field === undefined) return 1;
  const k = columns.indexOf(field);
  // A field the header row has no column for would come after the row's last cell.
  if (k < 0) return raw.length + 1;
  let cell = 0, quoted = false;
  for (let i = 0; i < raw.length; i++) {
    if (cell === k) return i + 1;
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) cell++;
  }
  return cell === k ? raw.length + 1 : 0;
}

/**
 * Where a CSV line goes wrong for the reader, as a 1-based column: the quote that opens a field
 * the line never closes (`quote`), and the start of field `k` (0-based; the end of the line + 1
 * when the line has fewer fields), for a line with too many or too few fields.
 *
 * @example
 * ```ts
 * import { csvLineColumns } from "./parse.ts";
 * const c = csvLineColumns('1,w,"0x1000,8', 2);
 * if (c.quote !== 5 || c.field !== 5) throw new Error(JSON.stringify(c));
 * if (csvLineColumns("1,w", 5).field !== 4) throw new Error("past the end");
 * ```
 */
export function csvLineColumns(raw: string, k: number): { quote: number; field: number } {
  let cell = 0, quoted = false, open = 0, field = 0;
  for (let i = 0; i < raw.length; i++) {
    if (cell === k && field === 0) field = i + 1;
    const c = raw[i];
    if (c === '"') {
      quoted = !quoted;
      if (quoted) open = i + 1;
    } else if (c === "," && !quoted) cell++;
  }
  return { quote: quoted ? open : 0, field: field || raw.length + 1 };
}
