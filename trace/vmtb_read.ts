/**
 * {@linkcode VmtbDecoder}: reads the binary `.vmtb` form (see docs/vmtb.md) straight into
 * {@linkcode EventBatch} columns, allocating nothing per event.
 *
 * @module
 */
import { type EventBatch, HAS_OFFSET, HAS_PRIO } from "./batch.ts";
import { ADVICES, Op, OPS, SYSTEM_OPS, type TraceHeader } from "./event.ts";
import { checkFlagBits } from "./syntax.ts";
import { mmapOffsetProblem } from "./check.ts";
import { TraceError } from "./error.ts";
import type { ByteSource } from "./_source.ts";
import { parseHeaderLine } from "./_header.ts";
import {
  REC_A,
  REC_END,
  REC_SAME_PID,
  VMTB_MAGIC,
  VMTB_MAX_STRING,
  VMTB_VERSION,
} from "./vmtb_write.ts";

/** Bytes kept ahead of the cursor so a whole record is in the buffer (longest string + slack). */
const LOOKAHEAD = VMTB_MAX_STRING + 256;
const BUF = (1 << 20) + 2 * LOOKAHEAD;
const dec = new TextDecoder();
const SYSTEM = new Uint8Array(32);
for (const name of SYSTEM_OPS) SYSTEM[Op[name]] = 1;
/** Page numbers at or above this are addresses of 2^57 or more. */
const TWO45 = 2 ** 45;
/** Pids below this find their slot in an array rather than a Map. */
const SMALL_PIDS = 1 << 16;
/** Ops whose record starts with an address. */
const ADDR_OPS = new Uint8Array(32);
for (
  const op of [
    Op.mmap,
    Op.munmap,
    Op.mremap,
    Op.mprotect,
    Op.madvise,
    Op.mlock,
    Op.munlock,
    Op.msync,
    Op.r,
    Op.w,
    Op.x,
  ]
) ADDR_OPS[op] = 1;

/** Where the last {@linkcode varint} call stopped (a module variable, so the call allocates nothing). */
let gp = 0;

/** Reads a varint at `p` of `buf` (little-endian base 128, up to 2^53); sets {@linkcode gp}. */
function varint(buf: Uint8Array, p: number): number {
  let b = buf[p++]!;
  if (b < 128) {
    gp = p;
    return b;
  }
  let v = b & 127, mult = 128;
  do {
    b = buf[p++]!;
    v += (b & 127) * mult;
    mult *= 128;
  } while (b >= 128 && mult < 2 ** 56);
  gp = p;
  return v;
}

/**
 * Decodes a `.vmtb` byte source: {@linkcode VmtbDecoder.readHeader} once, then
 * {@linkcode VmtbDecoder.next} fills a batch until it returns false.
 *
 * @example
 * ```ts
 * import { VmtbDecoder } from "./vmtb_read.ts";
 * import { VmtbEncoder } from "./vmtb_write.ts";
 * import { bytesSource } from "./_source.ts";
 * import { EventBatch } from "./batch.ts";
 * const b = new EventBatch(4);
 * b.push({ pid: 7, op: "r", addr: 0x1234, len: 8 });
 * const e = new VmtbEncoder({ version: 1, mem: 1 << 20 });
 * e.add(b, 0);
 * e.finish();
 * const d = new VmtbDecoder(bytesSource(e.take()), "t.vmtb");
 * const header = await d.readHeader();
 * const out = new EventBatch(4);
 * await d.next(out);
 * const ev = out.get(0);
 * if (header.mem !== 1 << 20 || ev.op !== "r" || ev.addr !== 0x1234 || ev.len !== 8) {
 *   throw new Error(JSON.stringify(ev));
 * }
 * ```
 */
export class VmtbDecoder {
  readonly #src: ByteSource;
  readonly #name: string;
  #buf = new Uint8Array(BUF);
  #p = 0;
  #end = 0;
  #eof = false;
  #pending: Uint8Array | null = null;
  #pendingPos = 0;
  #done = false;
  #count = 0;
  #pid = -1;
  #slot = 0;
  #slots = new Map<number, number>();
  /** Slot + 1 of each pid below {@linkcode SMALL_PIDS} (0: none yet), to skip the Map. */
  #smallSlot = new Int32Array(SMALL_PIDS);
  #lastPage = new Float64Array(64);
  #strings: string[] = [];

  /** Reads `.vmtb` bytes from `src`; `name` prefixes error messages. */
  constructor(src: ByteSource, name: string) {
    this.#src = src;
    this.#name = name;
  }

  /** Events decoded so far. */
  get count(): number {
    return this.#count;
  }

  #error(reason: string, event = 0): TraceError {
    return new TraceError(this.#name, event, 0, reason);
  }

  /** Tops the buffer up to at least LOOKAHEAD bytes past the cursor, or to the end of input. */
  async #fill(): Promise<void> {
    const buf = this.#buf;
    if (this.#p > 0) {
      buf.copyWithin(0, this.#p, this.#end);
      this.#end -= this.#p;
      this.#p = 0;
    }
    while (!this.#eof && this.#end < BUF - LOOKAHEAD) {
      if (this.#pending === null) {
        const c = await this.#src.read();
        if (c === null) {
          this.#eof = true;
          break;
        }
        this.#pending = c;
        this.#pendingPos = 0;
      }
      const c = this.#pending;
      const n = Math.min(c.length - this.#pendingPos, BUF - this.#end);
      buf.set(c.subarray(this.#pendingPos, this.#pendingPos + n), this.#end);
      this.#end += n;
      this.#pendingPos += n;
      if (this.#pendingPos >= c.length) this.#pending = null;
    }
  }

  /** Reads and checks the magic, version and header. */
  async readHeader(): Promise<TraceHeader> {
    await this.#fill();
    const buf = this.#buf;
    if (this.#end >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      throw this.#error(
        "Not a vmtb file: this looks like gzip-compressed data; name the file with a .gz extension",
      );
    }
    if (this.#end < 5 || VMTB_MAGIC.some((b, i) => buf[i] !== b)) {
      const found = [...buf.subarray(0, Math.min(4, this.#end))]
        .map((b) => b.toString(16).padStart(2, "0")).join(" ");
      throw this.#error(
        `Not a vmtb file: expected the magic bytes 'VMTB' (56 4d 54 42), found ${
          found === "" ? "an empty file" : found
        }`,
      );
    }
    if (buf[4] !== VMTB_VERSION) {
      throw this.#error(
        `Unsupported vmtb version ${buf[4]} (this reader knows version ${VMTB_VERSION})`,
      );
    }
    this.#p = 5;
    const len = this.#varint();
    if (len > LOOKAHEAD || this.#p + len > this.#end) {
      throw this.#error("Corrupt vmtb header: its length runs past the end of the file");
    }
    const text = dec.decode(buf.subarray(this.#p, this.#p + len));
    this.#p += len;
    const r = parseHeaderLine(text);
    if (r.error !== undefined) throw this.#error(`Corrupt vmtb header: ${r.error}`);
    return r.header;
  }

  #varint(): number {
    const buf = this.#buf;
    let b = buf[this.#p++]!;
    if (b < 128) return b;
    let v = b & 127, mult = 128;
    do {
      b = buf[this.#p++]!;
      v += (b & 127) * mult;
      mult *= 128;
    } while (b >= 128 && mult < 2 ** 56);
    return v;
  }

  /**
   * Decodes events into `batch` (after clearing it) until it is full or the input ends. Returns
   * false once the end marker has been read.
   */
  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    if (this.#done) return false;
    const cap = batch.capacity;
    while (batch.length < cap) {
      if (this.#end - this.#p <= LOOKAHEAD && !this.#eof) await this.#fill();
      const end = this.#end;
      const stop = this.#eof ? end : end - LOOKAHEAD;
      if (this.#p >= end) {
        throw this.#error(
          `Truncated vmtb file: it ends after ${this.#count} events without the end marker`,
        );
      }
      const n = this.#decode(batch, stop);
      if (this.#p > end) {
        throw this.#error(
          `Truncated vmtb file: it ends inside event ${this.#count + 1}`,
          this.#count + 1,
        );
      }
      if (n < 0) {
        await this.#trailer();
        return false;
      }
    }
    return true;
  }

  async #trailer(): Promise<void> {
    const count = this.#varint();
    if (this.#p > this.#end) {
      throw this.#error("Truncated vmtb file: it ends inside the end marker");
    }
    if (count !== this.#count) {
      throw this.#error(
        `Corrupt vmtb file: the end marker counts ${count} events, the file holds ${this.#count}`,
      );
    }
    if (this.#p === this.#end && !this.#eof) await this.#fill();
    if (this.#p < this.#end) throw this.#error("Corrupt vmtb file: data after the end marker");
    this.#done = true;
  }

  /**
   * Decodes records while the cursor is before `stop`; returns -1 at the end marker. The hot
   * loop keeps the cursor and per-process state in locals and reads one-byte varints inline.
   */
  #decode(b: EventBatch, stop: number): number {
    const buf = this.#buf;
    const cap = b.capacity;
    const opc = b.op, pidc = b.pid, pagec = b.page, offc = b.off, page2c = b.page2;
    const off2c = b.off2, n1c = b.n1, n2c = b.n2, smallc = b.small, strc = b.str, linec = b.line;
    const smallSlot = this.#smallSlot;
    let i = b.length;
    let p = this.#p;
    let pid = this.#pid;
    let slot = this.#slot;
    let lastPage = this.#lastPage;
    let count = this.#count;
    let cur = lastPage[slot]!; // the current process's last page, kept in a register
    let v = 0;
    let result = 0;
    // unused columns must read 0 (str -1): clearing the rest of the batch at once is cheaper
    // than storing zeros event by event
    page2c.fill(0, i);
    off2c.fill(0, i);
    n2c.fill(0, i);
    smallc.fill(0, i);
    strc.fill(-1, i);
    {
      while (i < cap && p < stop) {
        const rec = buf[p++]!;
        if (rec === REC_END) {
          result = -1;
          break;
        }
        const op = rec & 31;
        if (op >= OPS.length || rec & 0x80) {
          throw this.#error(
            `Corrupt vmtb file: bad record byte 0x${rec.toString(16)} at event ${count + 1}`,
            count + 1,
          );
        }
        if ((rec & REC_SAME_PID) === 0) {
          v = buf[p]!;
          if (v < 128) p++;
          else (v = varint(buf, p), p = gp);
          pid = v;
          let s = pid < SMALL_PIDS ? smallSlot[pid]! - 1 : this.#slots.get(pid) ?? -1;
          if (s < 0) {
            s = this.#slots.size;
            this.#slots.set(pid, s);
            if (pid < SMALL_PIDS) smallSlot[pid] = s + 1;
            if (s >= lastPage.length) {
              const bigger = new Float64Array(lastPage.length * 2);
              bigger.set(lastPage);
              this.#lastPage = lastPage = bigger;
            }
          }
          lastPage[slot] = cur;
          slot = s;
          cur = lastPage[slot]!;
          if ((SYSTEM[op] === 1) !== (pid === 0) || pid > 0x7fffffff) {
            throw this.#error(
              `Corrupt vmtb file: event ${count + 1} ('${OPS[op]}') has pid ${pid}`,
              count + 1,
            );
          }
        } else if ((SYSTEM[op] === 1) !== (pid === 0)) {
          throw this.#error(
            `Corrupt vmtb file: event ${count + 1} ('${OPS[op]}') has pid ${pid}`,
            count + 1,
          );
        }
        opc[i] = op;
        pidc[i] = pid;
        linec[i] = ++count;
        let off = 0, n1 = 0;
        if (op >= Op.r && op <= Op.x) {
          // loads, stores and fetches: most of any trace
          v = buf[p]!;
          if (v < 128) p++;
          else if (buf[p + 1]! < 128) (v = (v & 127) | (buf[p + 1]! << 7), p += 2);
          else (v = varint(buf, p), p = gp);
          if (v < 0x80000000) {
            const h = v >>> 1;
            cur += (h >>> 1) ^ -(h & 1);
          } else {
            const half = Math.floor(v / 2);
            cur += half % 2 === 0 ? half / 2 : -(half + 1) / 2;
          }
          if (cur < 0 || cur >= TWO45) {
            throw this.#error(
              `Corrupt vmtb file: event ${count} has an address out of range`,
              count,
            );
          }
          pagec[i] = cur;
          if ((v & 1) === 1) {
            off = buf[p]!; // below 4096: one or two bytes
            if (off < 128) p++;
            else (off = (off & 127) | ((buf[p + 1]! & 127) << 7), p += 2);
          }
          offc[i] = off;
          // LEN: omitted (1) or a varint. Branch-free for the one-byte case, because whether
          // LEN is there varies from event to event and a mispredicted branch costs more.
          const has = ((rec >> 6) & 1) ^ 1;
          const c = buf[p]!;
          if ((has & (c >> 7)) !== 0) (n1 = varint(buf, p), p = gp);
          else (n1 = 1 + has * (c - 1), p += has);
          n1c[i] = n1;
          i++;
          continue;
        }
        // the other ops are rarer: decoded out of line, keeping this loop small
        this.#slot = slot;
        lastPage[slot] = cur;
        this.#other(b, i, rec, op, p, count);
        cur = lastPage[slot]!;
        p = gp;
        i++;
      }
    }
    // written back once per call: V8 keeps this function optimized (a finally block here made it
    // deoptimize on every exit for want of type feedback)
    lastPage[slot] = cur;
    b.length = i;
    this.#p = p;
    this.#pid = pid;
    this.#slot = slot;
    this.#count = count;
    return result < 0 ? -1 : i;
  }

  /** Decodes the fields of a record that is not r/w/x into event `i`; sets `gp`. */
  #other(b: EventBatch, i: number, rec: number, op: number, p: number, count: number): void {
    const buf = this.#buf;
    const lastPage = this.#lastPage;
    const slot = this.#slot;
    let v = 0;
    let page = 0, off = 0, page2 = 0, off2 = 0, n1 = 0, n2 = 0, small = 0, str = -1;
    if (ADDR_OPS[op] === 1) {
      // zigzag page delta from this process's last address, low bit: an offset follows
      v = buf[p]!;
      if (v < 128) p++;
      else (v = varint(buf, p), p = gp);
      if (v < 0x80000000) {
        const h = v >>> 1; // integer fast path for deltas below 2^29 pages
        page = lastPage[slot]! + ((h >>> 1) ^ -(h & 1));
      } else {
        const half = Math.floor(v / 2);
        page = lastPage[slot]! + (half % 2 === 0 ? half / 2 : -(half + 1) / 2);
      }
      lastPage[slot] = page;
      if ((v & 1) === 1) {
        off = buf[p]!;
        if (off < 128) p++;
        else (off = varint(buf, p), p = gp);
      }
    }
    switch (op) {
      case Op.munmap:
      case Op.mlock:
      case Op.munlock:
      case Op.msync:
      case Op.fork:
      case Op.clone:
      case Op.reclaim:
        n1 = varint(buf, p), p = gp;
        break;
      case Op.mmap:
        n1 = varint(buf, p), p = gp;
        small = varint(buf, p), p = gp;
        if (rec & REC_A) (str = this.#string(b, p, count), p = gp);
        if (small & HAS_OFFSET) n2 = varint(buf, p), p = gp;
        break;
      case Op.mremap: {
        n1 = varint(buf, p), p = gp;
        v = varint(buf, p), p = gp;
        const half = Math.floor(v / 2);
        page2 = lastPage[slot]! + (half % 2 === 0 ? half / 2 : -(half + 1) / 2);
        lastPage[slot] = page2;
        if (v % 2 === 1) off2 = varint(buf, p), p = gp;
        n2 = varint(buf, p), p = gp;
        break;
      }
      case Op.mprotect:
      case Op.madvise:
        n1 = varint(buf, p), p = gp;
        small = buf[p++]!;
        break;
      case Op.exec:
      case Op.exit:
        break;
      case Op.create:
      case Op.truncate:
        str = this.#string(b, p, count), p = gp;
        n1 = varint(buf, p), p = gp;
        break;
      case Op.read:
      case Op.write:
        str = this.#string(b, p, count), p = gp;
        n1 = varint(buf, p), p = gp;
        n2 = varint(buf, p), p = gp;
        break;
      case Op.unlink:
      case Op.fsync:
      case Op.swapoff:
      case Op.mark:
        str = this.#string(b, p, count), p = gp;
        break;
      case Op.swapon:
        str = this.#string(b, p, count), p = gp;
        n1 = varint(buf, p), p = gp;
        if (rec & REC_A) {
          const z = varint(buf, p);
          p = gp;
          n2 = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
          small = HAS_PRIO;
        }
        break;
    }
    const bad = page < 0 || page >= TWO45 || page2 < 0 || page2 >= TWO45 || off > 4095 ||
      off2 > 4095 ||
      (op === Op.mmap && (small > 0x7ff || checkFlagBits((small >> 3) & 0x7f) !== undefined)) ||
      (op === Op.mprotect && small > 7) || (op === Op.madvise && small >= ADVICES.length) ||
      ((op === Op.fork || op === Op.clone) && (n1 < 1 || n1 > 0x7fffffff));
    if (bad) {
      throw this.#error(`Corrupt vmtb file: event ${count} ('${OPS[op]}') is malformed`, count);
    }
    if (op === Op.mmap && (small & HAS_OFFSET) !== 0) {
      const problem = mmapOffsetProblem(n2);
      if (problem !== undefined) throw this.#error(`Event ${count} ('mmap'): ${problem}`, count);
    }
    b.page[i] = page;
    b.off[i] = off;
    b.page2[i] = page2;
    b.off2[i] = off2;
    b.n1[i] = n1;
    b.n2[i] = n2;
    b.small[i] = small;
    b.str[i] = str;
    gp = p;
  }

  /** Reads a string reference at `p` (adding a new string to the table); sets `gp`. */
  #string(b: EventBatch, p: number, event: number): number {
    const buf = this.#buf;
    const k = varint(buf, p);
    p = gp;
    const t = this.#strings;
    if (k < t.length) return b.addString(t[k]!);
    if (k !== t.length) {
      throw this.#error(
        `Corrupt vmtb file: event ${event} refers to string ${k} of ${t.length}`,
        event,
      );
    }
    const len = varint(buf, p);
    p = gp;
    if (len > VMTB_MAX_STRING || p + len > this.#end) {
      throw this.#error(`Truncated vmtb file: it ends inside event ${event}`, event);
    }
    const s = dec.decode(buf.subarray(p, p + len));
    gp = p + len;
    t.push(s);
    return b.addString(s);
  }
}
