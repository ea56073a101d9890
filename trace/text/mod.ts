/**
 * The text form (`.vmt`), vmtrace v1: a header line `vmtrace 1 mem=8M`, then one event a line
 * (`1 mmap 0x10000 64K rw- private,anon`, `1 w 0x10000`), `#` comments; see
 * docs/trace-format.md.
 *
 * - reading: {@linkcode TextParser} (streaming, straight into batches), {@linkcode parseTraceText}
 *   (text in memory to events), {@linkcode TextFormDecoder} (the reader `readTrace` uses);
 * - writing: {@linkcode formatHeader}, {@linkcode formatEvent}, {@linkcode formatTraceText}.
 *
 * @example
 * ```ts
 * import { formatTraceText, parseTraceText } from "./mod.ts";
 * const text = formatTraceText({ version: 1, mem: 8 << 20 }, [{ pid: 1, op: "w", addr: 4096, len: 1 }]);
 * const { header, events } = parseTraceText(text);
 * const ev = events[0];
 * if (header.mem !== 8 << 20 || ev?.op !== "w" || ev.addr !== 4096) throw new Error(text);
 * ```
 *
 * @module
 */
export * from "./parser.ts";
export * from "./parse.ts";
export * from "./stringify.ts";
export * from "./decoder.ts";
