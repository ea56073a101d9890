/**
 * {@linkcode VmtbEncoder}: writes the binary `.vmtb` form (see docs/vmtb.md). Addresses are stored
 * as zigzag varint deltas from the same process's previous address, lengths as varints, strings
 * once in an inline string table, and the file ends with a marker carrying the event count, so a
 * truncated file is detected.
 *
 * @module
 */
import { type EventBatch, HAS_OFFSET, HAS_PRIO } from "./batch.ts";
import { Op, OPS, type TraceHeader } from "./event.ts";
import { formatHeader } from "./text_write.ts";

/** The magic bytes a `.vmtb` file starts with: `VMTB`. */
export const VMTB_MAGIC = new Uint8Array([0x56, 0x4d, 0x54, 0x42]);
/** The `.vmtb` version this code writes and reads. */
export const VMTB_VERSION = 1;
/** Record flag: same pid as the previous record (no pid follows). */
export const REC_SAME_PID = 0x20;
/** Record flag, per op: r/w/x LEN is 1 (omitted); mmap has an OBJECT; swapon has a prio. */
export const REC_A = 0x40;
/** The end marker; a varint event count follows. */
export const REC_END = 0xff;
/** Longest string (object name, label) a `.vmtb` file may hold, in UTF-8 bytes. */
export const VMTB_MAX_STRING = 65535;

const FLUSH_AT = 1 << 20;
const RESERVE = VMTB_MAX_STRING + 256;
const enc = new TextEncoder();

/**
 * Encodes events into `.vmtb` bytes. Call {@linkcode VmtbEncoder.add} per event, take the bytes
 * with {@linkcode VmtbEncoder.take} whenever {@linkcode VmtbEncoder.size} grows large, and
 * {@linkcode VmtbEncoder.finish} at the end.
 *
 * @example
 * ```ts
 * import { VmtbEncoder } from "./vmtb_write.ts";
 * import { EventBatch } from "./batch.ts";
 * const b = new EventBatch(2);
 * b.push({ pid: 1, op: "w", addr: 0x7f0000001000, len: 1 });
 * b.push({ pid: 1, op: "w", addr: 0x7f0000002000, len: 1 });
 * const e = new VmtbEncoder({ version: 1 });
 * e.add(b, 0);
 * e.add(b, 1);
 * e.finish();
 * const bytes = e.take();
 * if (bytes[0] !== 0x56 || bytes.length > 40) throw new Error(`${bytes.length}`);
 * ```
 */
export class VmtbEncoder {
  #out = new Uint8Array(FLUSH_AT + RESERVE);
  #pos = 0;
  #lastPid = -1;
  #slot = 0;
  #slots = new Map<number, number>();
  #lastPage = new Float64Array(64);
  #strings = new Map<string, number>();
  #count = 0;

  /** Starts a file with `header`. */
  constructor(header: TraceHeader) {
    this.#out.set(VMTB_MAGIC, 0);
    this.#out[4] = VMTB_VERSION;
    this.#pos = 5;
    const h = enc.encode(formatHeader(header));
    this.#varint(h.length);
    this.#out.set(h, this.#pos);
    this.#pos += h.length;
  }

  /** Bytes waiting to be taken. */
  get size(): number {
    return this.#pos;
  }

  /** Events added so far. */
  get count(): number {
    return this.#count;
  }

  /** Returns (a copy of) the bytes encoded so far and forgets them. */
  take(): Uint8Array<ArrayBuffer> {
    const b = this.#out.slice(0, this.#pos);
    this.#pos = 0;
    return b;
  }

  /** Appends the end marker. */
  finish(): void {
    this.#room();
    this.#out[this.#pos++] = REC_END;
    this.#varint(this.#count);
  }

  /** Encodes event `i` of `b`. */
  add(b: EventBatch, i: number): void {
    this.#room();
    const op = b.op[i]!;
    const pid = b.pid[i]!;
    const head = this.#pos++;
    let rec = op;
    if (pid === this.#lastPid) rec |= REC_SAME_PID;
    else {
      this.#varint(pid);
      this.#lastPid = pid;
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
      this.#slot = s;
    }
    const small = b.small[i]!;
    switch (op) {
      case Op.r:
      case Op.w:
      case Op.x: {
        this.#addr(b.page[i]!, b.off[i]!);
        const len = b.n1[i]!;
        if (len === 1) rec |= REC_A;
        else this.#varint(len);
        break;
      }
      case Op.munmap:
      case Op.mlock:
      case Op.munlock:
      case Op.msync:
        this.#addr(b.page[i]!, b.off[i]!);
        this.#varint(b.n1[i]!);
        break;
      case Op.mmap:
        this.#addr(b.page[i]!, b.off[i]!);
        this.#varint(b.n1[i]!);
        this.#varint(small);
        if (b.str[i]! >= 0) {
          rec |= REC_A;
          this.#string(b.strings[b.str[i]!]!);
        }
        if (small & HAS_OFFSET) this.#varint(b.n2[i]!);
        break;
      case Op.mremap:
        this.#addr(b.page[i]!, b.off[i]!);
        this.#varint(b.n1[i]!);
        this.#addr(b.page2[i]!, b.off2[i]!);
        this.#varint(b.n2[i]!);
        break;
      case Op.mprotect:
      case Op.madvise:
        this.#addr(b.page[i]!, b.off[i]!);
        this.#varint(b.n1[i]!);
        this.#out[this.#pos++] = small;
        break;
      case Op.fork:
      case Op.clone:
        this.#varint(b.n1[i]!);
        break;
      case Op.exec:
      case Op.exit:
        break;
      case Op.create:
      case Op.truncate:
        this.#string(b.strings[b.str[i]!]!);
        this.#varint(b.n1[i]!);
        break;
      case Op.read:
      case Op.write:
        this.#string(b.strings[b.str[i]!]!);
        this.#varint(b.n1[i]!);
        this.#varint(b.n2[i]!);
        break;
      case Op.unlink:
      case Op.fsync:
      case Op.swapoff:
      case Op.mark:
        this.#string(b.strings[b.str[i]!]!);
        break;
      case Op.swapon:
        this.#string(b.strings[b.str[i]!]!);
        this.#varint(b.n1[i]!);
        if (small & HAS_PRIO) {
          rec |= REC_A;
          const p = b.n2[i]!;
          this.#varint(p >= 0 ? p * 2 : -p * 2 - 1);
        }
        break;
      case Op.reclaim:
        this.#varint(b.n1[i]!);
        break;
      default:
        throw new RangeError(`VmtbEncoder: bad op code ${op} (${OPS[op]})`);
    }
    this.#out[head] = rec;
    this.#count++;
  }

  #room(): void {
    if (this.#pos + RESERVE > this.#out.length) {
      const bigger = new Uint8Array(this.#out.length * 2);
      bigger.set(this.#out.subarray(0, this.#pos));
      this.#out = bigger;
    }
  }

  /** Writes a non-negative integer below 2^53 as a little-endian base-128 varint. */
  #varint(v: number): void {
    const out = this.#out;
    let p = this.#pos;
    while (v >= 128) {
      out[p++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    out[p++] = v;
    this.#pos = p;
  }

  /** An address: zigzag page delta from this process's last address, shifted left one, with the
   * low bit saying an in-page offset follows. */
  #addr(page: number, off: number): void {
    const last = this.#lastPage[this.#slot]!;
    this.#lastPage[this.#slot] = page;
    const d = page - last;
    const zz = d >= 0 ? d * 2 : -d * 2 - 1;
    if (off === 0) this.#varint(zz * 2);
    else {
      this.#varint(zz * 2 + 1);
      this.#varint(off);
    }
  }

  #string(s: string): void {
    const k = this.#strings.get(s);
    if (k !== undefined) {
      this.#varint(k);
      return;
    }
    const bytes = enc.encode(s);
    if (bytes.length > VMTB_MAX_STRING) {
      throw new RangeError(`String too long for vmtb (${bytes.length} > ${VMTB_MAX_STRING} bytes)`);
    }
    const id = this.#strings.size;
    this.#strings.set(s, id);
    this.#varint(id);
    this.#varint(bytes.length);
    this.#room();
    this.#out.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }
}
