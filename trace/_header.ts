/**
 * Parsing of the header line `vmtrace 1 key=value...`, shared by every form that carries it.
 *
 * @module
 */
import type { TraceHeader } from "./event.ts";
import { headerSizeProblem } from "../uapi/limits.ts";
import { parseNumber } from "./syntax.ts";

/** The header, or an error message with the 1-based column it is about. */
export type HeaderResult = { header: TraceHeader; error?: undefined } | {
  error: string;
  column: number;
};

/**
 * Parses a header line (a trailing `# comment` is ignored).
 *
 * @example
 * ```ts
 * import { parseHeaderLine } from "./_header.ts";
 * const r = parseHeaderLine("vmtrace 1 mem=8M tool=lackey");
 * if (r.error !== undefined || r.header.mem !== 8 << 20) throw new Error("header");
 * ```
 */
export function parseHeaderLine(line: string): HeaderResult {
  const hash = line.indexOf("#");
  const body = hash >= 0 ? line.slice(0, hash) : line;
  const toks: { text: string; col: number }[] = [];
  const re = /[^ \t\r]+/g;
  for (let m; (m = re.exec(body));) toks.push({ text: m[0], col: m.index + 1 });
  const [magic, ver, ...rest] = toks;
  if (magic === undefined || magic.text !== "vmtrace") {
    return {
      column: magic?.col ?? 1,
      error: `Missing header: expected 'vmtrace 1' as the first line, found '${
        magic === undefined ? "" : body.trim().slice(0, 40)
      }'`,
    };
  }
  if (ver === undefined) {
    return { column: body.trimEnd().length + 1, error: "Missing version: expected 'vmtrace 1'" };
  }
  if (ver.text !== "1") {
    return {
      column: ver.col,
      error: `Unsupported vmtrace version '${ver.text}' (this reader knows version 1)`,
    };
  }
  const header: TraceHeader = { version: 1 };
  for (const t of rest) {
    const eq = t.text.indexOf("=");
    if (eq <= 0) {
      return { column: t.col, error: `Expected key=value in the header, found '${t.text}'` };
    }
    const key = t.text.slice(0, eq);
    const value = t.text.slice(eq + 1);
    if (key === "mem" || key === "swap" || key === "page") {
      const n = parseNumber(value);
      if (typeof n !== "number") {
        return { column: t.col, error: `Expected a size for ${key} (like 64M), found '${value}'` };
      }
      if (key === "page" && n !== 4096) {
        return {
          column: t.col,
          error: `Page size ${n} is not supported: only page=4096 is modelled`,
        };
      }
      if (key !== "page") {
        const problem = headerSizeProblem(key, n);
        if (problem !== undefined) return { column: t.col, error: problem };
      }
      header[key] = n;
    } else {
      (header.extra ??= {})[key] = value;
    }
  }
  return { header };
}
