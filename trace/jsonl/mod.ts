/**
 * The JSON Lines form (`.jsonl`): an optional header object `{"vmtrace":1,"mem":...}` on the
 * first line, then one object per event with the fields of {@linkcode Event}. Events are
 * validated with one zod schema per op.
 *
 * See docs/trace-format.md.
 *
 * - reading: {@linkcode eventFromJson}, {@linkcode headerFromJson}, {@linkcode JsonlDecoder}
 *   (the reader `readTrace` uses);
 * - writing: {@linkcode eventToJson}, {@linkcode headerToJson}.
 *
 * @example
 * ```ts
 * import { eventFromJson, eventToJson } from "./mod.ts";
 * const o = eventToJson({ pid: 1, op: "w", addr: 0x1000, len: 1 });
 * const ev = eventFromJson(JSON.parse(JSON.stringify(o)));
 * if ("message" in ev || ev.op !== "w" || ev.addr !== 0x1000) throw new Error(JSON.stringify(o));
 * ```
 *
 * @module
 */
export * from "./parse.ts";
export * from "./stringify.ts";
export * from "./decoder.ts";
