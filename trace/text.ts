/**
 * {@linkcode parseTraceText}: vmtrace v1 text held in memory to events.
 *
 * @module
 */
import {
  type Addr,
  type Advice,
  ADVICES,
  type Event,
  type OpName,
  OPS,
  type TraceHeader,
} from "./event.ts";
import { TraceError } from "./error.ts";
import {
  ADDR_LIMIT,
  checkName,
  isSystemOp,
  NUM_LIMIT,
  parseFlags,
  parseNumber,
  parseProt,
} from "./syntax.ts";

interface Token {
  text: string;
  col: number;
}

/**
 * Parses vmtrace v1 text held in memory into its header and events (each with its `line`).
 * Throws {@linkcode TraceError} at the first malformed line.
 *
 * @param text The whole trace.
 * @param name The file name used in error messages.
 *
 * @example
 * ```ts
 * import { parseTraceText } from "./text.ts";
 * const { header, events } = parseTraceText("vmtrace 1 mem=8M\n1 w 0x1000 # store\n");
 * if (header.mem !== 8 << 20 || events[0]?.op !== "w") throw new Error("parse");
 * ```
 */
export function parseTraceText(
  text: string,
  name = "<text>",
): { header: TraceHeader; events: Event[] } {
  const lines = text.split("\n");
  let header: TraceHeader | undefined;
  const events: Event[] = [];
  for (let ln = 0; ln < lines.length; ln++) {
    let line = lines[ln]!;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    const toks: Token[] = [];
    const re = /[^ \t]+/g;
    for (let m; (m = re.exec(line));) toks.push({ text: m[0], col: m.index + 1 });
    if (toks.length === 0) continue;
    const err = (t: Token | undefined, msg: string) =>
      new TraceError(name, ln + 1, t ? t.col : line.length + 1, msg);
    if (header === undefined) {
      header = parseHeader(toks, err);
      continue;
    }
    events.push(parseEventTokens(toks, ln + 1, err));
  }
  if (header === undefined) {
    throw new TraceError(name, 1, 1, "Missing header: expected 'vmtrace 1' as the first line");
  }
  return { header, events };
}

type Err = (t: Token | undefined, msg: string) => TraceError;

function parseHeader(toks: Token[], err: Err): TraceHeader {
  const [magic, ver, ...rest] = toks;
  if (magic!.text !== "vmtrace") {
    throw err(magic, `Missing header: expected 'vmtrace 1', found '${magic!.text}'`);
  }
  if (ver === undefined) throw err(ver, "Missing version: expected 'vmtrace 1'");
  if (ver.text !== "1") {
    throw err(ver, `Unsupported vmtrace version '${ver.text}' (this reader knows version 1)`);
  }
  const header: TraceHeader = { version: 1 };
  for (const t of rest) {
    const eq = t.text.indexOf("=");
    if (eq <= 0) throw err(t, `Expected key=value in the header, found '${t.text}'`);
    const key = t.text.slice(0, eq);
    const value = t.text.slice(eq + 1);
    if (key === "mem" || key === "swap" || key === "page") {
      const n = parseNumber(value);
      if (typeof n !== "number") throw err(t, `Expected a size for ${key}, found '${value}'`);
      header[key] = n;
    } else {
      (header.extra ??= {})[key] = value;
    }
  }
  return header;
}

function parseEventTokens(toks: Token[], line: number, err: Err): Event {
  const [pidTok, opTok, ...args] = toks;
  if (opTok === undefined) throw err(opTok, "Missing op: expected 'PID OP ARGS...'");
  const op = opTok.text as OpName;
  if (!(OPS as readonly string[]).includes(op)) {
    throw err(opTok, `Unknown op '${opTok.text}' (expected one of ${OPS.join(", ")})`);
  }
  let pid = 0;
  if (isSystemOp(op)) {
    if (pidTok!.text !== "-") {
      throw err(pidTok, `System op '${op}' takes '-' as its PID, found '${pidTok!.text}'`);
    }
  } else {
    if (pidTok!.text === "-") throw err(pidTok, `Op '${op}' needs a process id, found '-'`);
    pid = pidOf(pidTok!, "PID", err);
  }
  let ai = 0;
  const need = (what: string): Token => {
    const t = args[ai++];
    if (t === undefined) throw err(undefined, `Missing argument ${what} of '${op}'`);
    return t;
  };
  const more = () => ai < args.length;
  const num = (what: string): number => {
    const t = need(what);
    const n = parseNumber(t.text);
    if (n === undefined) throw err(t, `Expected a number for ${what}, found '${t.text}'`);
    if (typeof n !== "number" || n >= NUM_LIMIT) throw err(t, `${what} '${t.text}' is too large`);
    return n;
  };
  const addr = (what: string): Addr => {
    const t = need(what);
    const n = parseNumber(t.text);
    if (n === undefined) throw err(t, `Expected an address for ${what}, found '${t.text}'`);
    if (BigInt(n) >= ADDR_LIMIT) throw err(t, `Address '${t.text}' is beyond 2^57`);
    return n;
  };
  const str = (what: string, kind: "object" | "name" | "label"): string => {
    const t = need(what);
    const e = checkName(t.text, kind);
    if (e) throw err(t, e);
    return t.text;
  };
  const prot = (): number => {
    const t = need("PROT");
    const p = parseProt(t.text);
    if (p === undefined) throw err(t, `Expected PROT like rw- or r-x, found '${t.text}'`);
    return p;
  };
  const b = { pid, line };
  let ev: Event;
  switch (op) {
    case "mmap": {
      const a = addr("ADDR"), len = num("LEN"), p = prot();
      const ft = need("FLAGS");
      const f = parseFlags(ft.text);
      if (typeof f === "string") throw err(ft, f);
      ev = { ...b, op, addr: a, len, prot: p, flags: f };
      if (more()) ev.object = str("OBJECT", "object");
      if (more()) ev.offset = num("OFFSET");
      break;
    }
    case "munmap":
    case "mlock":
    case "munlock":
    case "msync":
      ev = { ...b, op, addr: addr("ADDR"), len: num("LEN") };
      break;
    case "r":
    case "w":
    case "x": {
      const a = addr("ADDR");
      ev = { ...b, op, addr: a, len: more() ? num("LEN") : 1 };
      break;
    }
    case "mremap":
      ev = {
        ...b,
        op,
        addr: addr("OLDADDR"),
        len: num("OLDLEN"),
        newAddr: addr("NEWADDR"),
        newLen: num("NEWLEN"),
      };
      break;
    case "mprotect":
      ev = { ...b, op, addr: addr("ADDR"), len: num("LEN"), prot: prot() };
      break;
    case "madvise": {
      const a = addr("ADDR"), len = num("LEN");
      const t = need("ADVICE");
      if (!(ADVICES as readonly string[]).includes(t.text)) {
        throw err(t, `Unknown advice '${t.text}' (expected ${ADVICES.join(", ")})`);
      }
      ev = { ...b, op, addr: a, len, advice: t.text as Advice };
      break;
    }
    case "fork":
    case "clone":
      ev = { ...b, op, child: pidOf(need("CHILDPID"), "CHILDPID", err) };
      break;
    case "exec":
    case "exit":
      ev = { ...b, op };
      break;
    case "create":
    case "truncate":
      ev = { ...b, op, object: str("OBJECT", "object"), size: num("SIZE") };
      break;
    case "read":
    case "write":
      ev = { ...b, op, object: str("OBJECT", "object"), offset: num("OFFSET"), len: num("LEN") };
      break;
    case "unlink":
    case "fsync":
      ev = { ...b, op, object: str("OBJECT", "object") };
      break;
    case "swapon": {
      ev = { ...b, op, name: str("NAME", "name"), size: num("SIZE") };
      if (more()) {
        const t = need("prio=N");
        const m = /^prio=(-?[0-9]+)$/.exec(t.text);
        if (!m) throw err(t, `Expected prio=N, found '${t.text}'`);
        ev.prio = Number(m[1]);
      }
      break;
    }
    case "swapoff":
      ev = { ...b, op, name: str("NAME", "name") };
      break;
    case "reclaim":
      ev = { ...b, op, pages: num("PAGES") };
      break;
    case "mark":
      ev = { ...b, op, label: str("LABEL", "label") };
      break;
  }
  if (more()) {
    const t = args[ai]!;
    throw err(t, `Extra argument '${t.text}' after a complete '${op}' event`);
  }
  return ev;
}

function pidOf(t: Token, what: string, err: Err): number {
  if (!/^[0-9]+$/.test(t.text)) {
    throw err(t, `Expected a ${what} (positive integer), found '${t.text}'`);
  }
  const n = Number(t.text);
  if (n === 0) throw err(t, `${what} 0 is not allowed: process ids start at 1`);
  if (n > 0x7fffffff) throw err(t, `${what} '${t.text}' is too large (at most 2147483647)`);
  return n;
}
