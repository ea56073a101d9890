/**
 * {@linkcode printable}: text from a file, made safe to show in a terminal, a log or a web page.
 *
 * @module
 */

/** Characters that would act rather than show: C0 and C1 controls, DEL, and invisible formatting. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

/**
 * `text` with every control character written as an escape (`\x1b`, `\t`, `\u{202e}`), so that no
 * byte of a hostile input moves a terminal's cursor, clears its screen or reorders the text around
 * it, and cut to at most `max` characters (with `…`) when longer.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * if (printable("ELF\x02\x00\x1b[2J\tok") !== "ELF\\x02\\x00\\x1b[2J\\tok") throw new Error();
 * if (printable("x".repeat(50), 10) !== "xxxxxxxxx…") throw new Error("not cut");
 * ```
 */
export function printable(text: string, max = 500): string {
  const escaped = text.replace(UNPRINTABLE, (ch) => {
    const code = ch.charCodeAt(0);
    if (ch === "\t") return "\\t";
    if (ch === "\n") return "\\n";
    if (ch === "\r") return "\\r";
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}
