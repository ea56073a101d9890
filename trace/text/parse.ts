/**
 * {@linkcode parseTraceText}: vmtrace v1 text held in memory to events.
 *
 * @module
 */
import type { Event, TraceHeader } from "../event.ts";
import { EventBatch } from "../batch.ts";
import { TextParser } from "./parser.ts";

/**
 * Parses vmtrace v1 text held in memory into its header and events (each with its `line`).
 * Throws {@linkcode TraceError} at the first malformed line.
 *
 * @param text The whole trace.
 * @param name The file name used in error messages.
 *
 * @example
 * ```ts
 * import { parseTraceText } from "./parse.ts";
 * const { header, events } = parseTraceText("vmtrace 1 mem=8M\n1 w 0x1000 # store\n");
 * if (header.mem !== 8 << 20 || events[0]?.op !== "w") throw new Error("parse");
 * ```
 */
export function parseTraceText(
  text: string,
  name = "<text>",
): { header: TraceHeader; events: Event[] } {
  const parser = new TextParser(name);
  const batch = new EventBatch(1024);
  const events: Event[] = [];
  const drain = () => {
    for (let i = 0; i < batch.length; i++) events.push(batch.get(i));
    batch.clear();
  };
  parser.push(new TextEncoder().encode(text));
  while (parser.fill(batch)) drain();
  while (parser.end(batch)) drain();
  drain();
  return { header: parser.header!, events };
}
