/**
 * Parsing one line of `strace` output into its parts: the PID prefix (`1234  ` as written with
 * `-f -o FILE`, `[pid  1234] ` on stderr, or none), the timestamp (`-t`, `-tt`, `-ttt`, `-r`), and
 * the body: a complete call, an `<unfinished ...>` start, a `<... NAME resumed>` end, an exit
 * (`+++ exited with N +++`), a signal (`--- SIGCHLD {...} ---`) or strace's own messages.
 *
 * @module
 */

/** What kind of line it is. */
export type StraceLineKind =
  | "call" // NAME(ARGS) = RET
  | "unfinished" // NAME(ARGS <unfinished ...>
  | "resumed" // <... NAME resumed>ARGS) = RET
  | "exited" // +++ exited with N +++ / +++ killed by SIG +++
  | "signal" // --- SIGX {...} ---
  | "noise" // strace: messages, blank lines
  | "unknown"; // anything else

/** One parsed line. Fields not meaningful for the kind are empty strings or `null`. */
export interface StraceLine {
  kind: StraceLineKind;
  /** The PID prefix, or `null` when the line has none. */
  pid: number | null;
  /** Syscall name for call/unfinished/resumed. */
  name: string;
  /** The argument text: for `call` and `unfinished` what follows `NAME(`; for `resumed` what
   * follows `resumed>`; without the closing parenthesis and result. */
  args: string;
  /** The result text after ` = ` (`0x7f...`, `-1 ENOMEM (...)`, `?`), or `null` if none. */
  ret: string | null;
  /** A process id that strace's own `Process N attached` message named, if any. */
  attached: number | null;
}

const PID_O = /^(\d+)\s+/;
const PID_BRACKET = /^\[pid\s+(\d+)\]\s+/;
const TIMESTAMP = /^(?:\d{1,2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+/;
const DURATION = /\s+<\d+\.\d+>$/;
const ATTACHED = /strace: Process (\d+) attached$/;
const CALL_START = /^([a-z_][a-z0-9_]*|\?\?\?\?|\?\?\?)\(/;
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]*|\?+) resumed>\s?/;
const UNFINISHED = " <unfinished ...>";

/**
 * Parses one line of `strace -f` output.
 *
 * @example
 * ```ts
 * import { parseStraceLine } from "./line.ts";
 * const l = parseStraceLine("[pid  42] 12:00:01.5 brk(NULL) = 0x5000");
 * if (l.pid !== 42 || l.name !== "brk" || l.args !== "NULL" || l.ret !== "0x5000") {
 *   throw new Error(JSON.stringify(l));
 * }
 * ```
 */
export function parseStraceLine(raw: string): StraceLine {
  let s = raw.trimEnd();
  const out: StraceLine = {
    kind: "unknown",
    pid: null,
    name: "",
    args: "",
    ret: null,
    attached: null,
  };
  let m = PID_BRACKET.exec(s);
  if (m) {
    out.pid = Number(m[1]);
    s = s.slice(m[0].length);
  } else {
    // A bare number is a PID only when whitespace follows it (a timestamp has `.` or `:`).
    m = PID_O.exec(s);
    if (m) {
      out.pid = Number(m[1]);
      s = s.slice(m[0].length);
    }
  }
  s = s.trimStart();
  m = TIMESTAMP.exec(s);
  if (m) s = s.slice(m[0].length);
  if (s.length === 0) {
    out.kind = "noise";
    return out;
  }
  // On stderr strace's "Process N attached" may land in the middle of a call it interrupted.
  const att = ATTACHED.exec(s);
  if (att) {
    out.attached = Number(att[1]);
    s = s.slice(0, att.index).trimEnd();
    if (s.length === 0) {
      out.kind = "noise";
      return out;
    }
  }
  if (s.startsWith("strace: ")) {
    out.kind = "noise";
    return out;
  }
  if (s.startsWith("+++ ") && s.endsWith(" +++")) {
    out.kind = "exited";
    out.args = s.slice(4, -4);
    return out;
  }
  if (s.startsWith("--- ") && s.endsWith(" ---")) {
    out.kind = "signal";
    out.args = s.slice(4, -4);
    return out;
  }
  s = s.replace(DURATION, "");
  if (s.endsWith(UNFINISHED) || s.endsWith(" <detached ...>")) {
    const cm = CALL_START.exec(s);
    if (!cm) return out;
    out.kind = "unfinished";
    out.name = cm[1]!;
    out.args = s.slice(cm[0].length, s.length - UNFINISHED.length);
    return out;
  }
  const rm = RESUMED.exec(s);
  if (rm) {
    out.kind = "resumed";
    out.name = rm[1]!;
    splitResult(s.slice(rm[0].length), out);
    return out;
  }
  const cm = CALL_START.exec(s);
  if (cm) {
    out.name = cm[1]!;
    const rest = s.slice(cm[0].length);
    if (splitResult(rest, out)) out.kind = "call";
    else {
      // A call cut short by another message: its end comes later as `<... NAME resumed>`.
      out.kind = "unfinished";
      out.args = rest;
    }
    return out;
  }
  return out;
}

/** Splits `ARGS) = RET` into `out.args` and `out.ret`; false if there is no ` = `. */
function splitResult(rest: string, out: StraceLine): boolean {
  // The result follows the last `) = ` (strace pads the result column: `)     = 0`).
  const re = /\)\s+= /g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(rest); m; m = re.exec(rest)) last = m;
  if (!last) return false;
  out.args = rest.slice(0, last.index);
  out.ret = rest.slice(last.index + last[0].length).trim();
  return true;
}

/** A parsed result: the value (as text), whether the call failed, and any `<path>` decoration. */
export interface StraceResult {
  /** The value's text: `0`, `0x7f0000`, `-1`, `?`. */
  value: string;
  /** True when the call failed (`-1 ENOMEM (...)`, or another `E...` code). */
  failed: boolean;
  /** The errno name when failed. */
  errno: string;
  /** The `-y` decoration of an fd result (`3</path>` gives `/path`), without ` (deleted)`. */
  path: string | null;
}

/**
 * Parses a result text such as `0x7f0000000000`, `-1 ENOMEM (Cannot allocate memory)` or
 * `3</usr/lib/libc.so.6>`.
 *
 * @example
 * ```ts
 * import { parseResult } from "./line.ts";
 * const r = parseResult("-1 ENOMEM (Cannot allocate memory)");
 * if (!r.failed || r.errno !== "ENOMEM") throw new Error("expected a failure");
 * ```
 */
export function parseResult(ret: string): StraceResult {
  const m = /^(0x[0-9a-fA-F]+|-?\d+|\?)(<.*>(?:\(deleted\))?)?(?:\s+(E[A-Z0-9]+)\b)?/.exec(ret);
  if (!m) return { value: ret, failed: false, errno: "", path: null };
  const value = m[1]!;
  const errno = m[3] ?? "";
  const failed = errno !== "" || (value.startsWith("-") && value !== "-0");
  return { value, failed, errno, path: m[2] ? cleanPath(m[2]) : null };
}

/** `</path>` or `</path> (deleted)` or `</path>(deleted)` to `/path`. */
export function cleanPath(decoration: string): string {
  let p = decoration;
  if (p.endsWith("(deleted)")) p = p.slice(0, -"(deleted)".length);
  if (p.startsWith("<")) p = p.slice(1);
  if (p.endsWith(">")) p = p.slice(0, -1);
  if (p.endsWith(" (deleted)")) p = p.slice(0, -" (deleted)".length);
  return p;
}
