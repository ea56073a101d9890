/**
 * Writing the JSON Lines form: {@linkcode eventToJson} and {@linkcode headerToJson}, the canonical
 * JSON object of an event and of a header (one `JSON.stringify` of each is one line).
 *
 * @module
 */
import type { Addr, Event, TraceHeader } from "../event.ts";
import { SYSTEM_OPS } from "../event.ts";
import { formatAddr, formatFlags, formatProt } from "../syntax.ts";

/**
 * The canonical JSON object of an event: addresses as `"0x..."` strings, PROT and FLAGS as in
 * text, `"-"` as the pid of system events, no `line`.
 *
 * @example
 * ```ts
 * import { eventToJson } from "./stringify.ts";
 * const o = eventToJson({ pid: 1, op: "mprotect", addr: 4096, len: 4096, prot: 1 });
 * if (JSON.stringify(o) !== '{"pid":1,"op":"mprotect","addr":"0x1000","len":4096,"prot":"r--"}') {
 *   throw new Error(JSON.stringify(o));
 * }
 * ```
 */
export function eventToJson(ev: Event): Record<string, unknown> {
  const o: Record<string, unknown> = { pid: SYSTEM_OPS.has(ev.op) ? "-" : ev.pid, op: ev.op };
  for (const [k, v] of Object.entries(ev)) {
    if (k === "pid" || k === "op" || k === "line" || v === undefined) continue;
    if (k === "addr" || k === "newAddr") o[k] = formatAddr(v as Addr);
    else if (k === "prot") o[k] = formatProt(v as number);
    else if (k === "flags") o[k] = formatFlags(v as number);
    else o[k] = v;
  }
  return o;
}

/**
 * The JSON object of a header.
 *
 * @example
 * ```ts
 * import { headerToJson } from "./stringify.ts";
 * if (JSON.stringify(headerToJson({ version: 1 })) !== '{"vmtrace":1}') throw new Error();
 * ```
 */
export function headerToJson(h: TraceHeader): Record<string, unknown> {
  const o: Record<string, unknown> = { vmtrace: 1 };
  if (h.mem !== undefined) o.mem = h.mem;
  if (h.swap !== undefined) o.swap = h.swap;
  if (h.page !== undefined) o.page = h.page;
  if (h.extra !== undefined && Object.keys(h.extra).length > 0) o.extra = h.extra;
  return o;
}
