/**
 * {@linkcode EventBatch}: the columnar encoding the replay engine consumes, as laid out by
 * `EventColumns` (`uapi/event.ts`, whose module doc says which column holds what for each op).
 *
 * @module
 */
import {
  ADVICES,
  type EventColumns,
  FLAGS_MASK,
  FLAGS_SHIFT,
  HAS_OFFSET,
  HAS_PRIO,
  Op,
  type OpName,
  OPS,
  PAGE_SHIFT,
  PAGE_SIZE,
  PROT_MASK,
} from "../uapi/event.ts";
import type { Addr, Event } from "./event.ts";

// The packing of the `small` column, for the users of this module.
export { FLAGS_MASK, FLAGS_SHIFT, HAS_OFFSET, HAS_PRIO, PROT_MASK } from "../uapi/event.ts";

const TWO53 = 2 ** 53;
// the columns' element sizes: five 8-byte, three 4-byte, two 2-byte and one 1-byte
const BYTES_PER_EVENT = 5 * 8 + 3 * 4 + 2 * 2 + 1;
const BIG_PAGE = BigInt(PAGE_SIZE);

/**
 * Splits an address into its page number and offset within the page, exactly.
 *
 * @example
 * ```ts
 * import { splitAddr } from "./batch.ts";
 * const [page, off] = splitAddr(0x7f0000001234);
 * if (page !== 0x7f0000001 || off !== 0x234) throw new Error("bad split");
 * ```
 */
export function splitAddr(addr: Addr): [page: number, off: number] {
  if (typeof addr === "bigint") {
    return [Number(addr / BIG_PAGE), Number(addr % BIG_PAGE)];
  }
  const off = addr % PAGE_SIZE;
  return [(addr - off) / PAGE_SIZE, off];
}

/**
 * Joins a page number and an in-page offset into an {@linkcode Addr}: a number when exact, a
 * bigint otherwise.
 *
 * @example
 * ```ts
 * import { joinAddr } from "./batch.ts";
 * if (joinAddr(1, 16) !== 4112) throw new Error("bad join");
 * ```
 */
export function joinAddr(page: number, off: number): Addr {
  const a = page * PAGE_SIZE + off;
  if (a < TWO53) return a;
  return (BigInt(page) << BigInt(PAGE_SHIFT)) + BigInt(off);
}

/**
 * A fixed-capacity batch of events stored column by column in typed arrays.
 *
 * Producers either {@linkcode EventBatch.push} whole {@linkcode Event} objects or write the
 * columns directly and bump {@linkcode EventBatch.length}; consumers read the columns by index.
 *
 * @example
 * ```ts
 * import { EventBatch } from "./batch.ts";
 * import { Op } from "./event.ts";
 * const b = new EventBatch(16);
 * b.push({ pid: 1, op: "w", addr: 0x1000, len: 8 });
 * if (b.op[0] !== Op.w || b.page[0] !== 1) throw new Error("bad batch");
 * ```
 */
export class EventBatch implements EventColumns {
  /** Maximum number of events. */
  readonly capacity: number;
  /** Number of events stored. */
  length = 0;
  /** Operation code ({@linkcode Op}). */
  readonly op: Uint8Array;
  /** Process id; 0 for system events. */
  readonly pid: Int32Array;
  /** Page number of the (first) address. */
  readonly page: Float64Array;
  /** Offset of the (first) address within its page. */
  readonly off: Uint16Array;
  /** Page number of mremap's new address. */
  readonly page2: Float64Array;
  /** Offset of mremap's new address within its page. */
  readonly off2: Uint16Array;
  /** First numeric argument (see `EventColumns` in `uapi/event.ts`). */
  readonly n1: Float64Array;
  /** Second numeric argument (see `EventColumns` in `uapi/event.ts`). */
  readonly n2: Float64Array;
  /** Small packed integers: prot, flags, advice, presence bits. */
  readonly small: Int32Array;
  /** Index into {@linkcode EventBatch.strings}, or -1. */
  readonly str: Int32Array;
  /** Source line (or event number) of each event; 0 if unknown. */
  readonly line: Float64Array;
  /** Strings referenced by {@linkcode EventBatch.str}: object names, swap device names, labels. */
  strings: string[] = [];
  /**
   * Which rows of the rarely used columns (`page2`, `off2`, `n2`, `small`, `str`) may hold values
   * other than their defaults (0, and -1 in `str`), so that a producer that needs them at their
   * defaults can reset just those rows: -1 means any row may (a new batch, or after
   * {@linkcode EventBatch.push}); k >= 0 means only the rows `rareRows[0, k)` may. Code that
   * writes anything but the defaults into those columns directly must set it to -1 (or add the
   * row to {@linkcode EventBatch.rareRows}). The `.vmtb` decoder relies on it.
   */
  rareDirty: number = -1;
  /** The rows counted by {@linkcode EventBatch.rareDirty} when it is 0 or more. */
  rareRows: Int32Array | null = null;

  /**
   * Makes an empty batch that holds up to `capacity` events. With `buffer` (at least
   * {@linkcode EventBatch.byteLength}`(capacity)` bytes, a `SharedArrayBuffer` to share the batch
   * with workers), the columns are views into it rather than arrays of their own; two batches made
   * over the same buffer see the same events.
   *
   * @example
   * ```ts
   * import { EventBatch } from "./batch.ts";
   * const buf = new SharedArrayBuffer(EventBatch.byteLength(64));
   * const a = new EventBatch(64, buf), b = new EventBatch(64, buf);
   * a.push({ pid: 1, op: "r", addr: 0x5000, len: 1 });
   * if (b.page[0] !== 5) throw new Error("the columns are not shared");
   * ```
   */
  constructor(capacity = 4096, buffer?: ArrayBufferLike) {
    this.capacity = capacity;
    if (buffer === undefined) {
      this.op = new Uint8Array(capacity);
      this.pid = new Int32Array(capacity);
      this.page = new Float64Array(capacity);
      this.off = new Uint16Array(capacity);
      this.page2 = new Float64Array(capacity);
      this.off2 = new Uint16Array(capacity);
      this.n1 = new Float64Array(capacity);
      this.n2 = new Float64Array(capacity);
      this.small = new Int32Array(capacity);
      this.str = new Int32Array(capacity);
      this.line = new Float64Array(capacity);
      return;
    }
    if (buffer.byteLength < EventBatch.byteLength(capacity)) {
      throw new RangeError(
        `EventBatch: a buffer of ${buffer.byteLength} bytes is too small for ${capacity} events ` +
          `(expected at least ${EventBatch.byteLength(capacity)})`,
      );
    }
    // Widest columns first, so that every view is aligned.
    let at = 0;
    const take = (bytes: number) => (at += bytes * capacity) - bytes * capacity;
    this.page = new Float64Array(buffer, take(8), capacity);
    this.page2 = new Float64Array(buffer, take(8), capacity);
    this.n1 = new Float64Array(buffer, take(8), capacity);
    this.n2 = new Float64Array(buffer, take(8), capacity);
    this.line = new Float64Array(buffer, take(8), capacity);
    this.pid = new Int32Array(buffer, take(4), capacity);
    this.small = new Int32Array(buffer, take(4), capacity);
    this.str = new Int32Array(buffer, take(4), capacity);
    this.off = new Uint16Array(buffer, take(2), capacity);
    this.off2 = new Uint16Array(buffer, take(2), capacity);
    this.op = new Uint8Array(buffer, take(1), capacity);
  }

  /** Bytes of buffer a batch of `capacity` events takes (see the constructor). */
  static byteLength(capacity: number): number {
    return capacity * BYTES_PER_EVENT;
  }

  /** True when no more events fit. */
  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** Empties the batch for reuse (the typed arrays are kept). */
  clear(): void {
    this.length = 0;
    this.strings = [];
  }

  /** Adds `s` to the string table and returns its index. */
  addString(s: string): number {
    this.strings.push(s);
    return this.strings.length - 1;
  }

  /**
   * Writes row `i` as an event of op code `op` by `pid` from `line`, every other column at its
   * default (0, no string). The length is left alone.
   */
  resetRow(i: number, op: number, pid: number, line: number): void {
    this.op[i] = op;
    this.pid[i] = pid;
    this.page[i] = 0;
    this.off[i] = 0;
    this.page2[i] = 0;
    this.off2[i] = 0;
    this.n1[i] = 0;
    this.n2[i] = 0;
    this.small[i] = 0;
    this.str[i] = -1;
    this.line[i] = line;
  }

  /**
   * Appends an access without building an {@linkcode Event}: op code `op` (r, w or x) by `pid` at
   * `page` and in-page offset `off`, `len` bytes, from `line`. For the fast paths of the readers
   * and importers; the caller makes sure the batch is not full.
   */
  pushAccess(op: number, pid: number, page: number, off: number, len: number, line: number): void {
    const i = this.length;
    this.op[i] = op;
    this.pid[i] = pid;
    this.page[i] = page;
    this.off[i] = off;
    this.page2[i] = 0;
    this.off2[i] = 0;
    this.n1[i] = len;
    this.n2[i] = 0;
    this.small[i] = 0;
    this.str[i] = -1;
    this.line[i] = line;
    this.length = i + 1;
  }

  /** Appends one event; throws a RangeError when the batch is full. */
  push(ev: Event): void {
    if (this.full) throw new RangeError(`EventBatch is full (capacity ${this.capacity})`);
    const i = this.length++;
    this.rareDirty = -1;
    this.resetRow(i, Op[ev.op], ev.pid, ev.line ?? 0);
    switch (ev.op) {
      case "mmap":
        this.#addr(i, ev.addr);
        this.n1[i] = ev.len;
        this.n2[i] = ev.offset ?? 0;
        this.small[i] = ev.prot | (ev.flags << FLAGS_SHIFT) |
          (ev.offset !== undefined ? HAS_OFFSET : 0);
        if (ev.object !== undefined) this.str[i] = this.addString(ev.object);
        break;
      case "munmap":
      case "mlock":
      case "munlock":
      case "msync":
      case "r":
      case "w":
      case "x":
        this.#addr(i, ev.addr);
        this.n1[i] = ev.len;
        break;
      case "mremap": {
        this.#addr(i, ev.addr);
        this.n1[i] = ev.len;
        const [p, o] = splitAddr(ev.newAddr);
        this.page2[i] = p;
        this.off2[i] = o;
        this.n2[i] = ev.newLen;
        break;
      }
      case "mprotect":
        this.#addr(i, ev.addr);
        this.n1[i] = ev.len;
        this.small[i] = ev.prot;
        break;
      case "madvise":
        this.#addr(i, ev.addr);
        this.n1[i] = ev.len;
        this.small[i] = ADVICES.indexOf(ev.advice);
        break;
      case "fork":
      case "clone":
        this.n1[i] = ev.child;
        break;
      case "exec":
      case "exit":
        break;
      case "create":
      case "truncate":
        this.str[i] = this.addString(ev.object);
        this.n1[i] = ev.size;
        break;
      case "read":
      case "write":
        this.str[i] = this.addString(ev.object);
        this.n1[i] = ev.offset;
        this.n2[i] = ev.len;
        break;
      case "unlink":
      case "fsync":
        this.str[i] = this.addString(ev.object);
        break;
      case "swapon":
        this.str[i] = this.addString(ev.name);
        this.n1[i] = ev.size;
        if (ev.prio !== undefined) {
          this.n2[i] = ev.prio;
          this.small[i] = HAS_PRIO;
        }
        break;
      case "swapoff":
        this.str[i] = this.addString(ev.name);
        break;
      case "reclaim":
        this.n1[i] = ev.pages;
        break;
      case "mark":
        this.str[i] = this.addString(ev.label);
        break;
    }
  }

  #addr(i: number, addr: Addr): void {
    const [p, o] = splitAddr(addr);
    this.page[i] = p;
    this.off[i] = o;
  }

  /** Rebuilds event `i` as a plain {@linkcode Event} object (allocates; not for the hot path). */
  get(i: number): Event {
    const opName = OPS[this.op[i]!] as OpName;
    const pid = this.pid[i]!;
    const lineNo = this.line[i]!;
    const base = lineNo > 0 ? { pid, line: lineNo } : { pid };
    const addr = joinAddr(this.page[i]!, this.off[i]!);
    const n1 = this.n1[i]!;
    const n2 = this.n2[i]!;
    const small = this.small[i]!;
    const s = this.str[i]! >= 0 ? this.strings[this.str[i]!]! : undefined;
    switch (opName) {
      case "mmap": {
        const ev: Event = {
          ...base,
          op: opName,
          addr,
          len: n1,
          prot: small & PROT_MASK,
          flags: (small >> FLAGS_SHIFT) & FLAGS_MASK,
        };
        if (s !== undefined) ev.object = s;
        if (small & HAS_OFFSET) ev.offset = n2;
        return ev;
      }
      case "munmap":
      case "mlock":
      case "munlock":
      case "msync":
      case "r":
      case "w":
      case "x":
        return { ...base, op: opName, addr, len: n1 };
      case "mremap":
        return {
          ...base,
          op: opName,
          addr,
          len: n1,
          newAddr: joinAddr(this.page2[i]!, this.off2[i]!),
          newLen: n2,
        };
      case "mprotect":
        return { ...base, op: opName, addr, len: n1, prot: small & PROT_MASK };
      case "madvise":
        return { ...base, op: opName, addr, len: n1, advice: ADVICES[small]! };
      case "fork":
      case "clone":
        return { ...base, op: opName, child: n1 };
      case "exec":
      case "exit":
        return { ...base, op: opName };
      case "create":
      case "truncate":
        return { ...base, op: opName, object: s!, size: n1 };
      case "read":
      case "write":
        return { ...base, op: opName, object: s!, offset: n1, len: n2 };
      case "unlink":
      case "fsync":
        return { ...base, op: opName, object: s! };
      case "swapon":
        return small & HAS_PRIO
          ? { ...base, op: opName, name: s!, size: n1, prio: n2 }
          : { ...base, op: opName, name: s!, size: n1 };
      case "swapoff":
        return { ...base, op: opName, name: s! };
      case "reclaim":
        return { ...base, op: opName, pages: n1 };
      case "mark":
        return { ...base, op: opName, label: s! };
    }
  }
}
