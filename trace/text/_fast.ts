/**
 * The text parser's byte-level vocabulary and its fast path for the commonest line, split from
 * `parser.ts` so that the general parser and the hot loop each read on their own.
 *
 * @module
 */
import { Op } from "../event.ts";
import type { EventBatch } from "../batch.ts";
import { MAX_LINE } from "../_lines.ts";

/** Bytes the tokenizer looks for. */
export const NL = 10, SP = 32, TAB = 9, CR = 13, HASH = 35;
/** Page numbers at or above this are addresses of 2^57 or more. */
export const TWO45 = 2 ** 45;

/** Value of each byte as a hex digit, or -1. */
export const HEX: Int8Array = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;

/** The op code of each byte that starts `r`, `w` or `x`, and -1 for the others. */
const ACCESS_OP = new Int8Array(256).fill(-1);
ACCESS_OP[114] = Op.r;
ACCESS_OP[119] = Op.w;
ACCESS_OP[120] = Op.x;

/**
 * The fast path for the commonest line, `PID r|w|x 0xHEX [DECIMAL]` with single spaces and an
 * optional comment, parsed in one pass with no call per token. It writes event `batch.length`
 * and returns the position after the line's newline, or -1 when the line is anything else
 * (including malformed or incomplete), which the general path then parses and reports.
 */
export function fastAccess(
  buf: Uint8Array,
  s: number,
  n: number,
  b: EventBatch,
  lineNo: number,
): number {
  let p = s;
  let c = buf[p]!;
  if (c < 49 || c > 57) return -1; // a PID starts with 1-9
  let pid = c - 48;
  for (p++; p < n; p++) {
    c = buf[p]!;
    if (c === SP) break;
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    pid = pid * 10 + d;
  }
  if (pid > 0x7fffffff || p + 5 >= n) return -1;
  const op = ACCESS_OP[buf[p + 1]!]!;
  if (op < 0 || buf[p + 2] !== SP || buf[p + 3] !== 48 || buf[p + 4] !== 120) return -1;
  p += 5;
  // the address in one pass, in 32-bit integers (a double multiply per digit is several times
  // slower): `lo` holds its last 7 hex digits, `hi` the ones before them
  const ds = p;
  let hi = 0, lo = 0, d = 0;
  while (p < n && (d = HEX[buf[p]!]!) >= 0) {
    hi = (hi << 4) | (lo >>> 24);
    lo = ((lo << 4) & 0xfffffff) | d;
    p++;
  }
  const nd = p - ds;
  if (nd === 0 || nd > 15 || p >= n) return -1;
  const page = (hi >>> 0) * 65536 + (lo >>> 12), off = lo & 0xfff;
  if (page >= TWO45) return -1;
  let len = 1;
  c = buf[p]!;
  if (c === SP || c === TAB) {
    while (++p < n && ((c = buf[p]!) === SP || c === TAB));
    if (p >= n) return -1;
    if (c >= 48 && c <= 57) {
      const ls = p;
      len = 0;
      for (; p < n; p++) {
        c = buf[p]!;
        const d = c - 48;
        if (d < 0 || d > 9) break;
        len = len * 10 + d;
      }
      // Longer (or too long: above 1 GiB, `limits.ts`) numbers take the slow path.
      if (p - ls > 15 || p >= n || len > 1073741824) return -1;
      while ((c === SP || c === TAB) && ++p < n) c = buf[p]!;
      if (p >= n) return -1;
    }
    if (c === HASH) {
      const nl = buf.indexOf(NL, p);
      if (nl < 0 || nl - s > MAX_LINE) return -1;
      p = nl;
      c = NL;
    }
  }
  if (c === CR && p + 1 < n) c = buf[++p]!;
  if (c !== NL) return -1;
  b.pushAccess(op, pid, page, off, len, lineNo);
  return p + 1;
}
