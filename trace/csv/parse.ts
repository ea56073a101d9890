/**
 * The CSV form (`.csv`): an optional first line `# vmtrace 1 mem=...` carrying the header, a
 * header row naming the columns, then one row per event. Every event field has its own column
 * ({@linkcode CSV_COLUMNS}); a field an op does not have is left empty. Values are written as in
 * the text form (hex addresses, `rw-`, `private,anon`, `-` as the pid of system events) and
 * validated with the same zod schemas as JSON Lines.
 *
 * @module
 */
import type { Event } from "../event.ts";
import { eventFromJson, eventToJson, type FieldError } from "../jsonl/parse.ts";

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
 * The CSV cells of an event, in {@linkcode CSV_COLUMNS} order.
 *
 * @example
 * ```ts
 * import { eventToCsvRow } from "./parse.ts";
 * const row = eventToCsvRow({ pid: 1, op: "w", addr: 4096, len: 1 });
 * if (row.slice(0, 4).join(",") !== "1,w,0x1000,1") throw new Error(row.join(","));
 * ```
 */
export function eventToCsvRow(ev: Event): string[] {
  const o = eventToJson(ev);
  return CSV_COLUMNS.map((c) => (o[c] === undefined ? "" : String(o[c])));
}

/**
 * The 1-based column where the cell of `field` starts in a raw CSV line, or 0 when unknown.
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
  const k = field === undefined ? -1 : columns.indexOf(field);
  if (k < 0) return 0;
  let cell = 0, quoted = false;
  for (let i = 0; i < raw.length; i++) {
    if (cell === k) return i + 1;
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) cell++;
  }
  return cell === k ? raw.length + 1 : 0;
}
