/**
 * The canonical vmtrace v1 text writer: one line per event, hex addresses, sizes with binary
 * suffixes, `-` as the PID of system events.
 *
 * @module
 */
import type { Event, TraceHeader } from "../event.ts";
import { formatAddr, formatFlags, formatProt, formatSize } from "../syntax.ts";

/**
 * Formats a header line (`vmtrace 1 mem=8M swap=32M`), without a newline.
 *
 * @example
 * ```ts
 * import { formatHeader } from "./stringify.ts";
 * if (formatHeader({ version: 1, mem: 8 << 20 }) !== "vmtrace 1 mem=8M") throw new Error();
 * ```
 */
export function formatHeader(header: TraceHeader): string {
  let s = "vmtrace 1";
  if (header.mem !== undefined) s += ` mem=${formatSize(header.mem)}`;
  if (header.swap !== undefined) s += ` swap=${formatSize(header.swap)}`;
  if (header.page !== undefined) s += ` page=${header.page}`;
  for (const [k, v] of Object.entries(header.extra ?? {})) s += ` ${k}=${v}`;
  return s;
}

/**
 * Formats one event as a line of text, without a newline.
 *
 * @example
 * ```ts
 * import { formatEvent } from "./stringify.ts";
 * const line = formatEvent({ pid: 1, op: "mmap", addr: 0x10000, len: 65536, prot: 3, flags: 5 });
 * if (line !== "1 mmap 0x10000 64K rw- private,anon") throw new Error(line);
 * ```
 */
export function formatEvent(ev: Event): string {
  const pid = ev.pid === 0 ? "-" : String(ev.pid);
  const head = `${pid} ${ev.op}`;
  switch (ev.op) {
    case "mmap": {
      let s = `${head} ${formatAddr(ev.addr)} ${formatSize(ev.len)} ${formatProt(ev.prot)} ${
        formatFlags(ev.flags)
      }`;
      if (ev.object !== undefined) {
        s += ` ${ev.object}`;
        if (ev.offset !== undefined) s += ` ${formatSize(ev.offset)}`;
      }
      return s;
    }
    case "munmap":
    case "mlock":
    case "munlock":
    case "msync":
      return `${head} ${formatAddr(ev.addr)} ${formatSize(ev.len)}`;
    case "r":
    case "w":
    case "x":
      return ev.len === 1
        ? `${head} ${formatAddr(ev.addr)}`
        : `${head} ${formatAddr(ev.addr)} ${ev.len}`;
    case "mremap":
      return `${head} ${formatAddr(ev.addr)} ${formatSize(ev.len)} ${formatAddr(ev.newAddr)} ${
        formatSize(ev.newLen)
      }`;
    case "mprotect":
      return `${head} ${formatAddr(ev.addr)} ${formatSize(ev.len)} ${formatProt(ev.prot)}`;
    case "madvise":
      return `${head} ${formatAddr(ev.addr)} ${formatSize(ev.len)} ${ev.advice}`;
    case "fork":
    case "clone":
      return `${head} ${ev.child}`;
    case "exec":
    case "exit":
      return head;
    case "create":
    case "truncate":
      return `${head} ${ev.object} ${formatSize(ev.size)}`;
    case "read":
    case "write":
      return `${head} ${ev.object} ${formatSize(ev.offset)} ${formatSize(ev.len)}`;
    case "unlink":
    case "fsync":
      return `${head} ${ev.object}`;
    case "swapon":
      return ev.prio === undefined
        ? `${head} ${ev.name} ${formatSize(ev.size)}`
        : `${head} ${ev.name} ${formatSize(ev.size)} prio=${ev.prio}`;
    case "swapoff":
      return `${head} ${ev.name}`;
    case "reclaim":
      return `${head} ${ev.pages}`;
    case "mark":
      return `${head} ${ev.label}`;
  }
}

/**
 * Formats a whole trace as vmtrace v1 text (header line, one line per event, final newline).
 *
 * @example
 * ```ts
 * import { formatTraceText } from "./stringify.ts";
 * const text = formatTraceText({ version: 1 }, [{ pid: 1, op: "w", addr: 0x1000, len: 1 }]);
 * if (text !== "vmtrace 1\n1 w 0x1000\n") throw new Error(text);
 * ```
 */
export function formatTraceText(header: TraceHeader, events: Iterable<Event>): string {
  const lines = [formatHeader(header)];
  for (const ev of events) lines.push(formatEvent(ev));
  return lines.join("\n") + "\n";
}
