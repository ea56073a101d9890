/**
 * Writing the CSV form: {@linkcode eventToCsvRow}, an event's cells in {@linkcode CSV_COLUMNS}
 * order (the values of {@linkcode eventToJson}).
 *
 * @module
 */
import type { Event } from "../event.ts";
import { eventToJson } from "../jsonl/stringify.ts";
import { CSV_COLUMNS } from "./parse.ts";

/**
 * The CSV cells of an event, in {@linkcode CSV_COLUMNS} order.
 *
 * @example
 * ```ts
 * import { eventToCsvRow } from "./stringify.ts";
 * const row = eventToCsvRow({ pid: 1, op: "w", addr: 4096, len: 1 });
 * if (row.slice(0, 4).join(",") !== "1,w,0x1000,1") throw new Error(row.join(","));
 * ```
 */
export function eventToCsvRow(ev: Event): string[] {
  const o = eventToJson(ev);
  return CSV_COLUMNS.map((c) => (o[c] === undefined ? "" : String(o[c])));
}
