/**
 * {@linkcode VmtbEncoder}: writes the binary `.vmtb` form, version 3 (see docs/vmtb.md). Events go
 * into blocks of up to {@linkcode VMTB_BLOCK} events stored column by column: the op bytes, the
 * pids as runs, the page numbers as zigzag varint deltas from the same process's previous page,
 * the in-page offsets and lengths as fixed-width columns that vanish when a block's values are all
 * 0 (offsets) or all 1 (lengths), and the remaining fields of the rarer ops in one stream. The file
 * ends with a marker carrying the event count, so a truncated file is detected, and the header and
 * every block carry a CRC-32 (`checksum.ts`), so a corrupt one is.
 *
 * @module
 */
import { type EventBatch, HAS_OFFSET, HAS_PRIO } from "../batch.ts";
import { Op, OPS, type TraceHeader } from "../event.ts";
import { formatHeader } from "../text/stringify.ts";
import {
  ADDR_OPS,
  BLOCK_HAS_LENGTHS,
  BLOCK_HAS_OFFSETS,
  CHECKSUM_BYTES,
  ESCAPE,
  REC_BLOCK,
  REC_END,
  SMALL_HAS_OBJECT,
  VMTB_BLOCK,
  VMTB_MAGIC,
  VMTB_MAX_STRING,
  VMTB_VERSION,
} from "./constants.ts";
import { checksum } from "./checksum.ts";

/** A block is closed once its extra stream reaches this many bytes. */
const EXTRA_LIMIT = 1 << 18;
const enc = new TextEncoder();

/** A growable byte buffer with varint writers. */
class Bytes {
  buf = new Uint8Array(1 << 16);
  pos = 0;

  room(n: number): void {
    if (this.pos + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      bigger.set(this.buf.subarray(0, this.pos));
      this.buf = bigger;
    }
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** A non-negative integer below 2^53 as a little-endian base-128 varint. */
  varint(v: number): void {
    this.room(10);
    const out = this.buf;
    let p = this.pos;
    while (v >= 128) {
      out[p++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    out[p++] = v;
    this.pos = p;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Zigzag of an integer of magnitude below 2^52. */
function zigzag(d: number): number {
  return d >= 0 ? d * 2 : -d * 2 - 1;
}

/**
 * Writes `values[0, n)` (non-negative integers) as a byte column: one byte each, {@linkcode ESCAPE}
 * for a value of 255 or more, then the escaped values as a varint count and, for each, a varint gap
 * (events since the previous escaped one) and the varint value.
 */
function byteColumn(out: Bytes, values: Float64Array, n: number): void {
  out.room(n);
  const buf = out.buf;
  let p = out.pos, escaped = 0;
  for (let k = 0; k < n; k++) {
    const v = values[k]!;
    if (v >= ESCAPE) (buf[p++] = ESCAPE, escaped++);
    else buf[p++] = v;
  }
  out.pos = p;
  out.varint(escaped);
  let last = -1;
  for (let k = 0; k < n; k++) {
    const v = values[k]!;
    if (v < ESCAPE) continue;
    out.varint(k - last - 1);
    out.varint(v);
    last = k;
  }
}

/**
 * Encodes events into `.vmtb` bytes. Call {@linkcode VmtbEncoder.add} per event, take the bytes
 * with {@linkcode VmtbEncoder.take} whenever {@linkcode VmtbEncoder.size} grows large, and
 * {@linkcode VmtbEncoder.finish} at the end.
 *
 * @example
 * ```ts
 * import { VmtbEncoder } from "./encoder.ts";
 * import { EventBatch } from "../batch.ts";
 * const b = new EventBatch(2);
 * b.push({ pid: 1, op: "w", addr: 0x7f0000001000, len: 1 });
 * b.push({ pid: 1, op: "w", addr: 0x7f0000002000, len: 1 });
 * const e = new VmtbEncoder({ version: 1 });
 * e.add(b, 0);
 * e.add(b, 1);
 * e.finish();
 * const bytes = e.take();
 * if (bytes[0] !== 0x56 || bytes.length > 60) throw new Error(`${bytes.length}`);
 * ```
 */
export class VmtbEncoder {
  #out = new Bytes();
  #count = 0;
  #slots = new Map<number, number>();
  #lastPage = new Float64Array(64);
  #strings = new Map<string, number>();
  // the block being built
  #n = 0;
  #ops = new Uint8Array(VMTB_BLOCK);
  #pids = new Int32Array(VMTB_BLOCK);
  #pages = new Float64Array(VMTB_BLOCK);
  #offs = new Uint16Array(VMTB_BLOCK);
  #lens = new Float64Array(VMTB_BLOCK);
  #deltas = new Float64Array(VMTB_BLOCK);
  #extra = new Bytes();
  #body = new Bytes();

  /** Starts a file with `header`. */
  constructor(header: TraceHeader) {
    this.#out.bytes(VMTB_MAGIC);
    this.#out.byte(VMTB_VERSION);
    const h = enc.encode(formatHeader(header));
    this.#out.varint(h.length);
    this.#out.bytes(h);
    this.#checksum(0);
  }

  /** Appends the CRC-32 of the output from `from` to here. */
  #checksum(from: number): void {
    const out = this.#out;
    const c = checksum(out.buf, from, out.pos);
    out.room(CHECKSUM_BYTES);
    out.buf[out.pos++] = c & 255;
    out.buf[out.pos++] = (c >>> 8) & 255;
    out.buf[out.pos++] = (c >>> 16) & 255;
    out.buf[out.pos++] = c >>> 24;
  }

  /** Bytes waiting to be taken (whole blocks; the block being built is not counted). */
  get size(): number {
    return this.#out.pos;
  }

  /** Events added so far. */
  get count(): number {
    return this.#count;
  }

  /** Returns (a copy of) the bytes encoded so far and forgets them. */
  take(): Uint8Array<ArrayBuffer> {
    const b = this.#out.buf.slice(0, this.#out.pos);
    this.#out.pos = 0;
    return b;
  }

  /** Writes the last block and the end marker. */
  finish(): void {
    this.#flush();
    this.#out.byte(REC_END);
    this.#out.varint(this.#count);
  }

  /** Encodes event `i` of `b`. */
  add(b: EventBatch, i: number): void {
    const op = b.op[i]!;
    if (op >= OPS.length) throw new RangeError(`VmtbEncoder: bad op code ${op}`);
    const k = this.#n;
    this.#ops[k] = op;
    this.#pids[k] = b.pid[i]!;
    const addr = ADDR_OPS[op] === 1;
    this.#pages[k] = addr ? b.page[i]! : -1;
    this.#offs[k] = addr ? b.off[i]! : 0;
    this.#lens[k] = addr ? b.n1[i]! : 1;
    if (op < Op.r || op > Op.x) this.#other(b, i, op);
    this.#n = k + 1;
    this.#count++;
    if (this.#n === VMTB_BLOCK || this.#extra.pos >= EXTRA_LIMIT) this.#flush();
  }

  /** The fields of an event that is not r/w/x, into the extra stream. */
  #other(b: EventBatch, i: number, op: number): void {
    const x = this.#extra;
    const small = b.small[i]!;
    switch (op) {
      case Op.mmap: {
        const s = b.str[i]!;
        x.varint(small | (s >= 0 ? SMALL_HAS_OBJECT : 0));
        if (s >= 0) this.#string(b.strings[s]!);
        if (small & HAS_OFFSET) x.varint(b.n2[i]!);
        break;
      }
      case Op.mremap: {
        const off2 = b.off2[i]!;
        x.varint(zigzag(b.page2[i]! - b.page[i]!) * 2 + (off2 !== 0 ? 1 : 0));
        if (off2 !== 0) x.varint(off2);
        x.varint(b.n2[i]!);
        break;
      }
      case Op.mprotect:
      case Op.madvise:
        x.byte(small);
        break;
      case Op.fork:
      case Op.clone:
      case Op.reclaim:
        x.varint(b.n1[i]!);
        break;
      case Op.create:
      case Op.truncate:
        this.#string(b.strings[b.str[i]!]!);
        x.varint(b.n1[i]!);
        break;
      case Op.read:
      case Op.write:
        this.#string(b.strings[b.str[i]!]!);
        x.varint(b.n1[i]!);
        x.varint(b.n2[i]!);
        break;
      case Op.unlink:
      case Op.fsync:
      case Op.swapoff:
      case Op.mark:
        this.#string(b.strings[b.str[i]!]!);
        break;
      case Op.swapon:
        this.#string(b.strings[b.str[i]!]!);
        x.varint(b.n1[i]!);
        x.varint(small & HAS_PRIO ? zigzag(b.n2[i]!) + 1 : 0);
        break;
    }
  }

  /** Writes the block being built (if any) to the output. */
  #flush(): void {
    const n = this.#n;
    if (n === 0) return;
    const body = this.#body;
    body.pos = 0;
    const ops = this.#ops, pids = this.#pids, pages = this.#pages, offs = this.#offs;
    const lens = this.#lens;
    let offsAll = 0, lensAll = true;
    for (let k = 0; k < n; k++) {
      offsAll |= offs[k]!;
      lensAll &&= lens[k] === 1;
    }
    body.byte((lensAll ? 0 : BLOCK_HAS_LENGTHS) | (offsAll !== 0 ? BLOCK_HAS_OFFSETS : 0));
    body.bytes(ops.subarray(0, n));
    // pid runs
    let runs = 0;
    for (let k = 0; k < n; k++) if (k === 0 || pids[k] !== pids[k - 1]) runs++;
    body.varint(runs);
    for (let k = 0; k < n;) {
      let e = k + 1;
      while (e < n && pids[e] === pids[k]) e++;
      body.varint(pids[k]!);
      body.varint(e - k);
      k = e;
    }
    // page deltas from each process's last page (ops without an address: 0)
    let slot = -1, lastPid = -1;
    const deltas = this.#deltas;
    for (let k = 0; k < n; k++) {
      if (pids[k] !== lastPid) {
        lastPid = pids[k]!;
        slot = this.#slotOf(lastPid);
      }
      const page = pages[k]!;
      if (page < 0) deltas[k] = 0;
      else {
        deltas[k] = zigzag(page - this.#lastPage[slot]!);
        this.#lastPage[slot] = page;
      }
    }
    byteColumn(body, deltas, n);
    if (offsAll !== 0) {
      body.room(2 * n);
      const out = body.buf;
      let p = body.pos;
      for (let k = 0; k < n; k++) {
        const o = offs[k]!;
        out[p++] = o & 255;
        out[p++] = o >> 8;
      }
      body.pos = p;
    }
    if (!lensAll) byteColumn(body, lens, n);
    body.bytes(this.#extra.buf.subarray(0, this.#extra.pos));
    const out = this.#out;
    const at = out.pos;
    out.byte(REC_BLOCK);
    out.varint(n);
    out.varint(body.pos);
    out.bytes(body.buf.subarray(0, body.pos));
    this.#checksum(at);
    this.#n = 0;
    this.#extra.pos = 0;
  }

  #slotOf(pid: number): number {
    let s = this.#slots.get(pid);
    if (s === undefined) {
      s = this.#slots.size;
      this.#slots.set(pid, s);
      if (s >= this.#lastPage.length) {
        const bigger = new Float64Array(this.#lastPage.length * 2);
        bigger.set(this.#lastPage);
        this.#lastPage = bigger;
      }
    }
    return s;
  }

  #string(s: string): void {
    const x = this.#extra;
    const k = this.#strings.get(s);
    if (k !== undefined) {
      x.varint(k);
      return;
    }
    const bytes = enc.encode(s);
    if (bytes.length > VMTB_MAX_STRING) {
      throw new RangeError(`String too long for vmtb (${bytes.length} > ${VMTB_MAX_STRING} bytes)`);
    }
    const id = this.#strings.size;
    this.#strings.set(s, id);
    x.varint(id);
    x.varint(bytes.length);
    x.bytes(bytes);
  }
}
