/**
 * {@linkcode TextParser}: the streaming vmtrace v1 text parser. It works on UTF-8 bytes as they
 * arrive, fills {@linkcode EventBatch} columns directly and allocates nothing per event except the
 * strings (object names, swap device names, labels) the trace carries. Only a partial last line
 * is kept between chunks, so memory stays flat however large the file is.
 *
 * @module
 */
import { ADVICES, MapFlag, Op, OPS, SYSTEM_OPS, type TraceHeader } from "../event.ts";
import { type EventBatch, HAS_OFFSET, HAS_PRIO } from "../batch.ts";
import { mmapOffsetProblem } from "../check.ts";
import { TraceError } from "../error.ts";
import { checkFlagBits, checkName } from "../syntax.ts";
import { parseHeaderLine } from "../_header.ts";
import { CR, fastAccess, HASH, HEX, NL, SP, TAB, TWO45 } from "./_fast.ts";
import { MAX_LINE } from "../_lines.ts";
import {
  ACCESS_MAX,
  accessLenProblem,
  rwProblem,
  SWAP_MAX,
  swaponSizeProblem,
} from "../../uapi/limits.ts";

export { MAX_LINE };

const COMMA = 44, DASH = 45;
const TWO41 = 2 ** 41; // page numbers at or above this are values >= 2^53
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Op names as bytes, grouped by length, for matching without decoding. */
const OPS_BY_LEN: [code: number, bytes: Uint8Array][][] = [];
for (const name of OPS) {
  (OPS_BY_LEN[name.length] ??= []).push([Op[name], enc.encode(name)]);
}
const SYSTEM = new Uint8Array(OPS.length);
for (const name of SYSTEM_OPS) SYSTEM[Op[name]] = 1;
const FLAG_WORDS: [bit: number, bytes: Uint8Array][] = Object.entries(MapFlag).map((
  [n, b],
) => [b, enc.encode(n)]);
const ADVICE_WORDS = ADVICES.map((a) => enc.encode(a));
const PRIO = enc.encode("prio=");

/** What each op takes, for "missing argument" messages. */
const USAGE: Record<string, string> = {
  mmap: "ADDR LEN PROT FLAGS [OBJECT [OFFSET]]",
  munmap: "ADDR LEN",
  mremap: "OLDADDR OLDLEN NEWADDR NEWLEN",
  mprotect: "ADDR LEN PROT",
  madvise: "ADDR LEN ADVICE",
  mlock: "ADDR LEN",
  munlock: "ADDR LEN",
  msync: "ADDR LEN",
  fork: "CHILDPID",
  clone: "CHILDPID",
  exec: "",
  exit: "",
  r: "ADDR [LEN]",
  w: "ADDR [LEN]",
  x: "ADDR [LEN]",
  create: "OBJECT SIZE",
  read: "OBJECT OFFSET LEN",
  write: "OBJECT OFFSET LEN",
  truncate: "OBJECT SIZE",
  unlink: "OBJECT",
  fsync: "OBJECT",
  swapon: "NAME SIZE [prio=N]",
  swapoff: "NAME",
  reclaim: "PAGES",
  mark: "LABEL",
};

function isSpace(c: number): boolean {
  return c === SP || c === TAB || c === CR;
}

function bytesEqual(buf: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[s + i] !== word[i]) return false;
  return true;
}

/**
 * Parses vmtrace v1 text incrementally: {@linkcode TextParser.push} a chunk of bytes, then call
 * {@linkcode TextParser.fill} until it returns false (the chunk is used up); at the end of input
 * call {@linkcode TextParser.end}. Malformed input throws {@linkcode TraceError} with the line and
 * column.
 *
 * @example
 * ```ts
 * import { TextParser } from "./parser.ts";
 * import { EventBatch } from "../batch.ts";
 * const p = new TextParser("mem.vmt");
 * const batch = new EventBatch(16);
 * p.push(new TextEncoder().encode("vmtrace 1 mem=8M\n1 w 0x10"));
 * p.fill(batch);
 * p.push(new TextEncoder().encode("00\n"));
 * p.fill(batch);
 * p.end(batch);
 * if (p.header?.mem !== 8 << 20 || batch.length !== 1 || batch.page[0] !== 1) throw new Error();
 * ```
 */
export class TextParser {
  /** The file name used in error messages. */
  readonly name: string;
  /** The header, once its line has been parsed. */
  header: TraceHeader | undefined;
  /** Lines seen so far (the number of the line being parsed). */
  lineNo = 0;
  /** Events parsed so far. */
  events = 0;
  /** When true, {@linkcode TextParser.fill} returns right after the header line. */
  stopAtHeader = false;

  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #carry = new Uint8Array(1024);
  #carryLen = 0;
  // the line being parsed, and the cursor and current token inside it
  #buf: Uint8Array = this.#chunk;
  #ls = 0;
  #le = 0;
  #p = 0;
  #ts = 0;
  #te = 0;
  // result of #scanNum: page number and in-page offset
  #np = 0;
  #no = 0;

  /** Makes a parser; `name` prefixes error messages. */
  constructor(name: string) {
    this.name = name;
  }

  /** Hands the parser the next chunk; the previous one must be used up (`fill` returned false). */
  push(chunk: Uint8Array): void {
    if (this.#pos < this.#chunk.length) {
      throw new Error("TextParser.push: previous chunk not used up");
    }
    this.#chunk = chunk;
    this.#pos = 0;
  }

  /**
   * Parses the complete lines of the current chunk into `batch`. Returns true when it stopped
   * because the batch is full (or the header was read and {@linkcode TextParser.stopAtHeader} is
   * set) with input left, false when the chunk is used up.
   */
  fill(batch: EventBatch): boolean {
    const chunk = this.#chunk;
    const n = chunk.length;
    let pos = this.#pos;
    if (pos < n && this.#carryLen > 0) {
      // finish the line that started in an earlier chunk
      if (batch.length >= batch.capacity) return true;
      const nl = chunk.indexOf(NL, pos);
      const upto = nl < 0 ? n : nl;
      this.#appendCarry(chunk, pos, upto);
      if (nl < 0) {
        this.#pos = n;
        return false;
      }
      this.#pos = nl + 1;
      const len = this.#carryLen;
      this.#carryLen = 0;
      if (this.#line(this.#carry, 0, len, batch)) return true;
      pos = this.#pos;
    }
    const hasHeader = this.header !== undefined;
    while (pos < n) {
      if (batch.length >= batch.capacity) {
        this.#pos = pos;
        return true;
      }
      if (chunk[pos] === NL) {
        // A blank line: nothing to parse (runs of them, as in a padded or hostile file, cost one
        // test each).
        this.lineNo++;
        pos++;
        continue;
      }
      if (hasHeader) {
        const next = fastAccess(chunk, pos, n, batch, this.lineNo + 1);
        if (next >= 0) {
          this.lineNo++;
          this.events++;
          pos = next;
          continue;
        }
      }
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        this.#appendCarry(chunk, pos, n);
        this.#pos = n;
        return false;
      }
      this.#pos = nl + 1;
      if (nl - pos > MAX_LINE) this.#tooLong();
      if (this.#line(chunk, pos, nl, batch)) return true;
      pos = nl + 1;
    }
    this.#pos = pos;
    return false;
  }

  /**
   * Ends the input: parses a last line without a final newline and checks that a header was
   * seen. Returns true if the batch was too full to take that last line (call again after
   * emptying it).
   */
  end(batch: EventBatch): boolean {
    if (this.#carryLen > 0) {
      if (batch.length >= batch.capacity) return true;
      const len = this.#carryLen;
      this.#carryLen = 0;
      this.#line(this.#carry, 0, len, batch);
    }
    if (this.header === undefined) {
      throw new TraceError(
        this.name,
        this.lineNo + 1,
        1,
        "Missing header: expected 'vmtrace 1' as the first line, found " +
          (this.lineNo === 0 ? "an empty file" : "only comments and blank lines"),
      );
    }
    return false;
  }

  #appendCarry(chunk: Uint8Array, s: number, e: number): void {
    const need = this.#carryLen + (e - s);
    if (need > MAX_LINE) this.#tooLong();
    if (need > this.#carry.length) {
      const bigger = new Uint8Array(Math.min(MAX_LINE + 1, Math.max(need, this.#carry.length * 2)));
      bigger.set(this.#carry.subarray(0, this.#carryLen));
      this.#carry = bigger;
    }
    this.#carry.set(chunk.subarray(s, e), this.#carryLen);
    this.#carryLen = need;
  }

  #tooLong(): never {
    this.lineNo++;
    throw new TraceError(
      this.name,
      this.lineNo,
      1,
      `Line too long: longer than ${MAX_LINE} bytes (is this a vmtrace text file?)`,
    );
  }

  /** Moves to the next token of the line; false at the end of the line or a comment. */
  #next(): boolean {
    const buf = this.#buf, e = this.#le;
    let p = this.#p;
    while (p < e && isSpace(buf[p]!)) p++;
    if (p >= e || buf[p] === HASH) {
      // the cursor stays after the last token: "missing argument" points there
      this.#ts = this.#te = p;
      return false;
    }
    const s = p;
    for (; p < e; p++) {
      const c = buf[p]!;
      if (c === SP || c === TAB || c === CR || c === HASH) break;
    }
    this.#ts = s;
    this.#te = p;
    this.#p = p;
    return true;
  }

  /** Parses one line [s, e) of `buf`; returns true if fill should stop (header read). */
  #line(buf: Uint8Array, s: number, e: number, batch: EventBatch): boolean {
    this.lineNo++;
    if (
      this.lineNo === 1 && e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb &&
      buf[s + 2] === 0xbf
    ) {
      s += 3; // a UTF-8 byte order mark, as some editors write
    }
    this.#buf = buf;
    this.#ls = s;
    this.#le = e;
    this.#p = s;
    if (!this.#next()) return false; // blank or comment
    if (this.header === undefined) {
      this.#header();
      return this.stopAtHeader;
    }
    // PID
    const pidS = this.#ts, pidE = this.#te;
    const isDash = pidE - pidS === 1 && buf[pidS] === DASH;
    // OP
    if (!this.#next()) this.#fail(this.#p, "Missing op: expected 'PID OP ARGS...'");
    const op = this.#op();
    if (op < 0) {
      this.#fail(this.#ts, `Unknown op '${this.#tok()}' (expected one of ${OPS.join(", ")})`);
    }
    let pid = 0;
    if (SYSTEM[op] === 1) {
      if (!isDash) {
        this.#fail(
          pidS,
          `System op '${OPS[op]}' takes '-' as its PID, found '${this.#text(pidS, pidE)}'`,
        );
      }
    } else {
      if (isDash) this.#fail(pidS, `Op '${OPS[op]}' needs a process id as its PID, found '-'`);
      pid = this.#pid(pidS, pidE, "PID");
    }
    const i = batch.length;
    batch.resetRow(i, op, pid, this.lineNo);
    batch.rareDirty = -1; // the cases below write the rare columns
    switch (op) {
      case Op.r:
      case Op.w:
      case Op.x:
        this.#addr(op, "ADDR");
        batch.page[i] = this.#np;
        batch.off[i] = this.#no;
        batch.n1[i] = this.#next() ? this.#numTok("LEN") : 1;
        if (batch.n1[i]! > ACCESS_MAX) this.#fail(this.#ts, accessLenProblem(batch.n1[i]!)!);
        break;
      case Op.munmap:
      case Op.mlock:
      case Op.munlock:
      case Op.msync:
        this.#addr(op, "ADDR");
        batch.page[i] = this.#np;
        batch.off[i] = this.#no;
        batch.n1[i] = this.#num(op, "LEN");
        break;
      case Op.mmap: {
        this.#addr(op, "ADDR");
        batch.page[i] = this.#np;
        batch.off[i] = this.#no;
        batch.n1[i] = this.#num(op, "LEN");
        let small = this.#prot(op) | (this.#flags(op) << 3);
        if (this.#next()) {
          batch.str[i] = batch.addString(this.#name("object"));
          if (this.#next()) {
            const offset = this.#numTok("OFFSET");
            const problem = mmapOffsetProblem(offset);
            if (problem !== undefined) this.#fail(this.#ts, problem);
            batch.n2[i] = offset;
            small |= HAS_OFFSET;
          }
        }
        batch.small[i] = small;
        break;
      }
      case Op.mremap:
        this.#addr(op, "OLDADDR");
        batch.page[i] = this.#np;
        batch.off[i] = this.#no;
        batch.n1[i] = this.#num(op, "OLDLEN");
        this.#addr(op, "NEWADDR");
        batch.page2[i] = this.#np;
        batch.off2[i] = this.#no;
        batch.n2[i] = this.#num(op, "NEWLEN");
        break;
      case Op.mprotect:
        this.#addr(op, "ADDR");
        batch.page[i] = this.#np;
        batch.off[i] = this.#no;
        batch.n1[i] = this.#num(op, "LEN");
        batch.small[i] = this.#prot(op);
        break;
      case Op.madvise: {
        this.#addr(op, "ADDR");
        batch.page[i] = this.#np;
        batch.off[i] = this.#no;
        batch.n1[i] = this.#num(op, "LEN");
        this.#need(op, "ADVICE");
        let a = 0;
        while (a < ADVICE_WORDS.length && !bytesEqual(buf, this.#ts, this.#te, ADVICE_WORDS[a]!)) {
          a++;
        }
        if (a === ADVICE_WORDS.length) {
          this.#fail(this.#ts, `Unknown advice '${this.#tok()}' (expected ${ADVICES.join(", ")})`);
        }
        batch.small[i] = a;
        break;
      }
      case Op.fork:
      case Op.clone:
        this.#need(op, "CHILDPID");
        batch.n1[i] = this.#pid(this.#ts, this.#te, "CHILDPID");
        break;
      case Op.exec:
      case Op.exit:
        break;
      case Op.create:
      case Op.truncate:
        this.#need(op, "OBJECT");
        batch.str[i] = batch.addString(this.#name("object"));
        batch.n1[i] = this.#num(op, "SIZE");
        break;
      case Op.read:
      case Op.write:
        this.#need(op, "OBJECT");
        batch.str[i] = batch.addString(this.#name("object"));
        batch.n1[i] = this.#num(op, "OFFSET");
        this.#rwCheck(this.#ts, batch.n1[i]!, this.#num(op, "LEN"), batch, i);
        break;
      case Op.unlink:
      case Op.fsync:
        this.#need(op, "OBJECT");
        batch.str[i] = batch.addString(this.#name("object"));
        break;
      case Op.swapon:
        this.#need(op, "NAME");
        batch.str[i] = batch.addString(this.#name("name"));
        batch.n1[i] = this.#num(op, "SIZE");
        if (batch.n1[i]! > SWAP_MAX) this.#fail(this.#ts, swaponSizeProblem(batch.n1[i]!)!);
        if (this.#next()) {
          batch.n2[i] = this.#prio();
          batch.small[i] = HAS_PRIO;
        }
        break;
      case Op.swapoff:
        this.#need(op, "NAME");
        batch.str[i] = batch.addString(this.#name("name"));
        break;
      case Op.reclaim:
        batch.n1[i] = this.#num(op, "PAGES");
        break;
      case Op.mark:
        this.#need(op, "LABEL");
        batch.str[i] = batch.addString(this.#name("label"));
        break;
    }
    if (this.#next()) {
      this.#fail(
        this.#ts,
        `Extra argument '${this.#tok()}' after a complete '${OPS[op]}' event ` +
          `(expected '${OPS[op]} ${USAGE[OPS[op]!]}')`,
      );
    }
    batch.length = i + 1;
    this.events++;
    return false;
  }

  #header(): void {
    const buf = this.#buf, s = this.#ls;
    if (buf[s] === 0x1f && buf[s + 1] === 0x8b) {
      throw new TraceError(
        this.name,
        this.lineNo,
        1,
        "Missing header: this looks like gzip-compressed data; name the file with a .gz extension",
      );
    }
    const text = dec.decode(buf.subarray(s, this.#le));
    const r = parseHeaderLine(text);
    if (typeof r === "string" || r.error !== undefined) {
      const [col, msg] = typeof r === "string" ? [1, r] : [r.column, r.error!];
      throw new TraceError(this.name, this.lineNo, col, msg);
    }
    this.header = r.header;
  }

  #op(): number {
    const buf = this.#buf, s = this.#ts, len = this.#te - s;
    if (len === 1) {
      const c = buf[s];
      if (c === 119) return Op.w;
      if (c === 114) return Op.r;
      if (c === 120) return Op.x;
      return -1;
    }
    const cands = OPS_BY_LEN[len];
    if (cands === undefined) return -1;
    for (let k = 0; k < cands.length; k++) {
      const c = cands[k]!;
      const w = c[1];
      let j = 0;
      while (j < len && buf[s + j] === w[j]) j++;
      if (j === len) return c[0];
    }
    return -1;
  }

  /** Requires another argument named `what`. */
  #need(op: number, what: string): void {
    if (!this.#next()) {
      const name = OPS[op]!;
      this.#fail(
        this.#p,
        `Missing argument ${what} of '${name}' (expected '${name} ${USAGE[name]}')`,
      );
    }
  }

  /**
   * Scans the number in [s, e) into #np (page) and #no (offset): decimal or 0x hex, optional K/M/G
   * suffix. Returns false if it is not a number. Values of 2^57 and more leave #np >= 2^45.
   */
  #scanNum(s: number, e: number): boolean {
    const buf = this.#buf;
    let shift = 0;
    const last = buf[e - 1]! | 0x20;
    if (last === 107) shift = 10; // k
    else if (last === 109) shift = 20; // m
    else if (last === 103) shift = 30; // g
    if (shift !== 0) e--;
    if (e <= s) return false;
    let page = 0, off = 0;
    if (e - s > 2 && buf[s] === 48 && (buf[s + 1]! | 0x20) === 120) {
      const split = e - 3;
      for (let p = s + 2; p < e; p++) {
        const d = HEX[buf[p]!]!;
        if (d < 0) return false;
        if (p < split) page = page * 16 + d;
        else off = off * 16 + d;
      }
    } else if (e - s <= 15) {
      let v = 0;
      for (let p = s; p < e; p++) {
        const d = buf[p]! - 48;
        if (d < 0 || d > 9) return false;
        v = v * 10 + d;
      }
      page = Math.floor(v / 4096);
      off = v - page * 4096;
    } else {
      for (let p = s; p < e; p++) {
        const d = buf[p]! - 48;
        if (d < 0 || d > 9) return false;
      }
      const v = BigInt(dec.decode(this.#buf.subarray(s, e)));
      if (v >= 2n ** 60n) {
        page = TWO45 * 2 ** 15;
      } else {
        page = Number(v / 4096n);
        off = Number(v % 4096n);
      }
    }
    if (shift !== 0) {
      const o = off * 2 ** shift;
      page = page * 2 ** shift + Math.floor(o / 4096);
      off = o % 4096;
    }
    this.#np = page;
    this.#no = off;
    return true;
  }

  /** Requires an address argument; leaves it in #np/#no. */
  #addr(op: number, what: string): void {
    this.#need(op, what);
    if (!this.#scanNum(this.#ts, this.#te)) {
      this.#fail(
        this.#ts,
        `Expected an address for ${what} (like 0x7f0000000000), found '${this.#tok()}'`,
      );
    }
    if (this.#np >= TWO45) {
      this.#fail(this.#ts, `Address '${this.#tok()}' for ${what} is beyond the 2^57 address space`);
    }
  }

  /** Stores a read/write LEN after checking it and its OFFSET (which starts at `offAt`). */
  #rwCheck(offAt: number, offset: number, len: number, batch: EventBatch, i: number): void {
    const problem = rwProblem(offset, len);
    if (problem !== undefined) {
      this.#fail(problem.field === "LEN" ? this.#ts : offAt, problem.message);
    }
    batch.n2[i] = len;
  }

  /** Requires a number argument below 2^53 and returns it. */
  #num(op: number, what: string): number {
    this.#need(op, what);
    return this.#numTok(what);
  }

  /** The current token as a number below 2^53. */
  #numTok(what: string): number {
    if (!this.#scanNum(this.#ts, this.#te)) {
      this.#fail(
        this.#ts,
        `Expected a number for ${what} (like 4096, 0x1000 or 64K), found '${this.#tok()}'`,
      );
    }
    if (this.#np >= TWO41) {
      this.#fail(this.#ts, `Number '${this.#tok()}' for ${what} is too large (at most 2^53-1)`);
    }
    return this.#np * 4096 + this.#no;
  }

  #pid(s: number, e: number, what: string): number {
    const buf = this.#buf;
    let v = 0;
    for (let p = s; p < e; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9 || e - s > 10) {
        this.#fail(s, `Expected a ${what} (a positive integer), found '${this.#text(s, e)}'`);
      }
      v = v * 10 + d;
    }
    if (v === 0) this.#fail(s, `${what} 0 is not allowed: process ids start at 1`);
    if (v > 0x7fffffff) {
      this.#fail(s, `${what} '${this.#text(s, e)}' is too large (at most 2147483647)`);
    }
    return v;
  }

  #prot(op: number): number {
    this.#need(op, "PROT");
    const buf = this.#buf, s = this.#ts;
    if (this.#te - s === 3) {
      const a = buf[s], b = buf[s + 1], c = buf[s + 2];
      if ((a === 114 || a === DASH) && (b === 119 || b === DASH) && (c === 120 || c === DASH)) {
        return (a === 114 ? 1 : 0) | (b === 119 ? 2 : 0) | (c === 120 ? 4 : 0);
      }
    }
    this.#fail(
      s,
      `Expected PROT as three characters from r, w, x or - (like rw- or r-x), found '${this.#tok()}'`,
    );
  }

  #flags(op: number): number {
    this.#need(op, "FLAGS");
    const buf = this.#buf, e = this.#te;
    let bits = 0;
    let s = this.#ts;
    while (true) {
      let w = s;
      while (w < e && buf[w] !== COMMA) w++;
      let bit = 0;
      for (let k = 0; k < FLAG_WORDS.length; k++) {
        const f = FLAG_WORDS[k]!;
        if (bytesEqual(buf, s, w, f[1])) {
          bit = f[0];
          break;
        }
      }
      if (bit === 0) {
        this.#fail(
          s,
          `Unknown mapping flag '${this.#text(s, w)}' in FLAGS (expected private or shared, plus ` +
            `any of anon, populate, locked, growsdown, noreserve, separated by commas)`,
        );
      }
      bits |= bit;
      if (w >= e) break;
      s = w + 1;
    }
    const err = checkFlagBits(bits);
    if (err !== undefined) this.#fail(this.#ts, `${err} in FLAGS '${this.#tok()}'`);
    return bits;
  }

  #prio(): number {
    const buf = this.#buf, s = this.#ts, e = this.#te;
    let p = s + PRIO.length;
    let ok = e > p && bytesEqual(buf, s, p, PRIO);
    let neg = false;
    if (ok && buf[p] === DASH) {
      neg = true;
      p++;
    }
    let v = 0;
    if (ok && (e - p < 1 || e - p > 9)) ok = false;
    for (; ok && p < e; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9) ok = false;
      v = v * 10 + d;
    }
    if (!ok) this.#fail(s, `Expected prio=N (an integer priority), found '${this.#tok()}'`);
    return neg ? -v : v;
  }

  /** The current token as a checked name (allocates the string). */
  #name(kind: "object" | "name" | "label"): string {
    const s = this.#tok();
    const err = checkName(s, kind);
    if (err !== undefined) this.#fail(this.#ts, err);
    return s;
  }

  #tok(): string {
    return this.#text(this.#ts, this.#te);
  }

  #text(s: number, e: number): string {
    return dec.decode(this.#buf.subarray(s, e));
  }

  #fail(at: number, reason: string): never {
    const col = dec.decode(this.#buf.subarray(this.#ls, Math.max(this.#ls, at))).length + 1;
    throw new TraceError(this.name, this.lineNo, col, reason);
  }
}
