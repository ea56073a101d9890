/**
 * {@linkcode csvCell}: one rule for every cell of every CSV report vmreplay writes (`run --csv`,
 * `runs export --csv`, the dashboard's CSV export), against CSV formula injection: a text cell
 * that begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be taken for a formula
 * by a spreadsheet (a phase label `=HYPERLINK(...)` from a trace, say), so it gets a leading `'`,
 * as OWASP advises; numbers stay numbers.
 *
 * @module
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A CSV cell safe to open in a spreadsheet: `value` itself when it is a number, or text that
 * cannot start a formula.
 *
 * @example
 * ```ts
 * import { csvCell } from "./csv_cell.ts";
 * if (csvCell("=HYPERLINK(\"http://x\")") !== "'=HYPERLINK(\"http://x\")") throw new Error("=");
 * if (csvCell("@SUM(A1)") !== "'@SUM(A1)" || csvCell("-1+2") !== "'-1+2") throw new Error("@ -");
 * if (csvCell(-5) !== -5 || csvCell("total") !== "total") throw new Error("left alone");
 * ```
 */
export function csvCell<T extends string | number>(value: T): T | string {
  return typeof value === "string" && FORMULA_START.test(value) ? `'${value}` : value;
}
